"""Message content: Responses content parts <-> IR parts.

Input messages carry ``input_text`` / ``input_image`` / ``input_file``
parts; assistant messages in history carry ``output_text`` / ``refusal``
(API reference, "Responses > Create > input").  Content may also be a bare
string.
"""
from translators import data_url
from translators.dropped import dropped
from translators.ir import TranslationError, text, with_cache_mark


def parse_content(content):
    """IR parts of a message ``content`` (string or list of parts)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [text(content)] if content else []
    if not isinstance(content, list):
        raise TranslationError("message content must be a string or a list of parts")
    parts = (parse_part(part) for part in content)
    return [part for part in parts if part is not None]


def parse_part(part):
    """One content part as an IR part (an Anthropic cache mark a client put
    on it kept); None for a kind with no IR form, which is dropped (audio is
    refused: dropping what the user said would silently change the question)."""
    parsed = _parse_kind(part)
    return parsed if parsed is None else with_cache_mark(parsed, part)


def _parse_kind(part):
    kind = part.get("type") if isinstance(part, dict) else None
    if kind in ("input_text", "output_text"):
        return text(part.get("text") or "")
    if kind == "refusal":
        # A refusal in history is what the assistant said; it travels as text.
        return text(part.get("refusal") or "")
    if kind == "input_image":
        return _parse_image(part)
    if kind == "input_file":
        return _parse_file(part)
    if kind == "input_audio" or not isinstance(part, dict):
        raise TranslationError(f"Responses content part type {kind!r} cannot be translated")
    dropped("responses", f"content part {kind!r}")
    return None


def _parse_image(part):
    # ``detail`` has no IR field and no counterpart elsewhere: dropped.
    if part.get("file_id"):
        raise TranslationError("input_image.file_id refers to OpenAI file storage; "
                               "send the image as a URL or data URL instead")
    url = part.get("image_url") or ""
    inline = data_url.split(url)
    if inline:
        return {"type": "image", "media_type": inline[0], "data": inline[1], "url": None}
    if not url:
        raise TranslationError("input_image needs image_url")
    return {"type": "image", "media_type": None, "data": None, "url": url}


def _parse_file(part):
    if part.get("file_id"):
        raise TranslationError("input_file.file_id refers to OpenAI file storage; "
                               "send file_data or file_url instead")
    doc = {"type": "document", "media_type": None, "data": None, "url": None,
           "text": None, "title": part.get("filename")}
    inline = data_url.split(part.get("file_data"))
    if inline:
        doc["media_type"], doc["data"] = inline
    elif part.get("file_url"):
        doc["url"] = part["file_url"]
    else:
        raise TranslationError("input_file needs file_data (a data URL) or file_url")
    return doc


def render_input_parts(parts):
    """Responses input parts (user turns, tool outputs) for IR parts."""
    return [_render_input_part(part) for part in parts]


def _render_input_part(part):
    kind = part["type"]
    if kind == "text":
        return {"type": "input_text", "text": part["text"]}
    if kind == "image":
        url = part.get("url") or data_url.join(part.get("media_type"), part.get("data"))
        return {"type": "input_image", "image_url": url, "detail": "auto"}
    if kind == "document":
        return _render_document(part)
    raise TranslationError(f"a {kind} part cannot appear in a Responses user message")


def _render_document(part):
    if part.get("text") is not None:
        # A plain-text document reads the same as text; input_file would need a filename.
        return {"type": "input_text", "text": part["text"]}
    out = {"type": "input_file"}
    if part.get("data"):
        # file_data needs a filename beside it (guide "File inputs").
        out["filename"] = part.get("title") or "document"
        out["file_data"] = data_url.join(part.get("media_type"), part["data"])
    else:
        out["file_url"] = part["url"]
    return out
