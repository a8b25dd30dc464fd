"""Keeping accounts alive and visible, through the real server.

A Gemini CLI (Code Assist) account is refreshed before a call once under
30 s remain, and after a 401; a Vertex service account's token comes from a
JWT the fake token endpoint receives signed with the account's key (its
claims and signature checked here); the quota signals of each account type
(Anthropic's unified windows on any answer, Codex's usage_limit_reached,
Google's RetryInfo) show per account in /v0/pool; and after all of it no
token the fake OAuth server ever issued appears in /metrics, /v0/pool, an
error body or the log.
"""
import base64
import json
import os
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.oauth_server import FakeOAuthServer
from tests.integration.conftest import CLIENT_KEY, launch
from tests.integration.fake_upstream import Fault

GEMINI = "gemini-upkeep.json"
CLAUDE = "claude-upkeep.json"
CODEX = "codex-upkeep.json"
VERTEX = "vertex-upkeep.json"
SA_EMAIL = "sa@vx-upkeep.iam.gserviceaccount.com"


def _rfc3339(seconds_from_now):
    return (datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now)).isoformat()


def _b64decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@pytest.fixture(scope="module")
def oauth():
    with FakeOAuthServer() as server:
        yield server


@pytest.fixture(scope="module")
def sa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def auth_dir(tmp_path_factory, oauth, sa_key):
    folder = str(tmp_path_factory.mktemp("auth-upkeep"))

    def write(name, data):
        with open(os.path.join(folder, name), "w") as f:
            json.dump(data, f)

    t = oauth.grant()
    write(GEMINI, {"type": "gemini", "project_id": "proj-up", "email": "g@example.com",
                   "token": {"access_token": t["access_token"],
                             "refresh_token": t["refresh_token"],
                             "expiry": _rfc3339(10),         # under 30 s: refreshed lazily
                             "token_uri": oauth.token_url, "client_id": "gemini-client",
                             "client_secret": "gemini-secret", "scopes": ["cloud-platform"]},
                   "excluded_models": ["gemini-vx"]})
    t = oauth.grant()
    write(CLAUDE, {"type": "claude", "access_token": t["access_token"],
                   "refresh_token": t["refresh_token"], "expired": _rfc3339(3 * 86400),
                   "email": "c@example.com"})
    t = oauth.grant()
    write(CODEX, {"type": "codex", "access_token": t["access_token"],
                  "refresh_token": t["refresh_token"], "id_token": t["id_token"],
                  "account_id": "acct-fake-1", "email": "x@example.com",
                  "expired": _rfc3339(10 * 86400)})
    pem = sa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption()).decode()
    write(VERTEX, {"type": "vertex", "project_id": "vx-upkeep", "email": SA_EMAIL,
                   "location": "us-central1", "excluded_models": ["gemini-fake"],
                   "service_account": {"type": "service_account", "project_id": "vx-upkeep",
                                       "private_key_id": "key-7", "private_key": pem,
                                       "client_email": SA_EMAIL}})
    return folder


@pytest.fixture(scope="module")
def gw(fake, oauth, auth_dir, tmp_path_factory):
    fake.oauth = oauth
    urls = {}
    for kind in ("claude", "codex", "gemini", "vertex"):
        urls[f"{kind}-token-url"] = oauth.token_url
        urls[f"{kind}-base-url"] = fake.url
    gateway = launch({"api-keys": [CLIENT_KEY], "auth-dir": auth_dir, "oauth": urls,
                      "auth-dir-poll-seconds": 0.2, "usage": {"enabled": False},
                      "watch-config": False}, str(tmp_path_factory.mktemp("gw-upkeep")))
    yield gateway
    gateway.stop()
    fake.oauth = None


def _read(auth_dir, name):
    with open(os.path.join(auth_dir, name)) as f:
        return json.load(f)


def _gemini(gw, model="gemini-fake"):
    return requests.post(f"{gw.url}/v1beta/models/{model}:generateContent", timeout=10,
                         headers={"x-goog-api-key": CLIENT_KEY},
                         json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})


def _claude(gw):
    return requests.post(f"{gw.url}/v1/messages", timeout=10, json={
        "model": "claude-fake", "max_tokens": 10,
        "messages": [{"role": "user", "content": "hi"}]},
        headers={"x-api-key": CLIENT_KEY, "anthropic-version": "2023-06-01"})


def _pool(gw):
    answer = requests.get(f"{gw.url}/v0/pool", timeout=5)
    assert answer.status_code == 200
    return answer


def _quota(gw, cred_id):
    creds = {c["id"]: c for c in _pool(gw).json()["credentials"]}
    return (creds[cred_id].get("quota") or {}).get("windows") or {}


def test_gemini_account_refreshed_before_the_call_once_under_30s_remain(
        gw, upstream, oauth, auth_dir):
    before = _read(auth_dir, GEMINI)["token"]
    answer = _gemini(gw)
    assert answer.status_code == 200, answer.text
    after = _read(auth_dir, GEMINI)["token"]
    # refreshed before calling: the one upstream call carried the new token
    assert [c.key for c in upstream.calls] == [after["access_token"]]
    assert after["access_token"] != before["access_token"]
    grant = [c for c in oauth.token_calls if c.get("refresh_token") == before["refresh_token"]]
    assert grant == [{"grant_type": "refresh_token", "refresh_token": before["refresh_token"],
                      "client_id": "gemini-client", "client_secret": "gemini-secret"}]
    # Google's token JSON keeps its shape: nested, the client and scopes intact
    assert after["client_id"] == "gemini-client" and after["scopes"] == ["cloud-platform"]
    expiry = datetime.fromisoformat(after["expiry"].replace("Z", "+00:00")).timestamp()
    assert expiry > time.time() + 3000
    # by the request itself (Gemini CLI accounts have no background refresh)
    assert f"account auth:{GEMINI} refreshed (about to expire" in gw.log()
    assert f"account auth:{GEMINI} refreshed (ahead of expiry" not in gw.log()


def test_gemini_account_refreshed_after_a_401_and_the_call_retried(
        gw, upstream, oauth, auth_dir):
    # the file's first token is refreshed before a call (under 30 s left):
    # one call first, so that the 401 is what refreshes the token below
    assert _gemini(gw).status_code == 200
    upstream.reset_state()
    before = _read(auth_dir, GEMINI)["token"]["access_token"]
    oauth.expire(before)
    refreshes = oauth.refresh_count()
    answer = _gemini(gw)
    assert answer.status_code == 200, answer.text
    after = _read(auth_dir, GEMINI)["token"]["access_token"]
    assert [c.key for c in upstream.calls] == [before, after] and after != before
    assert oauth.refresh_count() == refreshes + 1
    assert upstream.calls[1].body["project"] == "proj-up"


def test_vertex_token_comes_from_a_jwt_signed_with_the_accounts_key(
        gw, upstream, oauth, sa_key):
    answer = _gemini(gw, "gemini-vx")
    assert answer.status_code == 200, answer.text
    (grant,) = [c for c in oauth.token_calls
                if c.get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer"]
    head, claims, signature = grant["assertion"].split(".")
    assert json.loads(_b64decode(head)) == {"alg": "RS256", "typ": "JWT", "kid": "key-7"}
    body = json.loads(_b64decode(claims))
    assert body["iss"] == SA_EMAIL and body["aud"] == oauth.token_url
    assert body["scope"] == "https://www.googleapis.com/auth/cloud-platform"
    assert body["exp"] - body["iat"] == 3600 and abs(body["iat"] - time.time()) < 600
    # raises InvalidSignature unless the account's own key signed it
    sa_key.public_key().verify(_b64decode(signature), f"{head}.{claims}".encode(),
                               padding.PKCS1v15(), hashes.SHA256())
    (call,) = upstream.calls
    assert oauth.valid(call.key) and call.path.startswith(
        "/v1/projects/vx-upkeep/locations/us-central1/publishers/google/models/gemini-vx:")


def test_quota_windows_of_each_account_show_in_the_pool(gw, upstream, auth_dir):
    now = int(time.time())
    claude_token = _read(auth_dir, CLAUDE)["access_token"]
    upstream.script(claude_token, Fault(headers={
        "anthropic-ratelimit-unified-status": "allowed",
        "anthropic-ratelimit-unified-reset": str(now + 4000),
        "anthropic-ratelimit-unified-representative-claim": "five_hour",
        "anthropic-ratelimit-unified-5h-utilization": "0.42",
        "anthropic-ratelimit-unified-5h-reset": str(now + 4000),
        "anthropic-ratelimit-unified-5h-status": "allowed",
        "anthropic-ratelimit-unified-7d-utilization": "0.18",
        "anthropic-ratelimit-unified-7d-reset": str(now + 400000),
        "anthropic-ratelimit-unified-7d-status": "allowed"}))
    answer = _claude(gw)
    assert answer.status_code == 200, answer.text
    windows = _quota(gw, f"auth:{CLAUDE}")
    assert windows["unified-5h"]["utilization"] == 0.42
    assert windows["unified-5h"]["resets_at"] == now + 4000
    assert windows["unified-7d"]["status"] == "allowed"
    assert windows["unified"]["representative_claim"] == "five_hour"

    codex_token = _read(auth_dir, CODEX)["access_token"]
    upstream.script(codex_token, Fault(status=429, body={"error": {
        "type": "usage_limit_reached", "message": "The usage limit has been reached",
        "plan_type": "plus", "resets_in_seconds": 3600}}))
    answer = requests.post(f"{gw.url}/v1/responses", timeout=10, json={
        "model": "gpt-fake", "input": "hi"}, headers={"Authorization": f"Bearer {CLIENT_KEY}"})
    assert answer.status_code == 429
    window = _quota(gw, f"auth:{CODEX}")["usage_limit"]
    assert window["status"] == "rejected" and window["plan_type"] == "plus"
    assert abs(window["resets_at"] - (time.time() + 3600)) < 60

    # the file's first Gemini token is refreshed before a call (under 30 s
    # left): one call first, so that the token scripted below is the one sent
    assert _gemini(gw).status_code == 200
    gemini_token = _read(auth_dir, GEMINI)["token"]["access_token"]
    upstream.script(gemini_token, Fault(status=429, body={"error": {
        "code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded.",
        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                     "retryDelay": "37s"}]}}))
    assert _gemini(gw).status_code == 429
    window = _quota(gw, f"auth:{GEMINI}")["retry"]
    assert abs(window["resets_at"] - (time.time() + 37)) < 10 and window["resets_at_iso"]


def test_no_token_in_metrics_pool_error_bodies_or_log(gw, upstream, oauth, auth_dir):
    # a refresh that succeeds (the Claude account's token expired: its 401
    # refreshes it), whichever tests of this module ran before here
    oauth.expire(_read(auth_dir, CLAUDE)["access_token"])
    assert _claude(gw).status_code == 200
    # one more error body: an account whose refresh is refused
    data = _read(auth_dir, CODEX)
    oauth.revoke(data["refresh_token"])
    oauth.expire(data["access_token"])
    refused = requests.post(f"{gw.url}/v1/responses", timeout=10, json={
        "model": "gpt-fake", "input": "hi"}, headers={"Authorization": f"Bearer {CLIENT_KEY}"})
    assert refused.status_code >= 400
    assert oauth.refresh_count() >= 2             # the scrape below follows real refreshes
    metrics = requests.get(f"{gw.url}/metrics", timeout=5)
    assert metrics.status_code == 200 and "switchyard_" in metrics.text
    with oauth._lock:
        tokens = set(oauth._access) | set(oauth._refresh) | set(oauth._used_refresh)
    tokens |= {c.get("assertion") for c in oauth.token_calls if c.get("assertion")}
    assert len(tokens) >= 7       # three logins, one rotated, one revoked: at least
    for where, text in (("/metrics", metrics.text), ("/v0/pool", _pool(gw).text),
                        ("an error body", refused.text), ("the log", gw.log())):
        leaked = [t[:8] for t in tokens if t in text]
        assert not leaked, f"tokens {leaked} in {where}"
    assert "PRIVATE KEY" not in gw.log() and "gemini-secret" not in gw.log()
