"""Message content: OpenAI content parts <-> IR parts.

OpenAI's ``content`` is a string or a list of parts (API reference,
"Chat Completions > messages"): ``text``, ``image_url``, ``file`` and
``input_audio`` for users; ``text`` and ``refusal`` for assistants; only
``text`` for system, developer and tool messages.
"""
import mimetypes

from translators import data_url
from translators.dropped import dropped
from translators.ir import TranslationError, text, with_cache_mark

# Chat Completions accepts only PDFs as ``file`` parts (guide "File inputs").
_DEFAULT_FILE_TYPE = "application/pdf"


def parse_content(content, allowed):
    """IR parts of a message ``content``; ``allowed`` names the part types the role may use."""
    if content is None:
        return []
    if isinstance(content, str):
        return [text(content)] if content else []
    if not isinstance(content, list):
        raise TranslationError("message content must be a string or a list of parts")
    parts = (_parse_part(part, allowed) for part in content)
    return [part for part in parts if part is not None]


def _parse_part(part, allowed):
    """One content part as an IR part (its cache mark kept); None when it
    has no place here and is dropped."""
    if not isinstance(part, dict):
        raise TranslationError("every content part must be an object")
    kind = part.get("type")
    if kind == "input_audio":
        # Dropping what the user said would silently change the question.
        raise TranslationError("input_audio parts cannot be translated")
    if kind not in allowed:
        dropped("openai", f"content part {kind!r} in a message that cannot hold it")
        return None
    return with_cache_mark(_parse_known(part, kind), part)


def _parse_known(part, kind):
    if kind in ("text", "refusal"):
        # A refusal in history is what the assistant said; it travels as text.
        return text(part.get(kind) or "")
    if kind == "image_url":
        return _parse_image(part.get("image_url") or {})
    if kind == "file":
        return _parse_file(part.get("file") or {})
    raise TranslationError(f"content part type {kind!r} cannot be translated")


def _parse_image(image_url):
    # ``detail`` has no IR field; other dialects have no such knob, so it is dropped.
    url = image_url.get("url") or ""
    inline = data_url.split(url)
    if inline:
        return {"type": "image", "media_type": inline[0], "data": inline[1], "url": None}
    return {"type": "image", "media_type": None, "data": None, "url": url}


def _parse_file(file):
    if file.get("file_id"):
        raise TranslationError("uploaded file ids (file_id) cannot be sent to another provider")
    data = file.get("file_data") or ""
    inline = data_url.split(data)
    filename = file.get("filename")
    media_type = inline[0] if inline else mimetypes.guess_type(filename or "")[0]
    return {"type": "document", "media_type": media_type or _DEFAULT_FILE_TYPE,
            "data": inline[1] if inline else data, "url": None, "text": None,
            "title": filename}


def render_user_content(parts):
    """A user ``content``: a plain string when it is at most one text part,
    else a part list (OpenAI rejects an empty list)."""
    if not parts:
        return ""
    if len(parts) == 1 and parts[0]["type"] == "text":
        return parts[0]["text"]
    return [_render_part(part) for part in parts]


def render_text(parts):
    """Text-only content (system, assistant, tool) as one string."""
    return "".join(part["text"] for part in parts if part["type"] == "text")


def _render_part(part):
    kind = part["type"]
    if kind == "text":
        return {"type": "text", "text": part["text"]}
    if kind == "image":
        url = part["url"] or data_url.join(part["media_type"], part["data"])
        return {"type": "image_url", "image_url": {"url": url}}
    if kind == "document":
        return _render_document(part)
    raise TranslationError(f"a {kind} part cannot appear in an OpenAI user message")


def _render_document(part):
    if part.get("text") is not None:
        # Plain-text documents (Anthropic "text" source) are just text to the model.
        title = part.get("title")
        body = f"{title}\n\n{part['text']}" if title else part["text"]
        return {"type": "text", "text": body}
    if part.get("url"):
        raise TranslationError("OpenAI Chat Completions cannot take a document by URL")
    media_type = part.get("media_type") or _DEFAULT_FILE_TYPE
    filename = part.get("title") or "document" + (mimetypes.guess_extension(media_type) or "")
    return {"type": "file",
            "file": {"file_data": data_url.join(media_type, part["data"]), "filename": filename}}
