"""Failures of the credential, not the request, through the real server:
an account that cannot pay or may not use the API (each provider words it
its own way, under 400, 403 or 429) and an endpoint that redirects are
failed over and the credential cools; the client never sees a 3xx."""
import uuid

import pytest
import requests

from tests.integration.conftest import CLIENT_KEY, launch
from tests.integration.fake_upstream import credential_refusal, redirect

KINDS = {"openai": "openai-compat", "responses": "codex", "claude": "claude",
         "gemini": "gemini"}


def _entries(fake_url, dialect, model, keys):
    if dialect == "openai":
        return "openai-compatibility", [{
            "name": f"n-{model}", "base-url": f"{fake_url}/v1",
            "api-key-entries": [{"api-key": k} for k in keys], "models": [{"name": model}]}]
    section = {"responses": "codex-api-key", "claude": "claude-api-key",
               "gemini": "gemini-api-key"}[dialect]
    base = f"{fake_url}/v1" if dialect == "responses" else fake_url
    return section, [{"api-key": k, "base-url": base, "models": [{"name": model}]}
                     for k in keys]


@pytest.fixture(scope="module")
def cred_gateway(fake, tmp_path_factory):
    # no waiting for a cooled key and no second round: each test sees one pass
    config = {"api-keys": [CLIENT_KEY], "usage": {"enabled": False}, "watch-config": False,
              "max-retry-interval": 0, "request-retry": 0}
    for dialect in KINDS:
        for case in ("refusal", "redirect"):
            model = f"{case}-{dialect}"
            section, entries = _entries(fake.url, dialect, model, [f"{model}-k1", f"{model}-k2"])
            config.setdefault(section, []).extend(entries)
    gw = launch(config, str(tmp_path_factory.mktemp("credfaults")))
    yield gw
    gw.stop()


def _chat(gw, model):
    return requests.post(f"{gw.url}/v1/chat/completions", timeout=20,
                         headers={"Authorization": f"Bearer {CLIENT_KEY}"},
                         json={"model": model, "messages": [
                             {"role": "user", "content": f"hi {uuid.uuid4().hex}"}]})


@pytest.mark.parametrize("dialect", sorted(KINDS))
def test_credential_refusal_fails_over_and_cools_the_key(cred_gateway, upstream, dialect):
    model = f"refusal-{dialect}"
    bad, good = f"{model}-k1", f"{model}-k2"
    for _ in range(2):
        upstream.script(bad, credential_refusal(dialect))
    for _ in range(4):
        resp = _chat(cred_gateway, model)
        assert resp.status_code == 200, resp.text
    assert len(upstream.calls_for(bad)) == 1         # cooled after its one refusal
    assert len(upstream.calls_for(good)) == 4


@pytest.mark.parametrize("dialect", sorted(KINDS))
def test_redirect_is_an_upstream_failure_never_relayed(cred_gateway, upstream, dialect):
    model = f"redirect-{dialect}"
    first, second = f"{model}-k1", f"{model}-k2"
    upstream.script(first, redirect())
    upstream.script(second, redirect())
    resp = _chat(cred_gateway, model)
    assert resp.status_code == 502, resp.text
    assert "location" not in resp.headers
    assert "redirect" in resp.json()["error"]["message"]
    upstream.calls.clear()
    resp = _chat(cred_gateway, model)                 # both cool (briefly): nothing is sent
    assert resp.status_code in (429, 503) and not upstream.calls, resp.text
