"""Silence and deadlines: keep-alives from the moment a stream is accepted,
a first-byte timeout that fails over, and an overall request deadline that
bounds even an upstream dripping one byte at a time."""
import json
import threading
import time

import pytest
import requests

from tests.integration.conftest import CLIENT_KEY, launch
from tests.integration.fake_upstream import Fault
from tests.integration.test_request_lifecycle import access_line

BEARER = {"Authorization": f"Bearer {CLIENT_KEY}"}
MODELS = ("wait", "fb", "loris", "late")


@pytest.fixture(scope="module")
def slow_gateway(fake, tmp_path_factory):
    entries = [{"name": f"dl-{m}", "base-url": f"{fake.url}/v1", "models": [{"name": m}],
                "api-key-entries": [{"api-key": f"{m}-k1"}, {"api-key": f"{m}-k2"}]}
               for m in MODELS]
    config = {"api-keys": [CLIENT_KEY], "openai-compatibility": entries,
              "claude-api-key": [{"api-key": "dl-claude-k1", "base-url": fake.url,
                                  "models": [{"name": "claude-wait"}]}],
              "streaming": {"keepalive-seconds": 0.1}, "first-byte-timeout-seconds": 0.5,
              "request-timeout-seconds": 2, "read-timeout-seconds": 10,
              "routing": {"strategy": "fill-first"},
              "usage": {"enabled": False}, "watch-config": False}
    gw = launch(config, str(tmp_path_factory.mktemp("deadlines")))
    yield gw
    gw.stop()


def _post(gw, path, body, rid, **kw):
    return requests.post(gw.url + path, json=body, timeout=20, stream=True,
                         headers=dict(BEARER, **{"X-Request-Id": rid, "x-api-key": CLIENT_KEY}),
                         **kw)


def _chat(model, **extra):
    return dict({"model": model, "messages": [{"role": "user", "content": "hi"}]}, **extra)


@pytest.mark.parametrize("path,model,key,tick,last", [
    ("/v1/chat/completions", "wait", "wait-k1", b": keep-alive", b"data: [DONE]"),
    ("/v1/messages", "claude-wait", "dl-claude-k1", b"event: ping", b"message_stop")])
def test_keepalive_before_the_first_upstream_event(slow_gateway, upstream, path, model, key,
                                                   tick, last):
    gate = threading.Event()
    upstream.script(key, Fault(gate=gate, gate_at=0))    # head sent, then silence
    body = _chat(model, stream=True, max_tokens=20)
    with _post(slow_gateway, path, body, f"ka-{model}") as resp:
        assert resp.status_code == 200
        lines = resp.iter_lines()
        assert next(line for line in lines if line) == tick   # before any event
        gate.set()
        rest = [line for line in lines if line]
    assert last in rest[-1]


def test_first_byte_timeout_fails_over(slow_gateway, upstream):
    hung = Fault(hang=True, gate=threading.Event())
    upstream.script("fb-k1", hung)
    started = time.monotonic()
    resp = _post(slow_gateway, "/v1/chat/completions", _chat("fb"), "fb-1")
    assert resp.status_code == 200 and resp.json()["choices"][0]["message"]["content"]
    assert time.monotonic() - started < 5
    assert upstream.calls_for("fb-k1") and upstream.calls_for("fb-k2")
    assert hung.peer_closed.wait(10)
    pool = requests.get(f"{slow_gateway.url}/v0/pool", timeout=10).json()["credentials"]
    k1 = next(c for c in pool if c["label"] == "dl-fb" and c["last_error"])
    assert k1["last_error"]["cause"] == "first_byte_timeout"
    assert "first-byte-timeout-seconds" in k1["last_error"]["message"]


def test_a_slow_loris_whole_answer_is_bounded_by_the_request_deadline(slow_gateway, upstream):
    dripping = Fault(drip=0.1)
    upstream.script("loris-k1", dripping)
    upstream.script("loris-k2", Fault(drip=0.1))
    started = time.monotonic()
    resp = _post(slow_gateway, "/v1/chat/completions", _chat("loris"), "loris-1")
    assert resp.status_code == 504
    assert "request-timeout-seconds" in resp.json()["error"]["message"]
    assert time.monotonic() - started < 6
    assert dripping.peer_closed.wait(10)
    assert "error_class=request_timeout" in access_line(slow_gateway, "loris-1")


def test_a_stream_past_the_request_deadline_gets_an_error_event(slow_gateway, upstream):
    upstream.script("late-k1", Fault(gate=threading.Event(), gate_at=2))
    started = time.monotonic()
    with _post(slow_gateway, "/v1/chat/completions", _chat("late", stream=True), "late-1") as r:
        lines = [line for line in r.iter_lines() if line]
    assert time.monotonic() - started < 6
    assert b"data: [DONE]" not in lines
    error = json.loads(lines[-1].removeprefix(b"data: "))
    assert "request-timeout-seconds" in error["error"]["message"]
    assert "error_class=request_timeout" in access_line(slow_gateway, "late-1")
