"""Output items: the ``output`` list of a response <-> IR content parts,
and the mapping between response ``status`` and IR stop reasons.

Item shapes follow the openai SDK's ``ResponseOutputMessage``,
``ResponseFunctionToolCall``, ``ResponseCustomToolCall`` and
``ResponseReasoningItem``; ids carry the prefixes OpenAI uses (``msg_``,
``fc_``, ``ctc_``, ``rs_``).  Calls of custom and local shell tools are
spelled in ``calls.py``.
"""
from translators.ir import new_id, text, tool_call

from .calls import call_item, parse_custom_call
from .namespaces import as_declared, flat_name

# incomplete_details.reason <-> IR stop reason (API reference, "The response object").
_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}
_INCOMPLETE_FOR = {stop: reason for reason, stop in _INCOMPLETE.items()}


def output_text(value):
    return {"type": "output_text", "text": value, "annotations": [], "logprobs": []}


def message_item(item_id, texts, status="completed"):
    return {"type": "message", "id": item_id, "status": status, "role": "assistant",
            "content": [output_text(value) for value in texts]}


def reasoning_item(item_id, summary):
    """A reasoning item; ``summary`` is a list of summary texts."""
    return {"type": "reasoning", "id": item_id,
            "summary": [{"type": "summary_text", "text": value} for value in summary]}


def render_output(parts, status="completed", kinds=None, namespaces=None):
    """Output items for IR content parts, in order; ``status`` is the
    response's, and an incomplete response leaves its last item incomplete.
    ``kinds`` (``calls.call_kinds``) names the calls that are not functions,
    ``namespaces`` (``namespaces.call_namespaces``) those of namespaced tools."""
    items, texts = [], []
    for part in parts:
        if part["type"] == "text":
            texts.append(part["text"])
            continue
        if texts:
            items.append(message_item(new_id("msg_"), texts))
            texts = []
        if part["type"] == "tool_call":
            items.append(as_declared(call_item(part["id"] or new_id("call_"), part["name"],
                                               part["arguments"], kinds or {}),
                                     namespaces or {}))
        elif part["type"] == "reasoning":
            # Responses has no signature field and another provider's one must
            # not pose as encrypted_content; redacted_reasoning is dropped alike.
            # A reasoning part without text (another vendor's signature carrier)
            # shows nothing and is no item.
            if part["text"]:
                items.append(reasoning_item(new_id("rs_"), [part["text"]]))
    if texts:
        items.append(message_item(new_id("msg_"), texts))
    if status == "incomplete" and items and "status" in items[-1]:
        items[-1]["status"] = "incomplete"
    return items


def reasoning_text(item):
    """The readable text of a reasoning item: its summary, else its raw
    ``reasoning_text`` content (what open-weight models send)."""
    texts = [s.get("text") or "" for s in item.get("summary") or []]
    if not any(texts):
        texts = [c.get("text") or "" for c in item.get("content") or []]
    return "\n\n".join(t for t in texts if t)


def parse_output(items):
    """``(IR parts, refused)`` of a response's output items.  Hosted tool
    items (web search...) are skipped: a translated request never asks for them."""
    parts, refused = [], False
    for item in items:
        kind = item.get("type")
        if kind == "message":
            for piece in item.get("content") or []:
                refused = refused or piece.get("type") == "refusal"
                parts.append(text(piece.get("text") or piece.get("refusal") or ""))
        elif kind == "function_call":
            parts.append(tool_call(item.get("call_id"),
                                   flat_name(item.get("namespace"), item.get("name")),
                                   item.get("arguments") or ""))
        elif kind == "custom_tool_call":
            parts.append(parse_custom_call(item))
        elif kind == "reasoning" and reasoning_text(item):
            # encrypted_content stays behind: it is OpenAI's, not an IR signature.
            parts.append({"type": "reasoning", "text": reasoning_text(item), "signature": None})
    return parts, refused


def stop_reason(status, incomplete_details, *, tool_calls, refused):
    """IR stop reason of a finished response (None when it failed)."""
    if status == "incomplete":
        reason = (incomplete_details or {}).get("reason")
        return _INCOMPLETE.get(reason, "length")
    if status in ("failed", "cancelled"):
        return None
    if refused:
        return "refusal"
    return "tool_calls" if tool_calls else "stop"


def status_for(stop):
    """``(status, incomplete_details)`` of a response ending with IR stop reason ``stop``."""
    reason = _INCOMPLETE_FOR.get(stop)
    if reason:
        return "incomplete", {"reason": reason}
    return "completed", None
