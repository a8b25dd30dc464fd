"""proxy.relay.accept: a refusal that comes after the stream was committed
(keep-alives sent) arrives as the dialect's error event, keeping its kind,
its code and the request id."""
import gevent.event
import orjson
import pytest

from proxy.errors import ModelCooldown
from proxy.http.front import FrontRequest
from proxy.relay.accept import accept
from proxy.wire import sse


def _front(dialect):
    return FrontRequest(dialect=dialect, action="generate", model="m", body={}, raw=b"{}",
                        stream=True, headers={}, request_id="rid-7")


def _refused_after_commit(dialect):
    gate = gevent.event.Event()

    def produce():
        gate.wait()
        raise ModelCooldown("All credentials for model 'm' are rate limited.", retry_after=4)

    reply = accept(produce, 0.001, _front(dialect))
    assert reply.status == 200 and reply.streamed      # committed: the refusal comes later
    body = iter(reply.body)
    first = next(body)                                  # a keep-alive
    gate.set()
    events = [sse.parse(raw) for raw in sse.EventSplitter().feed(b"".join(body))]
    return first, [(name, orjson.loads(data)) for name, data in events if data is not None]


@pytest.mark.parametrize("dialect, check", [
    ("claude", lambda name, p: name == "error" and p == {
        "type": "error", "request_id": "rid-7",
        "error": {"type": "rate_limit_error",
                  "message": "All credentials for model 'm' are rate limited."}}),
    ("responses", lambda name, p: name == "error" and p["code"] == "model_cooldown"),
    ("openai", lambda name, p: p["error"]["type"] == "rate_limit_exceeded"
     and p["error"]["code"] == "model_cooldown"),
    ("gemini", lambda name, p: p["error"]["code"] == 429
     and p["error"]["status"] == "RESOURCE_EXHAUSTED"),
])
def test_a_refusal_after_the_commit_keeps_its_kind(dialect, check):
    first, events = _refused_after_commit(dialect)
    assert first.strip()                                # keep-alive bytes went first
    assert len(events) == 1 and check(*events[0])
