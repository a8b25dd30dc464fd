"""proxy.relay.streaming: the upstream response is released however the stream ends."""
from types import SimpleNamespace

from proxy import config as config_mod
from proxy.relay import streaming
from proxy.http.front import FrontRequest
from tests.fakes.transport import Response

EVENTS = (b'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n'
          b'data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\n'
          b"data: [DONE]\n\n")
CRED = SimpleNamespace(id="c1", dialect="openai", kind="openai-compat", api_key="sk-test-key-123",
                       display_name="'fake' (127.0.0.1:1)", short_name="'fake'")


def FakeResponse(body):
    return Response(200, {"x-request-id": "up-1"}, stream=[body])


class Observer:
    def __init__(self):
        self.settled = None

    def first_byte(self):
        pass

    def usage(self, usage):
        pass

    def tool_call(self, name, call_id):
        pass

    def settle(self, status, *, error_class=None):
        self.settled = (status, error_class)


def _open(resp, observer):
    front = FrontRequest(dialect="openai", action="generate", model="m",
                         body={"model": "m", "stream": True}, raw=b"", stream=True,
                         headers={}, request_id="r1")
    config = config_mod.build({})
    return streaming.from_upstream(front, CRED, resp, config, observer, same=True)


def test_a_stream_read_to_the_end_settles_200_and_releases_the_response():
    resp, observer = FakeResponse(EVENTS), Observer()
    reply = _open(resp, observer)
    body = b"".join(reply.body)
    assert b"[DONE]" in body and b'"usage"' not in body     # usage chunk asked for by us, hidden
    reply.body.close()
    assert resp.closed and observer.settled == (200, None)


def test_a_stream_closed_before_its_first_write_still_releases_the_response():
    resp, observer = FakeResponse(EVENTS), Observer()
    reply = _open(resp, observer)
    reply.body.close()   # the client left before the body began: the unstarted relay
    # generator runs no finally, but releasing it closes the upstream reader chain
    assert resp.closed


# --- each upstream event parsed once ------------------------------------

CLAUDE_STREAM = open(__file__.rsplit("/", 2)[0] + "/fixtures/passthrough/"
                     "claude_stream_trailing_newlines.sse", "rb").read()
CLAUDE_CRED = SimpleNamespace(id="c2", dialect="claude", kind="claude", api_key="sk-ant-x",
                              display_name="'claude' (127.0.0.1:1)", short_name="'claude'",
                              account=None)


class CountingObserver(Observer):
    def __init__(self):
        super().__init__()
        self.usages = []

    def usage(self, usage):
        self.usages.append(usage)


def _relay(monkeypatch, client_dialect, body):
    """Relay CLAUDE_STREAM to a ``client_dialect`` client; the SSE texts
    parsed and the JSON texts decoded along the way."""
    from proxy.wire import sse
    parsed, decoded = [], []
    parse, decode = sse.parse, sse.decode_data
    monkeypatch.setattr(sse, "parse", lambda raw: parsed.append(raw) or parse(raw))
    monkeypatch.setattr(sse, "decode_data", lambda data: decoded.append(data) or decode(data))
    observer = CountingObserver()
    front = FrontRequest(dialect=client_dialect, action="generate", model="claude-fake",
                         body=body, raw=b"", stream=True, headers={}, request_id="r2")
    reply = streaming.from_upstream(front, CLAUDE_CRED, FakeResponse(CLAUDE_STREAM),
                                    config_mod.build({}), observer, same=client_dialect == "claude")
    out = b"".join(reply.body)
    return out, parsed, decoded, observer


def test_same_dialect_events_are_parsed_at_most_once(monkeypatch):
    out, parsed, decoded, observer = _relay(monkeypatch, "claude", {"model": "claude-fake"})
    assert out == CLAUDE_STREAM
    assert len(parsed) == len(set(parsed))          # message_start: bootstrap and usage alike
    assert len(decoded) == len(set(decoded)) == 2   # only the two events carrying usage
    assert observer.usages[-1]["input_tokens"] == 25 and observer.usages[-1]["output_tokens"] == 5


def test_translated_events_are_parsed_once_and_usage_comes_from_the_decoder(monkeypatch):
    body = {"model": "claude-fake", "messages": [{"role": "user", "content": "hi"}],
            "stream": True}
    out, parsed, decoded, observer = _relay(monkeypatch, "openai", body)
    assert b'"content":"Hello"' in out and out.endswith(b"data: [DONE]\n\n")
    assert len(parsed) == len(set(parsed))               # each raw event once
    assert len(decoded) == len(set(decoded)) == CLAUDE_STREAM.count(b"data: ")
    assert observer.usages[-1]["input_tokens"] == 25 and observer.usages[-1]["output_tokens"] == 5


# --- a batch with nothing to scan goes as it came ---

_SCANNED_EVENTS = {
    "openai": [
        b'data: {"choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}\n\n',
        b'data: {"choices":[{"index":0,"delta":{"content":"on usage"}}]}\n\n',
        b'data: {"choices":[{"index":0,"delta":{"content":"usage"}}],"usage":null}\n\n',
        b'data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\n',
        b'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1",'
        b'"function":{"name":"f","arguments":""}}]}}],"usage":null}\n\n',
        b": keep-alive\r\n\r\n", b"data: [DONE]\n\n"],
    "claude": [
        b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
        b'"delta":{"type":"text_delta","text":"hi"}}\n\n',
        b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":'
        b'"end_turn"},"usage":{"output_tokens":5}}\n\n',
        b'event: content_block_start\ndata: {"type":"content_block_start","index":1,'
        b'"content_block":{"type":"tool_use","id":"t1","name":"f","input":{}}}\n\n',
        b"event: ping\ndata: {\"type\": \"ping\"}\r\r"],
}


class _Recorder(Observer):
    def __init__(self):
        super().__init__()
        self.seen = []

    def usage(self, usage):
        self.seen.append(("usage", usage))

    def tool_call(self, name, call_id):
        self.seen.append(("tool", name, call_id))


def _batches(events):
    import itertools
    for size in (1, 2, 3):
        yield from itertools.product(events, repeat=size)


def test_a_plain_batch_is_what_scanning_each_event_would_leave_as_it_came():
    """``stream_scan.plain`` over a batch's joined bytes says true only when
    no event of it would be parsed, and ``_Passthrough.batch`` relays and
    reports what relaying each event relays and reports."""
    from proxy.relay import stream_scan
    plain_ones = 0
    for dialect, events in _SCANNED_EVENTS.items():
        for batch in _batches(events):
            # scan_raw's own test of whether an event is worth parsing
            parsed_any = any((b"usage" in raw and b'"usage":null' not in raw)
                             or stream_scan._TOOL_MARKS[dialect] in raw for raw in batch)
            if stream_scan.plain(dialect, b"".join(batch)):
                assert not parsed_any, batch
                plain_ones += 1
            outputs = []
            for whole in (True, False):
                observer = _Recorder()
                front = FrontRequest(dialect=dialect, action="generate", model="m",
                                     body={"model": "m", "stream": True}, raw=b"", stream=True,
                                     headers={}, request_id="r1")
                relay = streaming._Passthrough(front, CRED, observer)
                out = relay.batch(list(batch)) if whole else b"".join(map(relay.event, batch))
                outputs.append((out, observer.seen))
            assert outputs[0] == outputs[1], batch
    assert plain_ones > 10
