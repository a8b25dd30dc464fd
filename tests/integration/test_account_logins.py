"""Logins started from the management API on a gateway of two gunicorn
workers, against the fake OAuth server.

Each request goes on a fresh connection, so starting, completing and
reading a login land on either worker: a login is completed by a pasted
redirect URL or by the browser's callback (forwarded from the provider's
loopback callback port to the gateway), whichever worker gets it, its
status reads the same from both, and a redirect is spent once.
"""
import json
import os
import re
import time

import pytest
import requests

from tests import services
from tests.fakes.oauth_server import FakeOAuthServer
from tests.integration.conftest import CLIENT_KEY, launch

SECRET = "mgmt-secret-logins-1"
STATUS_READS = 6


@pytest.fixture(scope="module")
def oauth():
    with FakeOAuthServer(email="dee@example.com", account_id="acct-dee", plan="pro") as server:
        yield server


@pytest.fixture(scope="module")
def gw(oauth, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gw-logins")
    config = {"api-keys": [CLIENT_KEY], "auth-dir": str(folder / "auth"),
              "remote-management": {"secret-key": SECRET}, "usage": {"enabled": False},
              "watch-config": False,
              "oauth": {"codex-auth-url": oauth.url, "codex-token-url": oauth.token_url,
                        "codex-callback-port": services.free_port()}}
    gateway = launch(config, str(folder), {"WEB_CONCURRENCY": "2"})
    deadline = time.monotonic() + 30
    while len(re.findall(r"worker \d+ serving", gateway.log())) < 2:
        assert time.monotonic() < deadline, "the second worker never started"
        time.sleep(0.05)
    yield gateway, folder / "auth"
    gateway.stop()


def _manage(gw, method, path, **kwargs):
    return requests.request(method, f"{gw.url}/v0/management{path}", timeout=10, headers={
        "Authorization": f"Bearer {SECRET}", "Connection": "close"}, **kwargs)


def _start(gw, oauth):
    """Start a Codex login; returns (state, the provider's redirect to the
    loopback callback once the user approved)."""
    start = _manage(gw, "POST", "/logins/codex")
    assert start.status_code == 200, start.text
    body = start.json()
    assert body["status"] == "pending" and body["callback"].startswith("http://localhost:")
    approved = requests.get(body["url"], allow_redirects=False, timeout=5)
    assert approved.status_code == 302
    return body["state"], approved.headers["Location"]


def _statuses(gw, state):
    return [_manage(gw, "GET", f"/logins/{state}").json() for _ in range(STATUS_READS)]


def test_pasted_redirect_completes_whichever_worker_gets_it(gw, oauth):
    gateway, auth_dir = gw
    for _ in range(3):
        state, redirect = _start(gateway, oauth)
        assert {s["status"] for s in _statuses(gateway, state)} == {"pending"}
        done = _manage(gateway, "POST", "/logins/complete", json={"redirect_url": redirect})
        assert done.status_code == 200, done.text
        body = done.json()
        assert body["email"] == "dee@example.com" and body["plan"] == "pro"
        assert "at-" not in done.text and "rt-" not in done.text
        reads = _statuses(gateway, state)
        assert {(s["status"], s["name"]) for s in reads} == {("done", body["name"])}
        again = _manage(gateway, "POST", "/logins/complete", json={"redirect_url": redirect})
        assert again.status_code == 404                       # a redirect is spent once
        with open(auth_dir / body["name"]) as f:
            record = json.load(f)
        assert oauth.valid(record["access_token"]) and record["account_id"] == "acct-dee"


def test_browser_callback_is_forwarded_to_the_gateway_and_completes(gw, oauth):
    gateway, auth_dir = gw
    for _ in range(3):
        state, redirect = _start(gateway, oauth)
        # the browser follows the provider's redirect to the loopback callback port,
        # which forwards it to the gateway (no management key: the state is the proof)
        landed = requests.get(redirect, timeout=10,
                              headers={"Connection": "close"})
        assert landed.status_code == 200 and "Logged in dee@example.com" in landed.text
        assert landed.url.startswith(f"{gateway.url}/v0/management/logins/callback?")
        assert "at-" not in landed.text
        reads = _statuses(gateway, state)
        assert {s["status"] for s in reads} == {"done"}
        name = reads[0]["name"]
        assert os.stat(auth_dir / name).st_mode & 0o777 == 0o600


def test_callback_with_an_unknown_state_or_a_refusal_says_so(gw, oauth):
    gateway, _ = gw
    unknown = requests.get(f"{gateway.url}/v0/management/logins/callback",
                           params={"code": "x", "state": "A" * 32}, timeout=5)
    assert unknown.status_code == 404
    state, redirect = _start(gateway, oauth)
    refused = requests.get(f"{gateway.url}/v0/management/logins/callback", timeout=5,
                           params={"error": "access_denied", "state": state})
    assert refused.status_code == 400 and "access_denied" in refused.text
    assert "<script" not in refused.text
    reads = _statuses(gateway, state)
    assert {s["status"] for s in reads} == {"failed"} and "access_denied" in reads[0]["error"]
