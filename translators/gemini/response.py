"""Gemini ``GenerateContentResponse`` bodies <-> IR responses, and usage.

Only the first candidate is translated: the IR response has one content
list (``candidateCount`` > 1 answers keep their first candidate).
"""
import base64
import os

from translators import ir

from .keys import enum, get
from .parts import parse_parts, render_part

# finishReason -> IR stop reason.  Gemini has no "tool calls" reason: a STOP
# whose content holds function calls is IR ``tool_calls``.  Reasons missing
# here (OTHER, MALFORMED_FUNCTION_CALL, LANGUAGE...) end the turn: "stop".
_STOP_REASONS = {
    "STOP": "stop", "MAX_TOKENS": "length",
    **dict.fromkeys(("SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
                     "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION",
                     "MODEL_ARMOR"), "content_filter"),
}

_FINISH_REASONS = {"length": "MAX_TOKENS", "content_filter": "SAFETY", "refusal": "SAFETY"}


def parse_stop_reason(finish_reason, has_tool_calls):
    """IR stop reason of a Gemini ``finishReason`` (None while unfinished)."""
    if not finish_reason:
        return None
    reason = _STOP_REASONS.get(finish_reason, "stop")
    return "tool_calls" if reason == "stop" and has_tool_calls else reason


def render_finish_reason(stop_reason):
    """Gemini ``finishReason`` for an IR stop reason (STOP covers the rest)."""
    return _FINISH_REASONS.get(stop_reason, "STOP")


def first_candidate(body):
    """Candidate 0 (a stream chunk may carry only another candidate's delta)."""
    candidates = get(body, "candidates") or []
    return next((c for c in candidates if (get(c, "index") or 0) == 0), {})


def prompt_blocked(body):
    """True when Gemini refused the prompt itself (``promptFeedback``)."""
    return bool(get(get(body, "promptFeedback"), "blockReason"))


def parse_response(body):
    """A whole Gemini response as an IR response."""
    response = ir.new_response(get(body, "modelVersion"))
    response["id"] = get(body, "responseId")
    candidate = first_candidate(body)
    parts = get(get(candidate, "content"), "parts") or []
    response["content"] = parse_parts(parts)
    has_calls = any(p["type"] == "tool_call" for p in response["content"])
    response["stop_reason"] = ("content_filter" if prompt_blocked(body)
                               else parse_stop_reason(enum(candidate, "finishReason"), has_calls))
    response["usage"] = parse_usage(body)
    return response


def render_response(response, model, request):
    """An IR response as the Gemini body a client expects.

    Nothing of ``request`` is echoed: Gemini answers carry only the model.
    """
    parts = [p for p in (render_part(part, {}, client=True) for part in response["content"])
             if p and p != {"text": ""}]
    body = {"candidates": [{"content": {"role": "model", "parts": parts},
                            "finishReason": render_finish_reason(response.get("stop_reason")),
                            "index": 0}],
            "modelVersion": model, "responseId": new_response_id()}
    if response.get("usage"):
        body["usageMetadata"] = render_usage(response["usage"])
    return body


def new_response_id():
    """A ``responseId`` shaped like Gemini's (about 22 base64url characters)."""
    return base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")


def parse_usage(obj):
    """IR usage of a response body or stream chunk; None without ``usageMetadata``.

    ``promptTokenCount`` includes ``cachedContentTokenCount`` but not
    ``toolUsePromptTokenCount``; ``candidatesTokenCount`` excludes
    ``thoughtsTokenCount`` (``totalTokenCount`` is the sum of all four).
    """
    meta = get(obj, "usageMetadata")
    if not isinstance(meta, dict):
        return None
    prompt, tool_use, candidates, cached, thoughts = (get(meta, name) or 0 for name in (
        "promptTokenCount", "toolUsePromptTokenCount", "candidatesTokenCount",
        "cachedContentTokenCount", "thoughtsTokenCount"))
    return ir.usage(input_tokens=prompt + tool_use, output_tokens=candidates + thoughts,
                    cached_tokens=cached, reasoning_tokens=thoughts)


def render_usage(usage):
    """IR usage as ``usageMetadata`` (cache writes have no field; they stay
    counted in ``promptTokenCount``)."""
    meta = {"promptTokenCount": usage["input_tokens"],
            "candidatesTokenCount": usage["output_tokens"] - usage["reasoning_tokens"],
            "totalTokenCount": usage["input_tokens"] + usage["output_tokens"]}
    if usage["cached_tokens"]:
        meta["cachedContentTokenCount"] = usage["cached_tokens"]
    if usage["reasoning_tokens"]:
        meta["thoughtsTokenCount"] = usage["reasoning_tokens"]
    return meta


def render_count_tokens(n):
    """The ``:countTokens`` answer (``CountTokensResponse``); its optional
    ``cachedContentTokenCount`` and ``promptTokensDetails`` are not known here."""
    return {"totalTokens": n}
