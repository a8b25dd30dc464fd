"""Gemini's JSON-array stream framing (streamGenerateContent without alt=sse)."""
import json

from proxy.wire import json_array
from proxy.relay.reply import Reply

EVENTS = [{"candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}}]},
          {"candidates": [{"content": {"role": "model", "parts": [{"text": "lo"}]},
                           "finishReason": "STOP"}],
           "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2}}]


def _sse(*payloads):
    return [f"data: {json.dumps(p)}\r\n\r\n".encode() for p in payloads]


def test_events_become_one_json_array_in_order():
    out = b"".join(json_array.reframe(iter(_sse(*EVENTS))))
    assert json.loads(out) == EVENTS
    assert out.startswith(b"[{") and out.endswith(b"}\n]") and b"}\n,\r\n{" in out


def test_each_element_leaves_as_soon_as_its_event_is_complete():
    whole = b"".join(_sse(*EVENTS))
    framer = json_array.ArrayFramer()
    cut = len(_sse(EVENTS[0])[0]) - 3               # inside the first event's terminator
    assert framer.feed(whole[:cut]) == b""
    first = framer.feed(whole[cut:cut + 5])
    assert first.startswith(b"[") and json.loads(first[1:]) == EVENTS[0]
    rest = framer.feed(whole[cut + 5:]) + framer.close()
    assert json.loads(first + rest) == EVENTS


def test_keepalive_comments_are_dropped_and_no_event_is_an_empty_array():
    chunks = [b": keep-alive\n\n", *_sse(EVENTS[0]), b": keep-alive\n\n"]
    assert json.loads(b"".join(json_array.reframe(iter(chunks)))) == [EVENTS[0]]
    assert b"".join(json_array.reframe(iter([b": keep-alive\n\n"]))) == b"[]"


def test_closing_the_array_stream_closes_the_sse_stream():
    closed = []

    def upstream():
        try:
            yield from _sse(*EVENTS)
        finally:
            closed.append(True)
    stream = json_array.reframe(upstream())
    next(stream)
    stream.close()
    assert closed == [True]


def test_alt_sse_keeps_events_anything_else_gets_the_array():
    assert not json_array.wants_array({"alt": "sse"})
    assert json_array.wants_array({}) and json_array.wants_array({"alt": "json"})


def test_array_reply_is_json():
    reply = json_array.array_reply(Reply(200, [("Cache-Control", "no-cache")], iter(_sse(*EVENTS)),
                                         content_type="text/event-stream"))
    assert reply.content_type == "application/json; charset=UTF-8" and reply.streamed
    assert json.loads(b"".join(reply.body)) == EVENTS
