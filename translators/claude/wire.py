"""Anthropic Messages facts the gateway needs beside translation: how a
stream keeps alive, fails and ends, where a raw event holds a tool call,
how a body names its model, and the count endpoint's shapes."""
import re

from translators.body_wire import counted_request, with_model  # noqa: F401
from translators.body_wire import parse_input_tokens as parse_count  # noqa: F401

# Idle streams carry `event: ping` (Messages API, "Streaming Messages":
# "Event streams may also include any number of ping events").
KEEPALIVE = b'event: ping\ndata: {"type": "ping"}\n\n'

# The last data event of a complete stream: message_stop; an error event
# ends a stream too.
STREAM_END = re.compile(rb"message_stop|^event: ?error", re.M)

# Anthropic Messages keeps the conversation in ``messages``, each turn's
# text in ``content`` (a string or content blocks).
TURNS_KEY, TURN_PARTS_KEY = "messages", "content"

# Present in the raw bytes of every event that starts a tool call.
TOOL_CALL_MARK = b'"tool_use"'

# Tool calls carry no signature the gateway must keep for the next turn
# (thinking signatures travel in the client's own history).
TOOL_CALL_SIGNATURES = False

# Fields POST /v1/messages/count_tokens accepts (API reference, "Count
# Message tokens").
_COUNT_FIELDS = ("model", "messages", "system", "tools", "tool_choice", "thinking")

# The header an Anthropic SDK reads a request's id from (API reference,
# "Errors": "Every API response includes a unique request-id header");
# the gateway sends its own id there too, beside X-Request-Id.
REQUEST_ID_HEADER = "request-id"

# Request headers that are Anthropic's own (API reference "Versioning",
# "Beta headers"; Claude Code's session id): sent to Anthropic upstreams only.
HEADER_PREFIXES = ("anthropic-", "x-claude-code-")


def is_error_event(name, data):
    """Whether one SSE event (its name, its data text) is the stream's error."""
    return name == "error"


def stream_tool_calls(data):
    """``[(name, id)]`` of tool calls a parsed stream event starts."""
    block = data.get("content_block") or {}
    if block.get("type") == "tool_use":
        return [(block.get("name"), block.get("id"))]
    return []


def count_request(request, model):
    """The count endpoint's body for a rendered generate ``request``."""
    return {k: request[k] for k in _COUNT_FIELDS if k in request}
