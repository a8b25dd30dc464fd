"""Scanning stream events in passing: usage, tool calls, error and end markers.

Same-dialect streams are relayed as raw bytes; only events that can hold
usage or a tool call (a cheap substring test) are parsed, so the hot path
stays free of JSON work for plain text deltas.
"""
import re

import translators
from proxy.wire.sse import decode_data, parse

# Substrings marking an event worth parsing, per dialect.
_TOOL_MARKS = {
    "openai": b'"tool_calls"', "claude": b'"tool_use"',
    "responses": b'"function_call"', "gemini": b'"functionCall"',
}


def scan_raw(dialect, raw, observer, tracker):
    """Note usage / tool calls in one raw same-dialect event; returns the
    parsed data when it was parsed (else None)."""
    has_usage = b"usage" in raw and b'"usage":null' not in raw
    has_tool = _TOOL_MARKS[dialect] in raw
    if not (has_usage or has_tool):
        return None
    data = _data_of(raw)
    if not isinstance(data, dict):
        return None
    if has_usage:
        tracker.feed(data)
    if has_tool:
        for name, call_id in _tool_calls(dialect, data):
            observer.tool_call(name, call_id)
    return data


class UsageTracker:
    """Merges the usage a stream reports piecemeal, then tells the observer.

    Counts are cumulative, but a later event may omit what an earlier one
    gave: Anthropic's ``message_delta`` usage often carries only
    ``output_tokens``, its input and cache counts were in ``message_start``.
    So a field's latest non-zero value wins.
    """

    def __init__(self, dialect, observer):
        self.dialect = dialect
        self.observer = observer
        self.merged = None

    def feed(self, data):
        if not isinstance(data, dict):
            return
        usage = translators.dialect(self.dialect).parse_usage(data)
        if not usage:
            return
        if self.merged is None:
            self.merged = dict(usage)
        else:
            self.merged.update({k: v for k, v in usage.items() if v})
        self.observer.usage(dict(self.merged))


def scan_ir(event, observer):
    """The same, for translated streams, from IR events."""
    if event["type"] == "block_start" and event["block"]["type"] == "tool_call":
        observer.tool_call(event["block"]["name"], event["block"]["id"])


def is_error_event(dialect, name, data):
    """Whether a raw event's data is the dialect's error signal."""
    if name == "error" or (dialect == "responses" and name == "response.failed"):
        return True
    return dialect in ("openai", "gemini") and data.lstrip().startswith('{"error"')


def _data_of(raw):
    _, data = parse(raw)
    return decode_data(data) if data is not None else None


def _tool_calls(dialect, data):
    if dialect == "claude":
        block = data.get("content_block") or {}
        if block.get("type") == "tool_use":
            yield block.get("name"), block.get("id")
    elif dialect == "openai":
        for choice in data.get("choices") or []:
            for call in (choice.get("delta") or {}).get("tool_calls") or []:
                if call.get("id"):
                    yield (call.get("function") or {}).get("name"), call["id"]
    elif dialect == "responses":
        item = data.get("item") or {}
        if data.get("type") == "response.output_item.added" and item.get("type") == "function_call":
            yield item.get("name"), item.get("call_id")
    else:
        for cand in data.get("candidates") or []:
            for part in (cand.get("content") or {}).get("parts") or []:
                call = part.get("functionCall")
                if call:
                    yield call.get("name"), call.get("id")


# What the last data event of a complete stream holds, per dialect: Chat
# Completions ends with `data: [DONE]` (servers that omit it still sent a
# finish_reason or the usage chunk); Anthropic with message_stop; Responses
# with response.completed / .incomplete / .failed; Gemini's last chunk has a
# finishReason.  An error event is an ending too (already relayed).
_COMPLETE = {
    "openai": re.compile(rb'\[DONE\]|"finish_reason":\s*"|"usage":\s*\{|^data: ?\{"error"', re.M),
    "claude": re.compile(rb"message_stop|^event: ?error", re.M),
    "responses": re.compile(rb"response\.(completed|incomplete|failed)|^event: ?error", re.M),
    "gemini": re.compile(rb'"finishReason"|^data: ?\[?\{"error"', re.M),
}


def ends_complete(dialect, batch):
    """Whether the last data event in ``batch`` (raw events, the stream's
    last batch) is one a complete stream of ``dialect`` ends with.  Only the
    end of the stream is looked at: no per-event work."""
    for raw in reversed(batch):
        if b"data:" in raw:
            return _COMPLETE[dialect].search(raw) is not None
    return True     # only comments in the last read: nothing to judge by
