"""Errors say why: which upstream, what it did; 429 only for rate limits;
an honest, small Retry-After for transient causes."""
import openai
import pytest
import requests

from tests.integration import clients
from tests.integration.conftest import CLIENT_KEY, _free_port, launch
from tests.integration.fake_upstream import Fault
from tests.integration.test_request_lifecycle import access_line

SECRET = "mgmt-secret-why"
BEARER = {"Authorization": f"Bearer {CLIENT_KEY}"}


def _entry(name, base_url, keys, model):
    return {"name": name, "base-url": base_url, "models": [{"name": model}],
            "api-key-entries": [{"api-key": k} for k in keys]}


@pytest.fixture(scope="module")
def why_gateway(fake, tmp_path_factory):
    dead = f"http://127.0.0.1:{_free_port()}/v1"        # nothing listens there
    config = {
        "api-keys": [CLIENT_KEY],
        "openai-compatibility": [
            _entry("deadoai", dead, ["sk-dead-1"], "dead-model"),
            _entry("authoai", f"{fake.url}/v1", ["sk-auth-1", "sk-auth-2"], "auth-model"),
            _entry("leakoai", f"{fake.url}/v1", ["sk-leaky-key-0123456789"], "leak-model"),
            _entry("offoai", f"{fake.url}/v1", ["sk-off-1"], "off-model"),
        ],
        "transient-error-cooldown-seconds": 5, "max-retry-interval": 0,
        "remote-management": {"secret-key": SECRET},
        "usage": {"enabled": False}, "watch-config": False,
    }
    gw = launch(config, str(tmp_path_factory.mktemp("why")))
    gw.dead = dead.removeprefix("http://").removesuffix("/v1")
    yield gw
    gw.stop()


def _chat(gw, model, rid):
    return requests.post(f"{gw.url}/v1/chat/completions", timeout=20,
                         headers=dict(BEARER, **{"X-Request-Id": rid}),
                         json={"model": model, "messages": [{"role": "user", "content": "hi"}]})


def test_connection_refused_names_the_upstream_everywhere(why_gateway, upstream):
    first = _chat(why_gateway, "dead-model", "why-1")
    assert first.status_code == 502
    message = first.json()["error"]["message"]
    assert f"upstream 'deadoai' ({why_gateway.dead}) refused the connection" in message
    assert "urllib3" not in message and "HTTPConnection" not in message
    assert "error_class=connection_refused" in access_line(why_gateway, "why-1")
    pool = requests.get(f"{why_gateway.url}/v0/pool", timeout=10).json()["credentials"]
    dead = next(c for c in pool if c["label"] == "deadoai")
    assert dead["last_error"]["cause"] == "connection_refused"
    assert "refused the connection" in dead["last_error"]["message"]

    # cooling now: still the cause, as 503 with an honest, small Retry-After; not 429
    second = _chat(why_gateway, "dead-model", "why-2")
    assert second.status_code == 503
    assert "refused the connection" in second.json()["error"]["message"]
    assert 1 <= int(second.headers["Retry-After"]) <= 5
    assert "error_class=connection_refused" in access_line(why_gateway, "why-2")


def test_every_key_rejected_is_502_not_429(why_gateway, upstream):
    for key in ("sk-auth-1", "sk-auth-2"):
        upstream.script(key, Fault(status=401, body={"error": {
            "message": "Incorrect API key", "type": "invalid_request_error"}}))
    first = _chat(why_gateway, "auth-model", "why-3")
    assert first.status_code == 401                     # the upstream's own answer
    again = _chat(why_gateway, "auth-model", "why-4")
    assert again.status_code == 502
    assert "returned 401" in again.json()["error"]["message"]
    assert again.headers.get("x-should-retry") == "false" and "Retry-After" not in again.headers
    with pytest.raises(openai.APIStatusError) as info:      # the SDK does not loop on it
        openai.OpenAI(base_url=f"{why_gateway.url}/v1", api_key=CLIENT_KEY, max_retries=2,
                      timeout=20).chat.completions.create(
            model="auth-model", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 502


def test_a_disabled_credential_is_disabled(why_gateway, upstream):
    pool = requests.get(f"{why_gateway.url}/v0/pool", timeout=10).json()["credentials"]
    cred = next(c for c in pool if c["label"] == "offoai")
    answer = requests.post(f"{why_gateway.url}/v0/management/credentials/{cred['id']}/disable",
                           headers={"X-Management-Key": SECRET}, timeout=10)
    assert answer.status_code == 200
    resp = _chat(why_gateway, "off-model", "why-5")
    assert resp.status_code == 503 and "disabled" in resp.json()["error"]["message"]
    assert "cooling" not in resp.json()["error"]["message"]


def test_an_upstream_error_quoting_the_key_is_masked(why_gateway, upstream):
    upstream.script("sk-leaky-key-0123456789", Fault(status=400, body={"error": {
        "message": "Bad request with key sk-leaky-key-0123456789", "type": "invalid_request"}}))
    resp = _chat(why_gateway, "leak-model", "why-6")
    assert resp.status_code == 400
    assert "sk-leaky-key-0123456789" not in resp.text and "sk-l…6789" in resp.text


def test_sdk_sees_the_cause(why_gateway, upstream):
    with pytest.raises(openai.APIStatusError) as info:
        clients.openai_client(why_gateway).chat.completions.create(
            model="dead-model", messages=[{"role": "user", "content": "hi"}])
    assert "refused the connection" in str(info.value)
