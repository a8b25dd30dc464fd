"""Anthropic Messages responses (``type: "message"``) <-> IR responses."""
from translators import ir, signatures

from .content import load_arguments, message_id, parse_block, render_block, tool_use_id
from .usage import parse_usage, usage_from_ir

_STOP_TO_IR = {
    "end_turn": "stop", "max_tokens": "length", "stop_sequence": "stop_sequence",
    "tool_use": "tool_calls", "pause_turn": "pause", "refusal": "refusal",
    "model_context_window_exceeded": "length",
}
_STOP_FROM_IR = {
    "stop": "end_turn", "length": "max_tokens", "stop_sequence": "stop_sequence",
    "tool_calls": "tool_use", "content_filter": "refusal", "refusal": "refusal",
    "pause": "pause_turn",
}

# Blocks of a response that other dialects can carry.  Server-tool blocks
# (server_tool_use, web_search_tool_result...) are dropped: Anthropic ran
# those tools itself and the answer's text already reports what they found.
_ANSWER_BLOCKS = ("text", "thinking", "redacted_thinking", "tool_use")


def stop_reason_to_ir(reason):
    return _STOP_TO_IR.get(reason) if reason else None


def stop_reason_from_ir(reason, called_tool):
    """Anthropic's stop reason; clients run tools only on ``tool_use``, which
    some upstreams (Gemini: STOP) do not say when they call one."""
    if reason in (None, "stop") and called_tool:
        return "tool_use"
    return _STOP_FROM_IR.get(reason, "end_turn")


def parse_response(body):
    """An Anthropic Messages response body as an IR response."""
    resp = ir.new_response(body.get("model"))
    resp["id"] = body.get("id")
    resp["content"] = [parse_block(block) for block in body.get("content") or []
                       if block.get("type") in _ANSWER_BLOCKS]
    resp["stop_reason"] = stop_reason_to_ir(body.get("stop_reason"))
    resp["stop_sequence"] = body.get("stop_sequence")
    resp["usage"] = parse_usage(body)
    return resp


def render_response(resp, model, request):
    """An IR response as the Anthropic Messages body a client expects.

    ``request`` is unused: an Anthropic response echoes nothing of it.
    """
    content = [block for block in map(_render_answer_block, resp["content"]) if block]
    called_tool = any(block["type"] == "tool_use" for block in content)
    reason = stop_reason_from_ir(resp.get("stop_reason"), called_tool)
    return {
        "id": message_id(resp.get("id")), "type": "message", "role": "assistant",
        "model": model, "content": content, "stop_reason": reason,
        "stop_sequence": resp.get("stop_sequence") if reason == "stop_sequence" else None,
        "usage": usage_from_ir(resp.get("usage")),
    }


def _render_answer_block(part):
    kind = part["type"]
    if kind == "reasoning":
        # Shown even without a signature (other dialects have none); an empty
        # signature is no invented one, and the request renderer leaves such
        # blocks out when the client sends them back.
        # Another vendor's signature travels tagged (translators/signatures.py).
        signature = signatures.for_client(part.get("signature"), part.get("origin"), "claude")
        return {"type": "thinking", "thinking": part["text"], "signature": signature or ""}
    if kind == "tool_call":
        return {"type": "tool_use", "id": tool_use_id(part["id"]), "name": part["name"],
                "input": load_arguments(part["arguments"])}
    if kind in ("image", "document"):
        # An Anthropic answer holds no media blocks (e.g. Gemini image output).
        return None
    return render_block(part)


def render_count_tokens(n):
    """The ``POST /v1/messages/count_tokens`` answer."""
    return {"input_tokens": n}
