"""Bring your own key through each front door: the client's own credential
goes upstream as it came, the gateway key never does, no failover, no
cooldown, usage recorded against a masked ``byok:`` credential."""
import sqlite3

import anthropic
import openai
import pytest
import requests
from google import genai
from google.genai import types as genai_types

from tests.integration.conftest import KEYS, MODELS, launch, standard_config
from tests.integration.fake_upstream import Fault

BYOK_KEY = "sk-client-byok-0123456789"
PLAIN_KEY = "sk-client-plain-0123456789"
OWN = {"claude": "sk-ant-own-key-abcdef123456", "openai": "sk-own-openai-abcdef123456",
       "responses": "sk-own-codex-abcdef123456", "gemini": "own-gemini-abcdef123456"}
GATEWAY_HEADER = {"X-Switchyard-Key": BYOK_KEY}


@pytest.fixture(scope="module")
def gateway(fake, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("byok")
    config = standard_config(fake.url, **{
        "api-keys": [{"key": BYOK_KEY, "label": "alice", "byok": True}, PLAIN_KEY],
        "usage": {"enabled": True, "store-path": str(tmp / "usage.db")}})
    gw = launch(config, str(tmp))
    gw.usage_db = str(tmp / "usage.db")
    yield gw
    gw.stop()


def _only_call(upstream):
    assert len(upstream.calls) == 1, [c.path for c in upstream.calls]
    return upstream.calls[0]


def _no_gateway_key_upstream(call):
    assert "x-switchyard-key" not in call.headers
    assert BYOK_KEY not in repr(call.headers) and PLAIN_KEY not in repr(call.headers)


def test_anthropic_sdk_own_api_key(gateway, upstream):
    client = anthropic.Anthropic(base_url=gateway.url, api_key=OWN["claude"],
                                 default_headers=GATEWAY_HEADER, max_retries=0)
    msg = client.messages.create(model=MODELS["claude"], max_tokens=50,
                                 messages=[{"role": "user", "content": "hi"}])
    assert msg.content[0].text
    call = _only_call(upstream)
    assert call.key == OWN["claude"]         # in whichever header the SDK put it
    assert KEYS["claude"] not in repr(call.headers)
    _no_gateway_key_upstream(call)


def test_subscription_bearer_token_goes_as_it_came(gateway, upstream):
    """Claude Code with its own subscription: ANTHROPIC_CUSTOM_HEADERS carries
    the gateway key; its OAuth token stays a Bearer token upstream."""
    token = "sk-ant-oat01-own-subscription-token"
    resp = requests.post(f"{gateway.url}/v1/messages", json={
        "model": MODELS["claude"], "max_tokens": 20, "stream": True,
        "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {token}", "anthropic-version": "2023-06-01",
                 "anthropic-beta": "oauth-2025-04-20", **GATEWAY_HEADER}, timeout=10)
    assert resp.status_code == 200 and "message_stop" in resp.text
    call = _only_call(upstream)
    assert call.headers["authorization"] == f"Bearer {token}"
    assert "x-api-key" not in call.headers
    assert call.headers["anthropic-beta"] == "oauth-2025-04-20"
    _no_gateway_key_upstream(call)


def test_openai_chat_and_responses_sdks(gateway, upstream):
    chat = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=OWN["openai"],
                         default_headers=GATEWAY_HEADER, max_retries=0)
    answer = chat.chat.completions.create(model=MODELS["openai"],
                                          messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content
    assert _only_call(upstream).headers["authorization"] == f"Bearer {OWN['openai']}"
    upstream.reset_state()
    responses = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=OWN["responses"],
                              default_headers=GATEWAY_HEADER, max_retries=0)
    streamed = "".join(event.delta for event in responses.responses.create(
        model=MODELS["responses"], input="hi", stream=True)
        if event.type == "response.output_text.delta")
    assert streamed
    call = _only_call(upstream)
    assert call.headers["authorization"] == f"Bearer {OWN['responses']}"
    _no_gateway_key_upstream(call)


def test_gemini_sdk_gateway_key_in_query(gateway, upstream):
    """The google-genai SDK sends its key as x-goog-api-key; the gateway
    key rides in ?key= (as the Gemini API itself accepts keys)."""
    client = genai.Client(api_key=OWN["gemini"], http_options=genai_types.HttpOptions(
        base_url=gateway.url, headers=GATEWAY_HEADER))
    answer = client.models.generate_content(model=MODELS["gemini"], contents="hi")
    assert answer.text
    call = _only_call(upstream)
    assert call.headers["x-goog-api-key"] == OWN["gemini"]
    _no_gateway_key_upstream(call)
    upstream.reset_state()
    resp = requests.post(
        f"{gateway.url}/v1beta/models/{MODELS['gemini']}:generateContent?key={BYOK_KEY}",
        json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
        headers={"x-goog-api-key": OWN["gemini"]}, timeout=10)
    assert resp.status_code == 200, resp.text
    assert _only_call(upstream).headers["x-goog-api-key"] == OWN["gemini"]


def test_own_key_failure_is_the_clients_answer(gateway, upstream):
    """No failover to pooled credentials and nothing pooled cools down."""
    upstream.script(OWN["claude"], Fault(status=401, body={
        "type": "error", "error": {"type": "authentication_error",
                                   "message": f"invalid x-api-key {OWN['claude']}"}}))
    client = anthropic.Anthropic(base_url=gateway.url, api_key=OWN["claude"],
                                 default_headers=GATEWAY_HEADER, max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as err:
        client.messages.create(model=MODELS["claude"], max_tokens=5,
                               messages=[{"role": "user", "content": "hi"}])
    assert OWN["claude"] not in str(err.value.body)          # the key is masked
    assert _only_call(upstream).key == OWN["claude"]
    pool = requests.get(f"{gateway.url}/v0/pool", timeout=5).json()["credentials"]
    assert all(c["state"] == "ready" for c in pool), pool


def test_byok_needs_a_byok_key(gateway, upstream):
    """A key without ``byok: true`` is served from the pool, whatever the
    client sends beside it; and a byok key alone (no own credential) too."""
    for gateway_key in (PLAIN_KEY, BYOK_KEY):
        upstream.reset_state()
        resp = requests.post(f"{gateway.url}/v1/messages", json={
            "model": MODELS["claude"], "max_tokens": 5,
            "messages": [{"role": "user", "content": "hi"}]},
            headers={"X-Switchyard-Key": gateway_key, "anthropic-version": "2023-06-01",
                     **({"x-api-key": OWN["claude"]} if gateway_key == PLAIN_KEY else {})},
            timeout=10)
        assert resp.status_code == 200, resp.text
        assert _only_call(upstream).key == KEYS["claude"]
    resp = requests.post(f"{gateway.url}/v1/messages?key={PLAIN_KEY}", json={
        "model": MODELS["claude"], "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]},
        headers={"x-api-key": OWN["claude"], "anthropic-version": "2023-06-01"}, timeout=10)
    assert resp.status_code == 401                      # ?key= beside a header is byok only


def test_usage_names_a_masked_byok_credential(gateway, upstream):
    client = anthropic.Anthropic(base_url=gateway.url, api_key=OWN["claude"],
                                 default_headers=GATEWAY_HEADER, max_retries=0)
    client.messages.create(model=MODELS["claude"], max_tokens=5,
                           messages=[{"role": "user", "content": "usage"}])
    gateway.stop()          # flushes the usage queue
    db = sqlite3.connect(gateway.usage_db)
    rows = db.execute("SELECT credential_id, provider FROM requests").fetchall()
    assert ("byok:sk-a…3456", "claude") in rows
    dump = "\n".join(db.iterdump())
    assert all(secret not in dump for secret in OWN.values())
    assert all(secret not in gateway.log() for secret in (*OWN.values(), BYOK_KEY))
