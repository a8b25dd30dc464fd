"""Gemini's other stream framing: one JSON array, element by element.

``streamGenerateContent`` answers server-sent events only when asked with
``?alt=sse`` (what the google-genai SDKs and Gemini CLI send).  Without it
(or with ``alt=json``) the Gemini API streams a single JSON array instead,
``Content-Type: application/json``: ``[`` then each GenerateContentResponse
as it is ready, separated by ``,`` and closed with ``]`` once the answer is
complete -- clients parse it incrementally or whole.

Switchyard always streams SSE inside (upstreams are asked with
``alt=sse``); ``ArrayFramer`` re-frames the client-bound events at the
edge, without parsing their JSON.  SSE comments (keep-alives) have no
place in JSON and are dropped, as the Gemini API itself sends none.
"""
import dataclasses

from proxy.wire import sse

# Element separators as the Gemini API writes them (elements end in a newline).
_OPEN, _NEXT, _CLOSE = b"[", b"\n,\r\n", b"\n]"


def wants_array(query):
    """Whether a streamGenerateContent client asked for the JSON-array framing."""
    return query.get("alt", "json") != "sse"


class ArrayFramer:
    """Feed SSE bytes (events may span chunks), get the JSON-array bytes."""

    def __init__(self):
        self._splitter = sse.EventSplitter()
        self._started = False

    def feed(self, chunk):
        return self._frame(self._splitter.feed(chunk))

    def close(self):
        """What is left, and the closing bracket (``[]`` for no events)."""
        tail = self._frame(self._splitter.flush())
        return tail + (_CLOSE if self._started else b"[]")

    def _frame(self, events):
        out = []
        for raw in events:
            _name, data = sse.parse(raw)
            if data is None:
                continue
            out.append((_NEXT if self._started else _OPEN) + data.encode())
            self._started = True
        return b"".join(out)


def array_reply(reply):
    """A streaming SSE ``proxy.relay.reply.Reply`` re-framed as a JSON array."""
    return dataclasses.replace(reply, body=reframe(reply.body),
                               content_type="application/json; charset=UTF-8")


def reframe(chunks):
    """An iterator of SSE byte chunks as an iterator of JSON-array bytes;
    closing it closes ``chunks`` (a client that leaves frees the upstream)."""
    framer = ArrayFramer()
    try:
        for chunk in chunks:
            out = framer.feed(chunk)
            if out:
                yield out
        yield framer.close()
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
