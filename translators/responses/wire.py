"""OpenAI Responses facts the gateway needs beside translation: how a
stream keeps alive, fails and ends, where a raw event holds a tool call,
how a body names its model, and the input-token count endpoint's shapes."""
import re

from translators.body_wire import counted_request, with_model  # noqa: F401
from translators.body_wire import parse_input_tokens as parse_count  # noqa: F401

# An SSE comment (ignored by every SSE parser, WHATWG "Server-sent events").
KEEPALIVE = b": keep-alive\n\n"

# The last event of a complete stream: response.completed, .incomplete or
# .failed (API reference, "Streaming events"); an error event ends it too.
STREAM_END = re.compile(rb"response\.(completed|incomplete|failed)|^event: ?error", re.M)

# Responses keeps the conversation in ``input`` (a string, or items whose
# ``content`` holds ``input_text`` parts).
TURNS_KEY, TURN_PARTS_KEY = "input", "content"

# Present in the raw bytes of every event that starts a function call.
TOOL_CALL_MARK = b'"function_call"'

TOOL_CALL_SIGNATURES = False

# POST /responses/input_tokens takes the input side of a request only
# (API reference, "Get input token counts").
_COUNT_FIELDS = ("model", "input", "instructions", "tools", "tool_choice",
                 "parallel_tool_calls", "reasoning", "text", "truncation")

# The OpenAI SDK reads a request's id from ``x-request-id``
# (``APIStatusError.request_id``): the gateway's X-Request-Id is that header.
REQUEST_ID_HEADER = None

# Request headers that are OpenAI's own (API reference "Overview":
# OpenAI-Organization, OpenAI-Project; OpenAI-Beta): sent to OpenAI-dialect
# upstreams only.
HEADER_PREFIXES = ("openai-",)


def is_error_event(name, data):
    """Whether one SSE event (its name, its data text) is the stream's error:
    an ``error`` event, or ``response.failed``."""
    return name == "error" or name == "response.failed"


def stream_tool_calls(data):
    """``[(name, call_id)]`` of function calls a parsed stream event starts."""
    item = data.get("item") or {}
    if data.get("type") == "response.output_item.added" and item.get("type") == "function_call":
        return [(item.get("name"), item.get("call_id"))]
    return []


def count_request(request, model):
    """The count endpoint's body for a rendered generate ``request``."""
    return {k: request[k] for k in _COUNT_FIELDS if k in request}
