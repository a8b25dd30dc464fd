"""Subscription accounts from an auth directory, through the real server.

CLIProxyAPI-format token files of every served type (Claude, Codex, Gemini
CLI / Code Assist, Vertex service account) serve through all four front
doors against the fake upstream, which checks each account's wire shape and
only accepts live tokens of the fake OAuth server; other types are listed,
broken files reported; a 401 refreshes and retries the same credential; a
refused refresh takes the account out; a new file is picked up live; no
token ever shows in /v0/pool or the log.
"""
import json
import os
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.oauth_server import FakeOAuthServer
from tests.integration.conftest import CLIENT_KEY, launch
from tests.integration.fake_upstream import Fault
from tests.integration.test_cross_dialect import Claude, Gemini, OpenAIChat, Responses

DOORS = [OpenAIChat, Responses, Claude, Gemini]
MODELS = {"claude": "claude-fake", "codex": "gpt-fake", "gemini": "gemini-fake",
          "vertex": "gemini-vx"}


# Left on the files' tokens: beyond Claude's 4 h and Codex's 5-day refresh
# leads, so the background refresh pass leaves them to the tests (a token
# it rotated meanwhile would not be the one a test expires or revokes).
CLAUDE_LEFT, CODEX_LEFT = 3 * 86400, 10 * 86400


def _rfc3339(seconds_from_now):
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now)).isoformat()


def _write(folder, name, data):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        json.dump(data, f)
    return path


def _service_account_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": "vx-proj", "private_key_id": "k1",
            "private_key": pem, "client_email": "sa@vx-proj.iam.gserviceaccount.com"}


def _claude_file(oauth, **extra):
    t = oauth.grant()
    return dict({"type": "claude", "access_token": t["access_token"],
                 "refresh_token": t["refresh_token"], "expired": _rfc3339(CLAUDE_LEFT),
                 "email": "c@example.com", "note": "user field"}, **extra)


@pytest.fixture(scope="module")
def oauth():
    with FakeOAuthServer() as server:
        yield server


@pytest.fixture(scope="module")
def auth_dir(tmp_path_factory, oauth):
    folder = str(tmp_path_factory.mktemp("auth"))
    _write(folder, "claude-c@example.com.json", _claude_file(oauth))
    for name, prefix in (("codex-1234abcd-x@example.com-plus.json", ""),
                         ("codex-other.json", "c2")):
        t = oauth.grant()
        _write(folder, name, {"type": "codex", "access_token": t["access_token"],
                              "refresh_token": t["refresh_token"], "id_token": t["id_token"],
                              "account_id": "acct-fake-1", "email": "x@example.com",
                              "expired": _rfc3339(CODEX_LEFT), "prefix": prefix})
    t = oauth.grant()
    _write(folder, "gemini-g@example.com-proj-1.json", {
        "type": "gemini", "project_id": "proj-1", "email": "g@example.com",
        "token": {"access_token": t["access_token"], "refresh_token": t["refresh_token"],
                  "expiry": _rfc3339(3600), "token_uri": oauth.token_url,
                  "client_id": "gemini-client", "client_secret": "gemini-secret"},
        "excluded_models": ["gemini-vx"]})
    _write(folder, "vertex-vx-proj.json", {
        "type": "vertex", "service_account": _service_account_key(), "project_id": "vx-proj",
        "email": "sa@vx-proj.iam.gserviceaccount.com", "location": "us-central1",
        "excluded_models": ["gemini-fake"]})
    _write(folder, "kimi-1700000000000.json", {"type": "kimi", "access_token": "kimi-secret"})
    with open(os.path.join(folder, "broken.json"), "w") as f:
        f.write("{not json")
    return folder


@pytest.fixture(scope="module")
def gw(fake, oauth, auth_dir, tmp_path_factory):
    fake.oauth = oauth
    urls = {}
    for kind in ("claude", "codex", "gemini", "vertex"):
        urls[f"{kind}-token-url"] = oauth.token_url
        urls[f"{kind}-base-url"] = fake.url
    config = {"api-keys": [CLIENT_KEY], "auth-dir": auth_dir, "oauth": urls,
              "auth-dir-poll-seconds": 0.2, "usage": {"enabled": False},
              "response-body-limit-mb": 1}
    gateway = launch(config, str(tmp_path_factory.mktemp("gw-accounts")))
    yield gateway
    gateway.stop()
    fake.oauth = None


def _pool(gw):
    return requests.get(f"{gw.url}/v0/pool", timeout=5).json()


def _wait_for(predicate, timeout=10.0):
    """Poll ``predicate`` until true (the gateway's folder watcher acts on
    its own schedule); returns the seconds it took."""
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < timeout, "condition not reached"
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.mark.parametrize("door", DOORS, ids=lambda d: d.__name__)
@pytest.mark.parametrize("account", list(MODELS))
def test_every_account_type_serves_through_every_front_door(gw, upstream, door, account):
    client = door(gw)
    text, _ = client.text(MODELS[account])
    assert "Hello from" in text
    text, _ = client.stream(MODELS[account])
    assert "Hello from" in text
    whole, streamed = upstream.calls[-2], upstream.calls[-1]
    for call in (whole, streamed):
        assert call.key.startswith("at-") and "x-api-key" not in call.headers
        assert "user-agent" not in call.headers or "claude-cli" not in call.headers["user-agent"]
        if account == "claude":
            assert call.path.startswith("/v1/messages")
            assert "oauth-2025-04-20" in call.headers["anthropic-beta"]
            assert call.headers["anthropic-version"]     # ours, or the client's own
        elif account == "codex":
            assert call.path == "/backend-api/codex/responses"
            assert call.headers["chatgpt-account-id"] == "acct-fake-1"
            assert call.body["stream"] is True and call.body["store"] is False
            assert "instructions" in call.body and "max_output_tokens" not in call.body
        elif account == "gemini":
            assert call.path.startswith("/v1internal:")
            assert call.body["project"] == "proj-1" and call.body["model"] == "gemini-fake"
            assert "contents" in call.body["request"]
        else:
            assert call.path.startswith(
                "/v1/projects/vx-proj/locations/us-central1/publishers/google/models/gemini-vx:")
    assert whole.path.endswith(":generateContent") or account in ("claude", "codex")


def test_pool_lists_every_file_with_its_status_and_never_a_token(gw, auth_dir):
    pool = _pool(gw)
    files = {a["id"]: a for a in pool["accounts"]}
    assert files["auth:kimi-1700000000000.json"]["status"] == "unsupported"
    assert "impersonate" in files["auth:kimi-1700000000000.json"]["reason"] or \
        files["auth:kimi-1700000000000.json"]["reason"]
    assert files["auth:broken.json"]["status"] == "malformed"
    loaded = {i for i, a in files.items() if a["status"] == "loaded"}
    assert {"auth:claude-c@example.com.json", "auth:vertex-vx-proj.json",
            "auth:gemini-g@example.com-proj-1.json"} <= loaded
    creds = {c["id"]: c for c in pool["credentials"]}
    assert creds["auth:claude-c@example.com.json"]["account"]["type"] == "claude"
    text = json.dumps(pool)
    assert not any(tok in text for tok in _live_tokens(auth_dir))
    assert "kimi-secret" not in text and "BEGIN" not in text


def test_codex_whole_answer_rebuilt_from_a_stream_honours_the_answer_limit(
        gw, upstream, auth_dir):
    """The backend always streams; a whole answer is re-assembled from the
    events, and that read is capped like any whole answer (502 naming the
    upstream, nothing relayed)."""
    padding = b"data: {\"type\":\"response.output_text.delta\",\"delta\":\"" + \
        b"x" * (256 * 1024) + b"\"}\n\n"
    for name in ("codex-1234abcd-x@example.com-plus.json", "codex-other.json"):
        with open(os.path.join(auth_dir, name)) as f:
            upstream.script(json.load(f)["access_token"], Fault(
                raw=[padding] * 6, headers={"content-type": "text/event-stream"}))
    resp = requests.post(f"{gw.url}/v1/responses", timeout=10, json={
        "model": "gpt-fake", "input": "hi"},
        headers={"Authorization": f"Bearer {CLIENT_KEY}"})
    assert resp.status_code == 502, resp.text[:300]
    message = resp.json()["error"]["message"]
    assert "larger than 1 MB" in message and "response-body-limit-mb" in message
    assert "x@example.com" in message or "codex" in message
    assert "x" * 100 not in resp.text
    assert len(upstream.calls) == 1                     # the request's fault: no failover


def test_401_refreshes_and_retries_the_same_credential(gw, upstream, oauth, auth_dir):
    path = os.path.join(auth_dir, "claude-c@example.com.json")
    with open(path) as f:
        before = json.load(f)
    oauth.expire(before["access_token"])
    text, _ = Claude(gw).text("claude-fake")
    assert "Hello from" in text
    keys = [c.key for c in upstream.calls]
    assert keys == [before["access_token"], keys[1]] and keys[1] != keys[0]
    with open(path) as f:
        after = json.load(f)
    assert after["access_token"] == keys[1] and after["refresh_token"] != before["refresh_token"]
    assert after["note"] == "user field" and os.stat(path).st_mode & 0o777 == 0o600


def test_refused_refresh_takes_the_account_out_and_says_so(gw, upstream, oauth, auth_dir):
    path = os.path.join(auth_dir, "codex-other.json")
    with open(path) as f:
        data = json.load(f)
    oauth.revoke(data["refresh_token"])
    oauth.expire(data["access_token"])
    resp = requests.post(f"{gw.url}/v1/responses", timeout=10, json={
        "model": "c2/gpt-fake", "input": "hi"},
        headers={"Authorization": f"Bearer {CLIENT_KEY}"})
    assert resp.status_code in (401, 502, 503)
    assert data["access_token"] not in resp.text

    def out():
        files = {a["id"]: a for a in _pool(gw)["accounts"]}
        return files["auth:codex-other.json"]["status"] == "needs re-login"
    _wait_for(out)
    ids = [c["id"] for c in _pool(gw)["credentials"]]
    assert "auth:codex-other.json" not in ids


def test_new_file_is_picked_up_and_no_token_is_logged(gw, oauth, auth_dir):
    started = time.monotonic()
    _write(auth_dir, "claude-new.json", _claude_file(oauth, prefix="new"))
    took = _wait_for(lambda: any(c["id"] == "auth:claude-new.json"
                                 for c in _pool(gw)["credentials"]))
    assert took < 3.0, took
    print(f"new auth file picked up in {time.monotonic() - started:.2f}s")
    text, _ = Claude(gw).text("new/claude-fake")
    assert "Hello from" in text
    log = gw.log()
    assert not any(tok in log for tok in _live_tokens(auth_dir)), "a token reached the log"


def _live_tokens(folder):
    tokens = []
    for name in os.listdir(folder):
        if name.endswith(".json") and name != "broken.json":
            with open(os.path.join(folder, name)) as f:
                data = json.load(f)
            tok = data.get("token") or {}
            tokens += [t for t in (data.get("access_token"), data.get("refresh_token"),
                                   tok.get("access_token"), tok.get("refresh_token")) if t]
    return tokens


@pytest.mark.parametrize("account", ["gemini", "vertex"])
def test_token_counts_reach_code_assist_and_vertex_in_their_own_request_shapes(
        gw, upstream, account):
    """Code Assist's countTokens takes ``{request: {model, contents}}`` and
    answers a bare ``{totalTokens}`` (Gemini CLI's converter.ts); Vertex's
    takes a flat request without ``generateContentRequest``."""
    model = MODELS[account]
    contents = [{"role": "user", "parts": [{"text": "count me"}]}]
    for body in ({"contents": contents},
                 {"generateContentRequest": {"model": f"models/{model}", "contents": contents,
                                             "systemInstruction": {"parts": [{"text": "s"}]}}}):
        r = requests.post(f"{gw.url}/v1beta/models/{model}:countTokens", json=body,
                          headers={"x-goog-api-key": CLIENT_KEY}, timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["totalTokens"] == 42
        assert r.headers["x-switchyard-token-count"] == "upstream"
        call = upstream.calls[-1]
        assert call.path.endswith(":countTokens")
        if account == "gemini":
            assert call.path == "/v1internal:countTokens"
            assert call.body == {"request": {"model": f"models/{model}", "contents": contents}}
        else:
            assert "generateContentRequest" not in call.body
            assert call.body["contents"] == contents
    r = requests.post(f"{gw.url}/v1/messages/count_tokens", timeout=10,
                      json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
                      headers={"x-api-key": CLIENT_KEY, "anthropic-version": "2023-06-01"})
    assert r.status_code == 200 and r.json()["input_tokens"] == 42, r.text


def test_claude_code_only_refusal_is_served_by_an_api_key_and_cools_nothing(
        fake, upstream, oauth, tmp_path):
    """A Claude subscription refuses requests that are not Claude Code's
    (400 "only authorized for use with Claude Code"); Switchyard does not
    disguise them: the request goes on to the pool's API key, and the
    account stays in rotation for the Claude Code requests it does serve."""
    folder = tmp_path / "auth"
    folder.mkdir()
    claude = _claude_file(oauth)
    _write(str(folder), "claude-c@example.com.json", claude)
    previous, fake.oauth = fake.oauth, oauth
    config = {"api-keys": [CLIENT_KEY], "auth-dir": str(folder),
              "oauth": {"claude-token-url": oauth.token_url, "claude-base-url": fake.url},
              "claude-api-key": [{"api-key": "sk-up-claude-key", "base-url": fake.url,
                                  "priority": -1}],
              "usage": {"enabled": False}, "watch-config": False}
    (tmp_path / "gw").mkdir()
    gateway = launch(config, str(tmp_path / "gw"))
    try:
        upstream.script(claude["access_token"], Fault(status=400, body={
            "type": "error", "error": {
                "type": "invalid_request_error",
                "message": "This credential is only authorized for use with Claude Code and "
                           "cannot be used for other API requests."}}))
        r = requests.post(f"{gateway.url}/v1/messages", timeout=10, json={
            "model": "claude-fake", "max_tokens": 10,
            "messages": [{"role": "user", "content": "hi"}]},
            headers={"x-api-key": CLIENT_KEY, "anthropic-version": "2023-06-01"})
        assert r.status_code == 200, r.text
        assert [c.key for c in upstream.calls[-2:]] == [claude["access_token"],
                                                        "sk-up-claude-key"]
        pool = requests.get(f"{gateway.url}/v0/pool", timeout=5).json()
        account = next(c for c in pool["credentials"]
                       if c["id"] == "auth:claude-c@example.com.json")
        assert account["cooling_until"] is None and not account["model_cooldowns"]
        assert account["failures"] == 1 and account["last_error"]["status"] == 400
    finally:
        gateway.stop()
        fake.oauth = previous
