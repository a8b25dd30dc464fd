"""Anthropic content blocks <-> IR parts, shared by requests and responses.

Block shapes follow the Messages API reference ("Content blocks") and the
SDK's ``anthropic.types.*BlockParam`` types.
"""
import base64

from translators import call_ids, ir, json_text, signatures
from translators.dropped import dropped
from translators.ir import TranslationError

# Key under which tool arguments that are not a JSON object are kept, since
# Anthropic's tool_use.input must be an object.
RAW_ARGUMENTS_KEY = "_raw_arguments"

# Leading base64 characters of each image format Anthropic accepts, for
# images whose media type the source dialect did not say.
_IMAGE_MAGIC = (("iVBORw0KGgo", "image/png"), ("/9j/", "image/jpeg"),
                ("R0lGOD", "image/gif"), ("UklGR", "image/webp"))


def tool_use_id(call_id):
    """An IR tool-call id made acceptable to Anthropic, the same way every
    time so a tool_use and its tool_result still match.

    An agent sends every id of its history again with each request (twice:
    call and result), so fitted ids are remembered (a bounded memo, dropped
    whole when full) rather than matched against the pattern each time."""
    fitted = _fitted_ids.get(call_id) if type(call_id) is str else None
    if fitted is None:
        fitted = call_ids.fit(call_id, unsafe=call_ids.ANTHROPIC_UNSAFE)
        if type(call_id) is str:
            if len(_fitted_ids) >= _FITTED_IDS_LIMIT:
                _fitted_ids.clear()
            _fitted_ids[call_id] = fitted
    return fitted


_FITTED_IDS_LIMIT = 8192
_fitted_ids = {}


def message_id(ir_id):
    """Anthropic message ids look like ``msg_...``; keep one, mint otherwise."""
    if ir_id and ir_id.startswith("msg_"):
        return ir_id
    return ir.new_id("msg_")


def dump_arguments(value):
    """tool_use ``input`` (an object) as IR arguments (JSON text)."""
    return json_text.dumps(value)


def load_arguments(text):
    """IR arguments as a tool_use ``input`` object.

    Arguments are model-written JSON text: empty means no arguments, and
    anything that is not a JSON object is kept whole under
    ``RAW_ARGUMENTS_KEY`` rather than failing the request.
    """
    if not text or not text.strip():
        return {}
    try:
        value = json_text.loads(text)
    except ValueError:
        return {RAW_ARGUMENTS_KEY: text}
    return value if isinstance(value, dict) else {RAW_ARGUMENTS_KEY: value}


def blocks_of(content):
    """Message content as a block list (a string is one text block)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return content
    raise TranslationError("message content must be a string or a list of blocks")


# --- Anthropic block -> IR part ---------------------------------------------

def parse_block(block):
    """One Anthropic content block as an IR part; None when it has no IR
    form and is dropped (see ``_TRACES``)."""
    if not isinstance(block, dict):
        raise TranslationError("every content block must be an object")
    parser = _PARSERS.get(block.get("type"))
    if parser is None:
        dropped("claude", f"content block {block.get('type')!r}")
        return None
    part = parser(block)
    mark = block.get("cache_control")
    if mark:
        part["cache_control"] = mark
    return part


def _parse_text(block):
    # citations are dropped: no other dialect has a field for them.
    return {"type": "text", "text": block.get("text") or ""}


def _parse_search_result(block):
    """A ``search_result`` block (RAG results a client supplies, Messages API
    "Search results") reads as text: its title, source and content."""
    texts = [b.get("text") or "" for b in block.get("content") or []
             if isinstance(b, dict) and b.get("type") == "text"]
    head = " ".join(str(v) for v in (block.get("title"), block.get("source")) if v)
    return ir.text("\n".join(([head] if head else []) + texts))


def _parse_image(block):
    source = block.get("source") or {}
    if source.get("type") == "base64":
        return {"type": "image", "media_type": source.get("media_type"),
                "data": source.get("data"), "url": None}
    if source.get("type") == "url":
        return {"type": "image", "media_type": None, "data": None, "url": source.get("url")}
    raise TranslationError(f"image source {source.get('type')!r} cannot be translated")


def _parse_document(block):
    source = block.get("source") or {}
    part = {"type": "document", "media_type": source.get("media_type"), "data": None,
            "url": None, "text": None, "title": block.get("title")}
    if source.get("type") == "base64":
        part["data"] = source.get("data")
    elif source.get("type") == "text":
        part["text"] = source.get("data")
    elif source.get("type") == "url":
        part["url"] = source.get("url")
    else:
        raise TranslationError(f"document source {source.get('type')!r} cannot be translated")
    return part


def parse_tool_use(block):
    return ir.tool_call(block["id"], block["name"], dump_arguments(block.get("input") or {}))


def parse_tool_result(block):
    content = block.get("content")
    if isinstance(content, str):        # the usual result: one text
        parts = [{"type": "text", "text": content}]
    else:
        parts = [] if content is None else [p for p in map(parse_block, blocks_of(content)) if p]
        if any(p["type"] not in ("text", "image") for p in parts):
            raise TranslationError("tool_result content may only hold text and images here")
        for part in parts:
            part.pop("cache_control", None)  # the mark that counts is the result's own
    # name is filled in by the request parser, from the matching tool_use.
    return {"type": "tool_result", "tool_call_id": block["tool_use_id"], "name": None,
            "content": parts, "is_error": bool(block.get("is_error"))}


def _parse_thinking(block):
    signature, origin = signatures.from_client(block.get("signature"), "claude")
    part = {"type": "reasoning", "text": block.get("thinking", ""), "signature": signature}
    if signature:
        part["origin"] = origin
    return part


def _parse_redacted(block):
    return {"type": "redacted_reasoning", "data": block["data"]}


_PARSERS = {
    "text": _parse_text, "image": _parse_image, "document": _parse_document,
    "tool_use": parse_tool_use, "tool_result": parse_tool_result,
    "thinking": _parse_thinking, "redacted_thinking": _parse_redacted,
    "search_result": _parse_search_result,
}

# Blocks with no IR form, dropped by parse_block (with a debug line) like any
# unknown type: traces of Anthropic's server tools (server_tool_use,
# web_search_tool_result, web_fetch_tool_result, code_execution_tool_result,
# bash_/text_editor_code_execution_tool_result, tool_search_tool_result,
# mcp_tool_use / mcp_tool_result) and container_upload.  What a server tool
# found reached the conversation through the assistant text after it.


# --- IR part -> Anthropic block ---------------------------------------------

def render_block(part):
    """One IR part as an Anthropic request block, or None when it must be
    left out (see the renderers)."""
    renderer = _RENDERERS.get(part["type"])
    if renderer is None:
        raise TranslationError(f"content part {part['type']!r} cannot be sent to Anthropic")
    block = renderer(part)
    if block and part.get("cache_control") and block["type"] not in UNMARKABLE:
        block["cache_control"] = part["cache_control"]
    return block


# Thinking blocks cannot carry cache_control (Messages API, prompt caching:
# they are cached as part of the turn, never marked directly).
UNMARKABLE = ("thinking", "redacted_thinking")


def _render_text(part):
    # Anthropic rejects empty text blocks; an empty one says nothing anyway.
    return {"type": "text", "text": part["text"]} if part["text"] else None


def _render_image(part):
    if part.get("url"):
        return {"type": "image", "source": {"type": "url", "url": part["url"]}}
    media_type = part.get("media_type") or _sniff_image(part.get("data") or "")
    return {"type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": part["data"]}}


def _sniff_image(data):
    for prefix, media_type in _IMAGE_MAGIC:
        if data.startswith(prefix):
            return media_type
    raise TranslationError("image without a media type Anthropic accepts")


def _render_document(part):
    block = {"type": "document", "source": _document_source(part)}
    if part.get("title"):
        block["title"] = part["title"]
    return block


def _document_source(part):
    media_type = part.get("media_type") or "application/pdf"
    if part.get("text") is not None:
        return {"type": "text", "media_type": "text/plain", "data": part["text"]}
    if part.get("url"):
        return {"type": "url", "url": part["url"]}
    if media_type.startswith("text/"):
        # Anthropic takes plain text verbatim, not base64 (source type "text").
        text = base64.b64decode(part["data"]).decode("utf-8", "replace")
        return {"type": "text", "media_type": "text/plain", "data": text}
    return {"type": "base64", "media_type": media_type, "data": part["data"]}


def render_tool_call(part):
    return {"type": "tool_use", "id": tool_use_id(part["id"]), "name": part["name"],
            "input": load_arguments(part["arguments"])}


def render_tool_result(part):
    block = {"type": "tool_result", "tool_use_id": tool_use_id(part["tool_call_id"])}
    parts = part["content"]
    if len(parts) == 1 and parts[0]["type"] == "text":
        # the usual result: one text, sent as a string (none when empty)
        if parts[0]["text"]:
            block["content"] = parts[0]["text"]
    else:
        content = [b for b in map(render_block, parts) if b]
        if len(content) == 1 and content[0]["type"] == "text":
            block["content"] = content[0]["text"]
        elif content:
            block["content"] = content
    if part.get("is_error"):
        block["is_error"] = True
    return block


def _render_reasoning(part):
    # Anthropic verifies the signature of every thinking block it is sent;
    # reasoning from a dialect without signatures cannot be replayed, and
    # nobody may invent one, so it is left out of the history.
    signature = signatures.replayable(part, "claude")
    if not signature:
        return None
    return {"type": "thinking", "thinking": part["text"], "signature": signature}


def _render_redacted(part):
    return {"type": "redacted_thinking", "data": part["data"]}


_RENDERERS = {
    "text": _render_text, "image": _render_image, "document": _render_document,
    "tool_call": render_tool_call, "tool_result": render_tool_result,
    "reasoning": _render_reasoning, "redacted_reasoning": _render_redacted,
}
