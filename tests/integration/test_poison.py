"""One request must not take a model offline, through the real server.

A failure that follows the request (the fake upstream fails every call
whose body carries a marker, whichever key) ends that request with the
upstream's error and cools nothing; a single transient 5xx of the last
usable credential is retried after a short pause instead of failing the
request or resting the credential."""
import uuid

import pytest
import requests

from tests.integration.conftest import CLIENT_KEY, launch
from tests.integration.fake_upstream import Fault

ERROR = {"error": {"message": "internal error while processing the prompt",
                   "type": "server_error"}}


def _compat(fake_url, model, keys):
    return {"name": f"p-{model}", "base-url": f"{fake_url}/v1",
            "api-key-entries": [{"api-key": k} for k in keys], "models": [{"name": model}]}


@pytest.fixture(scope="module")
def poison_gateway(fake, tmp_path_factory):
    config = {"api-keys": [CLIENT_KEY], "usage": {"enabled": False}, "watch-config": False,
              "openai-compatibility": [
                  _compat(fake.url, "poison", ["poison-k1", "poison-k2"]),
                  _compat(fake.url, "blip", ["blip-k1", "blip-k2"]),
                  _compat(fake.url, "single", ["single-k1"])]}
    gw = launch(config, str(tmp_path_factory.mktemp("poison")))
    yield gw
    gw.stop()


def _chat(gw, model, text=None):
    return requests.post(f"{gw.url}/v1/chat/completions", timeout=20,
                         headers={"Authorization": f"Bearer {CLIENT_KEY}"},
                         json={"model": model, "messages": [
                             {"role": "user", "content": text or f"hi {uuid.uuid4().hex}"}]})


def _pool(gw):
    return {c["key_hint"]: c for c in requests.get(f"{gw.url}/v0/pool", timeout=5)
            .json()["credentials"]}


def test_a_poison_request_fails_alone_and_cools_nothing(poison_gateway, upstream):
    upstream.script_marker("POISON-PILL", Fault(status=500, body=ERROR))
    resp = _chat(poison_gateway, "poison", "please POISON-PILL")
    assert resp.status_code == 500 and resp.json() == ERROR
    assert len(upstream.calls) == 2                 # one call per credential, then stop
    assert all(c["state"] == "ready" for c in _pool(poison_gateway).values()
               if c["models"] == ["poison"])
    for _ in range(6):                              # everyone else is served at once
        assert _chat(poison_gateway, "poison").status_code == 200


def test_one_blip_on_the_last_usable_credential_is_retried(poison_gateway, upstream):
    upstream.script("blip-k1", Fault(status=429, headers={"Retry-After": "60"},
                                     body={"error": {"message": "slow down"}}))
    upstream.script("blip-k2", Fault(status=503, body={"error": {"message": "overloaded"}}))
    for _ in range(2):                 # round-robin: whichever key the first pick takes
        resp = _chat(poison_gateway, "blip")
        assert resp.status_code == 200, resp.text
    assert len(upstream.calls_for("blip-k1")) == 1
    assert len(upstream.calls_for("blip-k2")) == 3  # the blip, its retry, the next request


def test_single_credential_blip_neither_fails_nor_cools(poison_gateway, upstream):
    upstream.script("single-k1", Fault(status=502, body={"error": {"message": "bad gateway"}}))
    assert _chat(poison_gateway, "single").status_code == 200
    assert _chat(poison_gateway, "single").status_code == 200
    assert len(upstream.calls_for("single-k1")) == 3
    (state,) = [c for c in _pool(poison_gateway).values() if c["models"] == ["single"]]
    assert state["state"] == "ready"
