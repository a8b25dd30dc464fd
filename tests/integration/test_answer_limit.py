"""Whole upstream answers are capped (response-body-limit-mb): a larger one
is never held in memory, the client learns which upstream sent too much,
and nothing cools down (another credential would answer as much)."""
import json

import pytest
import requests

from tests.integration.conftest import KEYS, MODELS, launch, standard_config
from tests.integration.fake_upstream import Fault

MB = 1024 * 1024
AUTH = {"Authorization": "Bearer sk-client-test-0123456789"}
CHAT = {"model": MODELS["openai"], "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def gateway(fake, tmp_path_factory):
    gw = launch(standard_config(fake.url, **{"response-body-limit-mb": 1}),
                str(tmp_path_factory.mktemp("limit")))
    yield gw
    gw.stop()


def _pool_states(gateway):
    return {c["id"]: c["state"] for c in
            requests.get(f"{gateway.url}/v0/pool", timeout=5).json()["credentials"]}


def test_an_answer_within_the_limit_passes(gateway, upstream):
    upstream.script(KEYS["openai"], Fault(huge=MB // 2))
    resp = requests.post(f"{gateway.url}/v1/chat/completions", json=CHAT, headers=AUTH, timeout=10)
    assert resp.status_code == 200 and len(resp.content) > MB // 2


@pytest.mark.parametrize("fault", [
    Fault(huge=2 * MB),                                        # Content-Length says it
    Fault(raw=[b'{"padding": "' + b"x" * (256 * 1024)] * 8 + [b'"}'],
          headers={"content-type": "application/json"}),      # chunked: counted as read
], ids=["content-length", "chunked"])
def test_a_larger_answer_is_refused_naming_the_upstream(gateway, upstream, fault):
    upstream.script(KEYS["openai"], fault)
    resp = requests.post(f"{gateway.url}/v1/chat/completions", json=CHAT, headers=AUTH, timeout=10)
    assert resp.status_code == 502
    message = resp.json()["error"]["message"]
    assert "fakeopenai" in message and "larger than 1 MB" in message
    assert "response-body-limit-mb" in message
    assert len(upstream.calls) == 1                           # no failover, no retry
    assert set(_pool_states(gateway).values()) == {"ready"}   # nothing cooled


def test_translated_answers_too_in_the_clients_dialect(gateway, upstream):
    upstream.script(KEYS["openai"], Fault(huge=2 * MB))
    resp = requests.post(f"{gateway.url}/v1/messages", json={
        "model": MODELS["openai"], "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]},
        headers={"x-api-key": AUTH["Authorization"][7:], "anthropic-version": "2023-06-01"},
        timeout=10)
    assert resp.status_code == 502
    body = resp.json()
    assert body["type"] == "error" and "larger than 1 MB" in body["error"]["message"]
    assert "answer_too_large" in gateway.log()
    assert json.dumps(body).count("x" * 100) == 0             # none of the answer relayed
