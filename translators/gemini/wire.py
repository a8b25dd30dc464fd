"""Gemini generateContent facts the gateway needs beside translation: how a
stream keeps alive, fails and ends, where a raw event holds a tool call,
that the model is named in the URL, and countTokens' shapes."""
import re

# An SSE comment (ignored by every SSE parser, WHATWG "Server-sent events").
KEEPALIVE = b": keep-alive\n\n"

# The last chunk of a complete stream has a finishReason; Gemini's SSE has
# no error event, a failed stream's last chunk is an error object.
STREAM_END = re.compile(rb'"finishReason"|^data: ?\[?\{"error"', re.M)

# generateContent keeps the conversation in ``contents``, each turn's text
# in ``parts[].text``.
TURNS_KEY, TURN_PARTS_KEY = "contents", "parts"

# Present in the raw bytes of every chunk that carries a function call.
TOOL_CALL_MARK = b'"functionCall"'

# Gemini 3 wants each functionCall part of the history back with its
# thoughtSignature (Gemini API, "Thought signatures"); clients of other
# dialects cannot carry it, so the gateway keeps it for them.
TOOL_CALL_SIGNATURES = True

# google-genai reads no request id header: X-Request-Id alone.
REQUEST_ID_HEADER = None

# Request headers that are Google's own (x-goog-api-client,
# x-goog-user-project, ...): sent to Gemini upstreams only.
HEADER_PREFIXES = ("x-goog-",)


def is_error_event(name, data):
    """Whether one SSE event (its name, its data text) is the stream's error:
    an error object as a data line."""
    return name == "error" or data.lstrip().startswith('{"error"')


def stream_tool_calls(data):
    """``[(name, id)]`` of function calls in a parsed chunk."""
    return [(part["functionCall"].get("name"), part["functionCall"].get("id"))
            for cand in data.get("candidates") or []
            for part in (cand.get("content") or {}).get("parts") or []
            if part.get("functionCall")]


def with_model(body, model):
    """``body`` itself: the model is named in the URL, not the body."""
    return body


def counted_request(body):
    """The generate request a countTokens body counts: ``{contents}`` or a
    whole ``{generateContentRequest}`` (API reference, models.countTokens)."""
    if "generateContentRequest" in body:
        return body["generateContentRequest"]
    return body


def count_request(request, model):
    """countTokens' body for a rendered generate ``request``: the whole
    GenerateContentRequest, so tools and system instruction count too."""
    return {"generateContentRequest": dict(request, model=f"models/{model}")}


def parse_count(body):
    """Tokens of countTokens' answer (``{"totalTokens": n}``)."""
    return int(body.get("totalTokens") or 0)
