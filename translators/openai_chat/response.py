"""Whole (non-streamed) chat completions <-> IR responses.

Shape per the API reference, "The chat completion object".  Only the first
choice travels: the IR holds one answer, so ``n > 1`` answers from an
OpenAI upstream keep choice 0.
"""
from translators.ir import new_id, new_response, now

from . import custom
from .messages import parse_assistant, render_assistant
from .usage import parse_usage, render_usage

# "sensitive": GLM and other OpenAI-compatible servers say so when their
# moderation cut the answer, which is OpenAI's content_filter.
_STOP_REASONS = {"stop": "stop", "length": "length", "tool_calls": "tool_calls",
                 "function_call": "tool_calls", "content_filter": "content_filter",
                 "sensitive": "content_filter"}

# OpenAI cannot say why a turn stopped beyond its four reasons: a stop
# sequence is a natural "stop"; a refusal is the content filter speaking;
# Anthropic's "pause" (pause_turn) has no resume in Chat Completions, so "stop".
_FINISH_REASONS = {"stop": "stop", "stop_sequence": "stop", "pause": "stop",
                   "length": "length", "tool_calls": "tool_calls",
                   "content_filter": "content_filter", "refusal": "content_filter"}


def stop_reason_of(finish_reason, *, tool_calls=False, refusal=False):
    """IR stop reason of an OpenAI ``finish_reason`` (None while unknown)."""
    if finish_reason is None:
        return None
    reason = _STOP_REASONS.get(finish_reason, "stop")
    if reason == "stop" and refusal:
        return "refusal"
    if reason == "stop" and tool_calls:
        # Some compatible servers (vLLM, Gemini's OpenAI endpoint) say "stop"
        # after tool calls; clients loop on "tool_calls".
        return "tool_calls"
    return reason


def finish_reason_for(stop_reason, *, tool_calls=False):
    """OpenAI ``finish_reason`` of an IR stop reason."""
    if tool_calls and stop_reason in (None, "stop", "pause"):
        # Gemini ends function-calling turns with STOP; OpenAI clients run
        # the tools only on "tool_calls".
        return "tool_calls"
    return _FINISH_REASONS.get(stop_reason, "stop")


def completion_id(ir_id):
    """``ir_id`` when it already is a Chat Completions id, else a new one."""
    if isinstance(ir_id, str) and ir_id.startswith("chatcmpl-"):
        return ir_id
    return new_id("chatcmpl-")


def parse_response(body):
    """The IR of an upstream ``chat.completion`` body (first choice)."""
    ir = new_response(body.get("model"))
    ir["id"], ir["created"] = body.get("id"), body.get("created")
    choices = sorted(body.get("choices") or [], key=lambda c: c.get("index", 0))
    choice = choices[0] if choices else {}
    message = choice.get("message") or {}
    ir["content"] = parse_assistant(message)
    ir["stop_reason"] = stop_reason_of(
        choice.get("finish_reason"), tool_calls=bool(message.get("tool_calls")),
        refusal=bool(message.get("refusal")))
    ir["usage"] = parse_usage(body)
    return ir


def render_response(ir, model, request):
    """A ``chat.completion`` body answering as ``model``.

    ``request`` says which tools the client declared as custom (their calls
    are custom calls); a chat completion echoes nothing else of it.
    """
    message = dict(render_assistant(ir["content"], custom.names(request)), refusal=None)
    has_calls = "tool_calls" in message
    body = {
        "id": completion_id(ir["id"]), "object": "chat.completion",
        "created": ir["created"] or now(), "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": finish_reason_for(ir["stop_reason"], tool_calls=has_calls)}],
    }
    if ir["usage"]:
        body["usage"] = render_usage(ir["usage"])
    return body


def render_count_tokens(n):
    """Chat Completions has no token-counting endpoint; the gateway answers
    ``{"input_tokens": n}``, the field name OpenAI's Responses
    ``input_tokens`` endpoint and Anthropic's ``count_tokens`` both use."""
    return {"input_tokens": n}
