"""Gemini ``Part`` objects <-> IR parts, one part at a time.

A Gemini ``thoughtSignature`` belongs to the part it came on (Gemini API
"Thought signatures": send it back "inside its original Part"), so it is
kept on the IR ``reasoning`` and ``tool_call`` parts, with ``origin``
``"gemini"`` (translators/signatures.py), and re-attached there.  A
signature on a plain text part (or alone in an empty one, as streams end)
rides on an empty ``reasoning`` part before it, its carrier, which comes
back as an empty part bearing the signature.
"""
import base64
import json
import mimetypes

from translators import ir, signatures
from translators.dropped import dropped

from .keys import get

# Media IR documents can carry to other providers; images are IR images.
_DOCUMENT_TYPES = ("application/pdf", "text/")

# Base64 openings of the formats every provider accepts.
_MAGIC = (("iVBORw0KGgo", "image/png"), ("/9j/", "image/jpeg"), ("R0lGOD", "image/gif"),
          ("UklGR", "image/webp"), ("JVBERi0", "application/pdf"))


def parse_part(part):
    """One Gemini part as an IR part; None for parts with no IR meaning."""
    if get(part, "functionCall"):
        return parse_function_call(get(part, "functionCall"), get(part, "thoughtSignature"))
    if get(part, "functionResponse"):
        return _parse_function_response(get(part, "functionResponse"))
    if get(part, "inlineData"):
        blob = get(part, "inlineData")
        return _media(get(blob, "mimeType"), data=get(blob, "data"))
    if get(part, "fileData"):
        ref = get(part, "fileData")
        return _media(get(ref, "mimeType"), url=get(ref, "fileUri"))
    if part.get("text") is not None:       # proto3 JSON: a null field is an absent one
        if part.get("thought"):
            return reasoning(part["text"], get(part, "thoughtSignature"))
        return ir.text(part["text"])
    # Anything else (executableCode / codeExecutionResult traces of Gemini's
    # own code execution, parts added later) has no IR form.
    dropped("gemini", f"part with {', '.join(sorted(part)) or 'nothing'}")
    return None


def parse_parts(parts):
    """IR parts of a turn's Gemini parts: a signature on a non-thought part
    gets its carrier before it (a function call keeps it as well, for the
    gateway's signature cache), and an empty text part is left out."""
    out = []
    for part in parts:
        signature = get(part, "thoughtSignature")
        if signature and not part.get("thought") and (
                isinstance(part.get("text"), str) or get(part, "functionCall")):
            out.append(reasoning("", signature))
        parsed = parse_part(part)
        if parsed and not (parsed["type"] == "text" and not parsed["text"]):
            out.append(parsed)
    return out


def reasoning(text, signature):
    """An IR reasoning part; a signature a client sent back may carry another
    vendor's tag (translators/signatures.py)."""
    signature, origin = signatures.from_client(signature, "gemini")
    part = {"type": "reasoning", "text": text, "signature": signature}
    if signature:
        part["origin"] = origin
    return part


def _media(mime, data=None, url=None):
    mime = mime or url and mimetypes.guess_type(url)[0] or ""
    if mime.startswith("image/"):
        return {"type": "image", "media_type": mime, "data": data, "url": url}
    if mime.startswith(_DOCUMENT_TYPES):
        return {"type": "document", "media_type": mime, "data": data, "url": url,
                "text": None, "title": None}
    raise ir.TranslationError(f"Gemini {mime or 'untyped'} media parts cannot be translated")


def parse_function_call(call, signature=None, call_id=None):
    """A ``functionCall`` as an IR tool_call; ``call_id`` when Gemini gave none."""
    part = ir.tool_call(get(call, "id") or call_id or ir.new_id("call_"), get(call, "name"),
                        json.dumps(get(call, "args") or {}, ensure_ascii=False))
    signature, origin = signatures.from_client(signature, "gemini")
    if signature:
        part["signature"], part["origin"] = signature, origin
    return part


def _parse_function_response(reply):
    """A ``functionResponse`` as an IR tool_result (its id may still be None).

    The reference asks for ``{"output": ...}`` or ``{"error": ...}``; any
    other object is the whole output and is passed on as JSON text.
    """
    response = get(reply, "response") or {}
    if set(response) in ({"output"}, {"error"}):
        (key, value), = response.items()
    else:
        key, value = "output", response
    content = [ir.text(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))]
    content += [p for p in map(parse_part, get(reply, "parts") or []) if p]
    return {"type": "tool_result", "tool_call_id": get(reply, "id"), "name": get(reply, "name"),
            "content": content, "is_error": key == "error"}


def render_part(part, names, client=False):
    """One IR part as a Gemini part; None for what Gemini cannot carry.

    ``names`` maps tool-call ids to function names (results need the name).
    ``client``: the part goes to a Gemini client (an answer), which keeps any
    signature, tagged when another vendor issued it; to Gemini itself only
    Gemini's own signatures go, and reasoning without one is not replayed.
    """
    kind = part["type"]
    if kind == "text":
        return {"text": part["text"]}
    if kind == "reasoning":
        signature = _signature(part, client)
        if not signature and not client:
            return None
        if not part["text"]:
            return signed({"text": ""}, signature)  # a carrier: the part it came on
        return signed({"text": part["text"], "thought": True}, signature)
    if kind == "tool_call":
        return signed({"functionCall": {"id": part["id"], "name": part["name"],
                                         "args": _arguments(part)}}, _signature(part, client))
    if kind == "tool_result":
        return {"functionResponse": _render_function_response(part, names)}
    if kind in ("image", "document"):
        return _render_media(part)
    # redacted_reasoning: Anthropic-encrypted thinking, meaningless to Gemini.
    return None


def _signature(part, client):
    if client:
        return signatures.for_client(part.get("signature"), part.get("origin"), "gemini")
    return signatures.replayable(part, "gemini")


def signed(part, signature):
    """``part`` with ``thoughtSignature`` attached when Gemini can carry it."""
    # thoughtSignature is proto ``bytes``: base64 on the wire, and the
    # google-genai SDK rejects a chunk whose signature does not decode.
    # Anthropic signatures are base64 and travel; anything else is dropped.
    if signature and _is_base64(signature):
        part["thoughtSignature"] = signature
    return part


def _is_base64(value):
    try:
        base64.b64decode(value, altchars=b"-_" if "-" in value or "_" in value else None,
                         validate=True)
    except (ValueError, TypeError):
        return False
    return True


def _arguments(part):
    try:
        args = json.loads(part["arguments"] or "{}")
    except ValueError:
        raise ir.TranslationError(f"tool call {part['id']}: arguments are not JSON") from None
    if not isinstance(args, dict):
        raise ir.TranslationError(f"tool call {part['id']}: Gemini needs object arguments")
    return args


def _render_function_response(part, names):
    """An IR tool_result as ``functionResponse`` (``output``/``error`` keys)."""
    name = part.get("name") or names.get(part["tool_call_id"])
    if not name:
        raise ir.TranslationError(f"tool result {part['tool_call_id']} answers no known tool call")
    texts = [p["text"] for p in part["content"] if p["type"] == "text"]
    reply = {"id": part["tool_call_id"], "name": name,
             "response": {"error" if part["is_error"] else "output": "\n".join(texts)}}
    media = [_render_media(p) for p in part["content"] if p["type"] == "image"]
    if media:
        reply["parts"] = media
    return reply


def _render_media(part):
    if part["type"] == "document" and part.get("text") is not None:
        return {"text": part["text"]}
    if part.get("data"):
        mime = part.get("media_type") or _sniff(part["data"])
        return {"inlineData": {"mimeType": mime, "data": part["data"]}}
    url = part.get("url") or ""
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        return {"inlineData": {"mimeType": header[5:].split(";")[0], "data": data}}
    ref = {"fileUri": url}
    mime = part.get("media_type") or mimetypes.guess_type(url)[0]
    if mime:
        ref["mimeType"] = mime
    return {"fileData": ref}


def _sniff(data):
    """The media type of base64 ``data`` from its magic bytes (Gemini requires
    ``mimeType``; some clients send bare base64)."""
    for prefix, mime in _MAGIC:
        if data.startswith(prefix):
            return mime
    raise ir.TranslationError("inline media without a media type")
