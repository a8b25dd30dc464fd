"""Anthropic Messages facts the gateway needs beside translation: how a
stream keeps alive, fails and ends, where a raw event holds a tool call,
how a body names its model, and the count endpoint's shapes."""
import re

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


def with_model(body, model):
    """``body`` naming ``model`` (``body`` itself when it already does)."""
    return body if body.get("model") == model else dict(body, model=model)


def counted_request(body):
    """The generate request a count request counts: the body itself."""
    return body


def count_request(request, model):
    """The count endpoint's body for a rendered generate ``request``."""
    return {k: request[k] for k in _COUNT_FIELDS if k in request}


def parse_count(body):
    """Input tokens of the count endpoint's answer (``{"input_tokens": n}``)."""
    return int(body.get("input_tokens") or 0)
