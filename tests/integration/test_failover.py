"""Credential pool and failover through the real server.

One gateway with several credentials per model; the fake upstream injects
faults per credential key.  Every test uses its own model name so
cooldowns left by one test cannot leak into another.
"""
import threading
import uuid

import anthropic
import openai
import pytest
import requests

from tests.integration import clients
from tests.integration.conftest import CLIENT_KEY, launch
from tests.integration.fake_upstream import Fault

MODELS = ["spread", "rate", "auth", "server", "hang", "reset", "stream", "budget",
          "cooling", "recover", "affinity", "disconnect", "claude-pool"]


def _compat(fake_url, model, keys, **entry):
    return dict({"name": f"pool-{model}", "base-url": f"{fake_url}/v1",
                 "api-key-entries": [{"api-key": k} for k in keys],
                 "models": [{"name": model}]}, **entry)


@pytest.fixture(scope="module")
def pool_gateway(fake, tmp_path_factory):
    entries = [_compat(fake.url, m, [f"{m}-k1", f"{m}-k2", f"{m}-k3"])
               for m in MODELS if m not in ("cooling", "recover", "claude-pool")]
    entries += [_compat(fake.url, m, [f"{m}-k1"]) for m in ("cooling", "recover")]
    entries += [_compat(fake.url, "tiered", ["tier-high"], priority=10),
                _compat(fake.url, "tiered", ["tier-low"], priority=0)]
    config = {
        "api-keys": [CLIENT_KEY], "openai-compatibility": entries,
        "claude-api-key": [{"api-key": f"claude-pool-k{i}", "base-url": fake.url,
                            "models": [{"name": "claude-pool"}]} for i in (1, 2)],
        "read-timeout-seconds": 1.5, "max-retry-interval": 3,
        "routing": {"session-affinity": True},
        "streaming": {"keepalive-seconds": 0.2},
        "usage": {"enabled": False}, "watch-config": False,
    }
    config["openai-compatibility"].append(_compat(fake.url, "budget10", [f"budget10-k{i}" for i in range(10)]))
    for front in FRONTS:
        for kind in KINDS:
            for mode in ("whole", "stream"):
                _add_kind(config, fake.url, kind, f"fo-{front}-{kind}-{mode}")
    gw = launch(config, str(tmp_path_factory.mktemp("pool")))
    yield gw
    gw.stop()


FRONTS = ["openai", "responses", "claude", "gemini"]
KINDS = ["openai-compat", "codex", "claude", "gemini"]


def _add_kind(config, fake_url, kind, model):
    """Two credentials of upstream ``kind`` serving ``model``."""
    keys = [f"{model}-k1", f"{model}-k2"]
    if kind == "openai-compat":
        config["openai-compatibility"].append(_compat(fake_url, model, keys))
        return
    section = {"codex": "codex-api-key", "claude": "claude-api-key", "gemini": "gemini-api-key"}[kind]
    base = f"{fake_url}/v1" if kind == "codex" else fake_url
    config.setdefault(section, []).extend(
        {"api-key": k, "base-url": base, "models": [{"name": model}]} for k in keys)


def _chat(gw, model, **extra):
    """A request with a fresh conversation (session affinity is on in this
    gateway: repeating one conversation would stick to one credential)."""
    messages = [{"role": "user", "content": f"hi {uuid.uuid4().hex}"}]
    return requests.post(f"{gw.url}/v1/chat/completions", timeout=30,
                         headers={"Authorization": f"Bearer {CLIENT_KEY}"},
                         json=dict({"model": model, "messages": messages}, **extra))


def _counts(upstream, model):
    return [len(upstream.calls_for(f"{model}-k{i}")) for i in (1, 2, 3)]


def test_round_robin_spreads_evenly(pool_gateway, upstream):
    for _ in range(6):
        assert _chat(pool_gateway, "spread").status_code == 200
    assert _counts(upstream, "spread") == [2, 2, 2]


def test_429_cools_only_that_credential(pool_gateway, upstream):
    upstream.script("rate-k1", Fault(status=429, headers={"Retry-After": "120"},
                                     body={"error": {"message": "slow down", "type": "rate_limit"}}))
    for _ in range(9):
        assert _chat(pool_gateway, "rate").status_code == 200
    counts = _counts(upstream, "rate")
    assert counts[0] == 1                      # called once, then left alone
    assert counts[1] + counts[2] == 9          # the others served every request


@pytest.mark.parametrize("model,fault", [
    ("auth", Fault(status=401, body={"error": {"message": "bad key"}})),
    ("server", Fault(status=503, body={"error": {"message": "overloaded"}})),
    ("reset", Fault(reset=True)),
])
def test_failures_fail_over_invisibly(pool_gateway, upstream, model, fault):
    upstream.script(f"{model}-k1", fault)
    resp = _chat(pool_gateway, model)
    assert resp.status_code == 200
    counts = _counts(upstream, model)
    assert counts[0] == 1 and sum(counts) == 2       # k1 failed, another answered
    assert resp.json()["choices"][0]["message"]["content"] == "Hello from openai"


def test_hung_upstream_costs_a_bounded_time_then_fails_over(pool_gateway, upstream):
    upstream.script("hang-k1", Fault(hang=True))
    resp = _chat(pool_gateway, "hang")              # read timeout is 1.5 s
    assert resp.status_code == 200
    counts = _counts(upstream, "hang")
    assert counts[0] == 1 and sum(counts) == 2


def test_stream_fails_over_before_first_byte(pool_gateway, upstream):
    upstream.script("stream-k1", Fault(reset=True))
    upstream.script("stream-k2", Fault(drop_after=0))    # 200, then nothing
    client = clients.openai_client(pool_gateway)
    for _ in range(3):
        chunks = list(client.chat.completions.create(
            model="stream", stream=True, messages=[{"role": "user", "content": "hi"}]))
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello from openai"


def test_attempt_budget_and_last_error_verbatim(pool_gateway, upstream):
    error = {"error": {"message": "upstream broke", "type": "server_error"}}
    for i in (1, 2, 3):
        upstream.script(f"budget-k{i}", *[Fault(status=500, body=error)] * 10)
    resp = _chat(pool_gateway, "budget")
    assert resp.status_code == 500 and resp.json() == error
    # the same 500 from two credentials is the request's fault: stop there
    assert sum(_counts(upstream, "budget")) == 2


def test_all_cooling_answers_429_model_cooldown(pool_gateway, upstream):
    upstream.script("cooling-k1", Fault(status=429, headers={"Retry-After": "600"},
                                        body={"error": {"message": "quota"}}))
    first = _chat(pool_gateway, "cooling")
    assert first.status_code == 429 and first.json()["error"]["message"] == "quota"
    second = _chat(pool_gateway, "cooling")
    assert second.status_code == 429
    assert second.json()["error"]["code"] == "model_cooldown"
    assert 500 <= int(second.headers["Retry-After"]) <= 600
    assert len(upstream.calls_for("cooling-k1")) == 1
    with pytest.raises(anthropic.RateLimitError):
        clients.anthropic_client(pool_gateway).messages.create(
            model="cooling", max_tokens=5, messages=[{"role": "user", "content": "x"}])


def test_waits_for_a_recovery_within_max_retry_interval(pool_gateway, upstream):
    upstream.script("recover-k1", Fault(status=429, headers={"Retry-After": "1"}))
    resp = _chat(pool_gateway, "recover")
    assert resp.status_code == 200
    assert len(upstream.calls_for("recover-k1")) == 2


def test_priority_tiers(pool_gateway, upstream):
    for _ in range(3):
        assert _chat(pool_gateway, "tiered").status_code == 200
    assert len(upstream.calls_for("tier-high")) == 3 and not upstream.calls_for("tier-low")
    upstream.script("tier-high", Fault(status=401))
    assert _chat(pool_gateway, "tiered").status_code == 200
    assert len(upstream.calls_for("tier-low")) == 1


def test_session_affinity_sticks_and_rebinds(pool_gateway, upstream):
    headers = {"Authorization": f"Bearer {CLIENT_KEY}", "X-Claude-Code-Session-Id": "sess-1"}
    body = {"model": "affinity", "messages": [{"role": "user", "content": "hi"}]}
    for _ in range(4):
        requests.post(f"{pool_gateway.url}/v1/chat/completions", json=body, headers=headers)
    counts = _counts(upstream, "affinity")
    assert sorted(counts) == [0, 0, 4]
    bound = counts.index(4) + 1
    upstream.script(f"affinity-k{bound}", Fault(status=401))
    for _ in range(3):
        assert requests.post(f"{pool_gateway.url}/v1/chat/completions", json=body,
                             headers=headers).status_code == 200
    after = _counts(upstream, "affinity")
    assert after[bound - 1] == 5 and max(after) == 5 and sorted(after)[1] == 3


def test_failover_through_anthropic_front_door(pool_gateway, upstream):
    upstream.script("claude-pool-k1", Fault(status=529, body={
        "type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))
    client = clients.anthropic_client(pool_gateway)
    msg = client.messages.create(model="claude-pool", max_tokens=10,
                                 messages=[{"role": "user", "content": "hi"}])
    assert msg.content[0].text == "Hello from claude"
    assert len(upstream.calls_for("claude-pool-k2")) == 1


def test_client_disconnect_closes_the_upstream(pool_gateway, upstream):
    gate = threading.Event()
    fault = Fault(gate=gate)
    for i in (1, 2, 3):
        upstream.script(f"disconnect-k{i}", fault)
    resp = _chat(pool_gateway, "disconnect", stream=True)
    resp.raw.read(10)
    resp.close()                           # the client goes away mid-stream
    assert fault.peer_closed.wait(10)      # the gateway hung up on the upstream too
    gate.set()


def test_pool_state_endpoint(pool_gateway, upstream):
    state = requests.get(f"{pool_gateway.url}/v0/pool").json()["credentials"]
    ids = {c["id"] for c in state}
    assert len(ids) == len(state) >= 30
    assert all("k1" not in (c.get("key_hint") or "")[4:-4] for c in state)


def _call_front(gw, front, model, stream):
    """One request through ``front``'s official SDK, read to the end."""
    hi = [{"role": "user", "content": "hi"}]
    if front == "openai":
        result = clients.openai_client(gw).chat.completions.create(
            model=model, messages=hi, stream=stream)
    elif front == "responses":
        result = clients.openai_client(gw).responses.create(model=model, input="hi", stream=stream)
    elif front == "claude":
        result = clients.anthropic_client(gw).messages.create(
            model=model, max_tokens=20, messages=hi, stream=stream)
    else:
        client = clients.gemini_client(gw)     # keep it alive while its stream is read
        models = client.models
        result = (models.generate_content_stream if stream else models.generate_content)(
            model=model, contents="hi")
        return list(result) if stream else result
    return list(result) if stream else result


@pytest.mark.parametrize("mode", ["whole", "stream"])
@pytest.mark.parametrize("front", FRONTS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_front_door_fails_over_on_every_upstream_kind(pool_gateway, upstream, front,
                                                            kind, mode):
    model = f"fo-{front}-{kind}-{mode}"
    # whole: an HTTP 503; stream: a 200 whose stream dies before its first event
    fault = Fault(status=503, body={"error": {"message": "busy"}}) if mode == "whole" \
        else Fault(drop_after=0)
    upstream.script(f"{model}-k1", fault)
    _call_front(pool_gateway, front, model, mode == "stream")
    assert len(upstream.calls_for(f"{model}-k1")) == 1
    assert len(upstream.calls_for(f"{model}-k2")) == 1


def test_attempt_budget_never_exceeded(pool_gateway, upstream):
    for i, name in enumerate("abcdefghij"):    # each key broken its own way
        upstream.script(f"budget10-k{i}", Fault(status=500, body={
            "error": {"message": f"node {name} down", "type": "server_error"}}))
    resp = _chat(pool_gateway, "budget10")
    assert resp.status_code == 500
    assert sum(len(upstream.calls_for(f"budget10-k{i}")) for i in range(10)) == 8
