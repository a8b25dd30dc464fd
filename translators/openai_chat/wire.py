"""OpenAI Chat Completions facts the gateway needs beside translation: how a
stream keeps alive, fails and ends, where a raw event holds a tool call, and
how a body names its model.  Chat Completions has no token-count endpoint."""
import re

from translators.body_wire import counted_request, with_model  # noqa: F401
from translators.ir import TranslationError

# An SSE comment (ignored by every SSE parser, WHATWG "Server-sent events").
KEEPALIVE = b": keep-alive\n\n"

# The last data event of a complete stream: `data: [DONE]`; servers that
# omit it still sent a finish_reason or the usage chunk.  A stream that
# fails ends with an error object as its last data line.
STREAM_END = re.compile(rb'\[DONE\]|"finish_reason":\s*"|"usage":\s*\{|^data: ?\{"error"', re.M)

# Chat Completions keeps the conversation in ``messages``, each turn's
# text in ``content`` (a string or text parts).
TURNS_KEY, TURN_PARTS_KEY = "messages", "content"

# Present in the raw bytes of every chunk that carries a tool call.
TOOL_CALL_MARK = b'"tool_calls"'

TOOL_CALL_SIGNATURES = False

# The OpenAI SDK reads a request's id from ``x-request-id``
# (``APIStatusError.request_id``): the gateway's X-Request-Id is that header.
REQUEST_ID_HEADER = None

# Request headers that are OpenAI's own (API reference "Overview":
# OpenAI-Organization, OpenAI-Project; OpenAI-Beta): sent to OpenAI-dialect
# upstreams only.
HEADER_PREFIXES = ("openai-",)


def is_error_event(name, data):
    """Whether one SSE event (its name, its data text) is the stream's error:
    there is no error event, an error object comes as a data line."""
    return name == "error" or data.lstrip().startswith('{"error"')


def stream_tool_calls(data):
    """``[(name, id)]`` of tool calls a parsed chunk starts (only a call's
    first delta carries its id)."""
    return [((call.get("function") or {}).get("name"), call["id"])
            for choice in data.get("choices") or []
            for call in (choice.get("delta") or {}).get("tool_calls") or []
            if call.get("id")]


def count_request(request, model):
    raise TranslationError("Chat Completions upstreams have no token-count endpoint.")


def parse_count(body):
    raise TranslationError("Chat Completions upstreams have no token-count endpoint.")
