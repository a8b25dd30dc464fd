"""Scanning stream events in passing: usage, tool calls, error and end markers.

Same-dialect streams are relayed as raw bytes; only events that can hold
usage or a tool call (a cheap substring test) are parsed, so the hot path
stays free of JSON work for plain text deltas.
"""
import translators
from proxy.wire import sse

# Substrings marking an event worth parsing for a tool call, per dialect.
_TOOL_MARKS = {name: translators.dialect(name).TOOL_CALL_MARK for name in translators.DIALECTS}


def plain(dialect, raw):
    """True only when no event in ``raw`` (whole raw events, joined) would
    be parsed by ``scan_raw``: no tool-call mark, and every "usage" is part
    of a ``"usage":null`` (neither spans the blank line between two events,
    and each null marker holds one "usage", so equal counts mean no event
    has usage of its own).  False may still be nothing to parse (an event
    with both): the caller then asks each event."""
    return _TOOL_MARKS[dialect] not in raw \
        and raw.count(b"usage") == raw.count(b'"usage":null')


def scan_raw(dialect, raw, observer, tracker, parsed=None):
    """Note usage / tool calls in one raw same-dialect event; returns the
    parsed data when it was parsed (else None).  ``parsed``: the event's
    ``(name, data)`` when the caller has SSE-parsed it already."""
    has_usage = b"usage" in raw and b'"usage":null' not in raw
    has_tool = _TOOL_MARKS[dialect] in raw
    if not (has_usage or has_tool):
        return None
    _, text = parsed or sse.parse(raw)
    data = sse.decode_data(text) if text is not None else None
    if not isinstance(data, dict):
        return None
    if has_usage:
        tracker.feed(data)
    if has_tool:
        for name, call_id in translators.dialect(dialect).stream_tool_calls(data):
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
    """The same, for translated streams, from IR events: tool calls as
    their blocks start, usage as the decoder reports it (cumulative, the
    latest wins, as ``UsageTracker`` merges it for raw events)."""
    kind = event["type"]
    if kind == "block_start" and event["block"]["type"] == "tool_call":
        observer.tool_call(event["block"]["name"], event["block"]["id"])
    elif kind == "usage" or (kind == "start" and event.get("usage")):
        observer.usage(dict(event["usage"]))


def ends_complete(dialect, batch):
    """Whether the last data event in ``batch`` (raw events, the stream's
    last batch) is one a complete stream of ``dialect`` ends with.  Only the
    end of the stream is looked at: no per-event work."""
    for raw in reversed(batch):
        if b"data:" in raw:
            return translators.dialect(dialect).STREAM_END.search(raw) is not None
    return True     # only comments in the last read: nothing to judge by
