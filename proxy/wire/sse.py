"""Server-sent events: split a byte stream into events, parse, encode.

Splitting works on raw bytes so same-dialect streams are relayed exactly as
received, one whole event at a time (WHATWG HTML "Server-sent events":
events end at a blank line; lines end in CRLF, LF or CR).
"""
import re

import orjson

_BOUNDARY = re.compile(rb"\r\n\r\n|\n\n|\r\r")


class EventSplitter:
    """Feed byte chunks, get back complete raw events (blank line included)."""

    def __init__(self):
        self._buf = b""

    def feed(self, chunk):
        buf = self._buf + chunk if self._buf else chunk
        events = []
        start = 0
        for match in _BOUNDARY.finditer(buf):
            events.append(buf[start:match.end()])
            start = match.end()
        self._buf = buf[start:]
        return events

    def flush(self):
        """What follows the last blank line: an event the upstream did not
        terminate, or stray line ends (kept: a relayed stream loses no byte)."""
        rest, self._buf = self._buf, b""
        return [rest] if rest else []


def parse(raw):
    """``(event_name | None, data | None)`` of one raw event.

    ``data`` joins multiple ``data:`` lines with newlines; comment-only
    events (keep-alives) give ``(None, None)``.
    """
    name = None
    data = []
    for line in raw.decode("utf-8", "replace").splitlines():
        if not line or line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return name, ("\n".join(data) if data else None)


def decode_data(data):
    """Parsed JSON of an event's data, or the raw string (e.g. ``[DONE]``)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return data


def encode(name, payload):
    """One event as bytes; ``payload`` is a dict or a verbatim string."""
    body = payload if isinstance(payload, str) else orjson.dumps(payload).decode()
    if name:
        return f"event: {name}\ndata: {body}\n\n".encode()
    return f"data: {body}\n\n".encode()

