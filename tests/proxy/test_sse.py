"""SSE splitting and parsing over arbitrary chunk boundaries."""
import pytest

from proxy.wire import sse

STREAM = (b"event: message_start\ndata: {\"a\": 1}\n\n"
          b": keep-alive\n\n"
          b"data: line one\ndata: line two\n\n"
          b"data: {\"b\": 2}\r\n\r\n"
          b"data: [DONE]\n\n")


@pytest.mark.parametrize("size", [1, 2, 7, 1000])
def test_split_is_independent_of_chunking(size):
    splitter = sse.EventSplitter()
    events = []
    for i in range(0, len(STREAM), size):
        events += splitter.feed(STREAM[i:i + size])
    events += splitter.flush()
    assert b"".join(events) == STREAM          # bytes relayed exactly
    parsed = [sse.parse(e) for e in events]
    assert parsed == [("message_start", '{"a": 1}'), (None, None),
                      (None, "line one\nline two"), (None, '{"b": 2}'), (None, "[DONE]")]


def test_unterminated_last_event_is_flushed():
    splitter = sse.EventSplitter()
    assert splitter.feed(b"data: x") == []
    assert splitter.flush() == [b"data: x"]


def test_stray_line_ends_after_the_last_event_are_kept():
    splitter = sse.EventSplitter()
    events = splitter.feed(b"event: message_stop\ndata: {}\n\n") + splitter.feed(b"\n")
    assert events + splitter.flush() == [b"event: message_stop\ndata: {}\n\n", b"\n"]


def test_decode_and_encode():
    assert sse.decode_data('{"x": [1]}') == {"x": [1]}
    assert sse.decode_data("[DONE]") == "[DONE]"
    assert sse.encode("ping", {"type": "ping"}) == b'event: ping\ndata: {"type":"ping"}\n\n'
    assert sse.encode(None, "[DONE]") == b"data: [DONE]\n\n"
