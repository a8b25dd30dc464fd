"""The fake OAuth server behaves like the real token endpoints it stands for."""
import hashlib

import requests

from tests.fakes.oauth_server import FakeOAuthServer, _b64url


def test_refresh_rotates_and_refresh_tokens_are_single_use():
    with FakeOAuthServer() as fake:
        first = fake.grant()
        assert fake.valid(first["access_token"])
        resp = requests.post(fake.token_url, data={
            "grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, timeout=5)
        second = resp.json()
        assert resp.status_code == 200 and second["refresh_token"] != first["refresh_token"]
        assert fake.valid(second["access_token"])
        again = requests.post(fake.token_url, json={
            "grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, timeout=5)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        assert fake.refresh_count() == 2


def test_revoked_refresh_token_is_invalid_grant_and_failures_can_be_queued():
    with FakeOAuthServer() as fake:
        tokens = fake.grant()
        fake.fail_next(1, 503)
        body = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        assert requests.post(fake.token_url, data=body, timeout=5).status_code == 503
        fake.revoke(tokens["refresh_token"])
        resp = requests.post(fake.token_url, data=body, timeout=5)
        assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_authorization_code_with_pkce_and_device_code():
    with FakeOAuthServer() as fake:
        verifier = "v" * 50
        challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
        resp = requests.get(f"{fake.url}/oauth/authorize", params={
            "code_challenge": challenge, "redirect_uri": "http://localhost:1/cb", "state": "s1"},
            allow_redirects=False, timeout=5)
        location = resp.headers["Location"]
        assert location.startswith("http://localhost:1/cb?code=") and "state=s1" in location
        code = location.split("code=")[1].split("&")[0]
        bad = requests.post(fake.token_url, data={"grant_type": "authorization_code",
                                                   "code": code, "code_verifier": "wrong",
                                                   "redirect_uri": "http://localhost:1/cb"},
                            timeout=5)
        assert bad.status_code == 400
        code = fake.issue_code(challenge, "http://localhost:1/cb")
        ok = requests.post(fake.token_url, data={"grant_type": "authorization_code", "code": code,
                                                  "code_verifier": verifier,
                                                  "redirect_uri": "http://localhost:1/cb"},
                           timeout=5)
        assert ok.status_code == 200 and ok.json()["access_token"]
        profile = requests.get(f"{fake.url}/api/oauth/profile", timeout=5, headers={
            "Authorization": f"Bearer {ok.json()['access_token']}"})
        assert profile.json()["email"] == "user@example.com"
        start = requests.post(f"{fake.url}/api/accounts/deviceauth/usercode",
                              json={"client_id": "x"}, timeout=5).json()
        poll = {"device_auth_id": start["device_auth_id"], "user_code": start["user_code"]}
        url = f"{fake.url}/api/accounts/deviceauth/token"
        assert requests.post(url, json=poll, timeout=5).status_code == 403
        fake.approve_device(start["user_code"])
        got = requests.post(url, json=poll, timeout=5).json()
        ok = requests.post(fake.token_url, data={
            "grant_type": "authorization_code", "code": got["authorization_code"],
            "code_verifier": got["code_verifier"]}, timeout=5)
        assert ok.status_code == 200
