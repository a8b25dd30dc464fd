"""Conformance with CLIProxyAPI's auth files and the providers' token
endpoints, pinned on the real shapes (invented values): every file shape
CLIProxyAPI writes (``tests/fixtures/cliproxyapi/auth``) loads, its knobs
read the way CLIProxyAPI reads them; refreshes send each provider's request
shape, classify its error answers as its own CLI does, and write the new
tokens under every key a reader looks at first.
"""
import json
import os
import shutil
import time
from datetime import datetime

import pytest

from proxy.accounts import authfile, health, refresher, token_client
from tests.fakes.oauth_server import FakeOAuthServer

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "cliproxyapi", "auth")
CODEX_FILE = "codex-cf4c4732-user@example.com-plus.json"


def _epoch(text):
    return datetime.fromisoformat(text).timestamp()


@pytest.fixture(autouse=True)
def _fresh_health():
    health.reset()
    yield
    health.reset()


@pytest.fixture(scope="module")
def entries():
    return {e.id: e for e in authfile.scan({"auth-dir": FIXTURES, "oauth": {}})}


def test_every_file_shape_cliproxyapi_writes_loads_or_says_why_not(entries):
    loaded = {i for i, e in entries.items() if e.status == "loaded"}
    assert loaded == {
        "auth:claude-user@example.com.json", "auth:claude-setup-token.json",
        f"auth:{CODEX_FILE}", "auth:codex-knobs.json",
        "auth:gemini-user@example.com-my-proj-1.json",
        "auth:gemini-user@example.com-all.json::proj-a",
        "auth:gemini-user@example.com-all.json::proj-b", "auth:vertex-pre-vx-proj.json"}
    for kind in ("antigravity", "kimi", "xai", "qwen", "iflow"):
        (entry,) = [e for e in entries.values() if e.type == kind]
        assert entry.status == "unsupported" and entry.reason and entry.credential is None


def test_claude_file(entries):
    cred = entries["auth:claude-user@example.com.json"].credential
    assert cred.kind == "claude-oauth" and cred.api_key == "sk-ant-oat01-INVENTED-access"
    assert cred.label == "user@example.com"
    # Go's time.RFC3339 with the writer's local offset
    assert cred.account["expires"] == _epoch("2026-12-02T18:00:00+00:00")
    setup = entries["auth:claude-setup-token.json"].credential
    assert setup.api_key == "sk-ant-oat01-INVENTED-setup" and setup.account["expires"] is None


def test_codex_file(entries):
    cred = entries[f"auth:{CODEX_FILE}"].credential
    assert cred.kind == "codex-oauth" and cred.base_url == "https://chatgpt.com"
    assert cred.account["account_id"] == "11111111-2222-4333-8444-555555555555"
    assert cred.account["expires"] == _epoch("2026-12-12T10:00:00+00:00")


def test_gemini_files_nested_token_and_a_project_list(entries):
    one = entries["auth:gemini-user@example.com-my-proj-1.json"].credential
    assert one.kind == "gemini-cli" and one.api_key == "ya29.INVENTED-nested"
    assert one.account["project"] == "my-proj-1"
    # oauth2.Token's expiry: RFC 3339 with nanoseconds and an offset
    assert abs(one.account["expires"] - _epoch("2026-12-03T03:04:05.123456+00:00")) < 1e-3
    # "proj-a, proj-b": one credential per project (CLIProxyAPI's virtual
    # auths), sharing the file's token -- the top-level copy CLIProxyAPI's
    # own refresh left, read before the token object's
    a = entries["auth:gemini-user@example.com-all.json::proj-a"].credential
    b = entries["auth:gemini-user@example.com-all.json::proj-b"].credential
    assert (a.account["project"], b.account["project"]) == ("proj-a", "proj-b")
    assert a.api_key == b.api_key == "ya29.INVENTED-new"
    assert a.account["path"] == b.account["path"]
    assert a.label == "user@example.com"


def test_vertex_file(entries):
    entry = entries["auth:vertex-pre-vx-proj.json"]
    cred = entry.credential
    assert cred.base_url == ("https://europe-west4-aiplatform.googleapis.com/v1/projects/"
                             "vx-proj/locations/europe-west4")
    assert cred.prefix == "pre" and entry.label.startswith("vx-proj (")
    assert cred.api_key == ""                   # exchanged on first use


def test_hand_edited_knobs_are_read_as_cliproxyapi_reads_them(entries):
    cred = entries["auth:codex-knobs.json"].credential
    assert cred.priority == 7                              # "7"
    assert cred.weight == 3
    assert cred.prefix == ""                               # "team/a": not one segment
    assert cred.proxy_url == "socks5://127.0.0.1:1080"     # proxy-url
    assert cred.excluded == ("gpt-5-mini",)                # excluded-models, trimmed
    assert cred.disable_cooling is True                    # disable-cooling
    assert cred.headers == {"X-Team": "blue"}              # non-strings and blanks skipped
    # "2026-12-03 10:00:00": no offset, read as UTC as Go's time.Parse does
    assert cred.account["expires"] == _epoch("2026-12-03T10:00:00+00:00")


@pytest.mark.parametrize("data, field", [
    ({"priority": "high"}, "priority"), ({"excluded_models": "gpt-x"}, "excluded"),
    ({"headers": ["x"]}, "headers"), ({"prefix": 5}, "prefix"), ({"proxy_url": 1}, "proxy_url")])
def test_a_knob_of_the_wrong_type_is_ignored_not_fatal(tmp_path, data, field):
    path = tmp_path / "codex-x.json"
    path.write_text(json.dumps(dict({"type": "codex", "access_token": "t"}, **data)))
    (entry,) = authfile.scan({"auth-dir": str(tmp_path), "oauth": {}})
    assert entry.status == "loaded"
    assert getattr(entry.credential, field) in (0, (), {}, "")


def test_a_weight_cliproxyapi_refuses_marks_the_file_malformed(tmp_path):
    (tmp_path / "codex-x.json").write_text(json.dumps(
        {"type": "codex", "access_token": "t", "weight": 1.5}))
    (entry,) = authfile.scan({"auth-dir": str(tmp_path), "oauth": {}})
    assert entry.status == "malformed" and "weight" in entry.reason


# -- refresh -----------------------------------------------------------------

def _answers(monkeypatch, *answers):
    """Stand in for the token endpoint: each call gets the next answer;
    returns the list of (url, body, as_json) sent."""
    sent, queue = [], list(answers)

    def post(url, body, *, as_json=False, proxies=None, bearer=None):
        sent.append((url, dict(body), as_json))
        return queue.pop(0)
    monkeypatch.setattr(token_client, "post", post)
    return sent


def test_each_provider_gets_its_own_refresh_request(monkeypatch):
    ok = (200, {"access_token": "new", "expires_in": 3600})
    sent = _answers(monkeypatch, ok, ok, ok, ok)
    token_client.refresh("claude", {}, "rt-c", "https://claude/token")
    token_client.refresh("codex", {}, "rt-x", "https://openai/token")
    token_client.refresh("gemini", {"token": {"client_id": "cid", "client_secret": "sec"}},
                         "rt-g", "https://google/token")
    token_client.refresh("gemini", {"token": {}}, "rt-g2", "https://google/token")
    (_, claude, as_json), (_, codex, codex_json), (_, gemini, _), (_, bare, _) = sent
    # Anthropic: JSON; OpenAI and Google: a form
    assert as_json and claude == {"grant_type": "refresh_token", "refresh_token": "rt-c",
                                  "client_id": token_client.CLAUDE_CLIENT_ID}
    assert not codex_json and codex["client_id"] == "app_EMoamEEZ73f0CkXaXp7hrann"
    assert codex["scope"] == "openid profile email"
    assert (gemini["client_id"], gemini["client_secret"]) == ("cid", "sec")
    # a file without the client: Gemini CLI's, the one its tokens were issued to
    assert bare["client_id"] == token_client.GEMINI_CLIENT_ID
    assert bare["client_secret"] == token_client.GEMINI_CLIENT_SECRET


@pytest.mark.parametrize("status, answer, final", [
    # OpenAI (codex-rs manager.rs): the code in error.code, error or code
    (401, {"error": {"message": "m", "type": "invalid_request_error",
                     "code": "refresh_token_reused"}}, True),
    (400, {"error": {"type": "invalid_request_error", "code": "refresh_token_expired"}}, True),
    (400, {"code": "refresh_token_invalidated"}, True),
    (401, {"error": {"message": "unknown"}}, True),
    # RFC 6749 (Google, Anthropic)
    (400, {"error": "invalid_grant", "error_description": "Bad Request"}, True),
    (401, {"error": "invalid_client"}, True),
    # not the token's fault: a CDN's page, a rate limit, an outage, a bad request
    (403, {}, False), (429, {"error": "rate_limited"}, False), (503, {}, False),
    (400, {"error": "invalid_request"}, False),
])
def test_refresh_errors_classified_as_the_vendors_clients_do(monkeypatch, status, answer, final):
    _answers(monkeypatch, (status, answer))
    expected = token_client.RefreshRejected if final else token_client.RefreshFailed
    with pytest.raises(expected):
        token_client.refresh("codex", {}, "rt", "https://openai/token")


def test_refreshing_a_cliproxyapi_refreshed_gemini_file_moves_every_copy(tmp_path):
    """CLIProxyAPI's Gemini refresh leaves the token at the top level too;
    those copies are read first, so a refresh must move them with the
    token object, or the old token and expiry would be used again."""
    with FakeOAuthServer() as oauth:
        t = oauth.grant(expires_in=10)
        with open(os.path.join(FIXTURES, "gemini-user@example.com-all.json")) as f:
            data = json.load(f)
        data.update(access_token=t["access_token"], refresh_token=t["refresh_token"],
                    expired="2020-01-01T00:00:00Z")
        data["token"].update(access_token=t["access_token"], refresh_token=t["refresh_token"])
        path = tmp_path / "gemini-user@example.com-all.json"
        path.write_text(json.dumps(data))
        config = {"auth-dir": str(tmp_path), "oauth": {"gemini-token-url": oauth.token_url}}
        creds = [e.credential for e in authfile.scan(config)]
        assert refresher.refresh(creds[0], config, reason="test") is True
        after = json.loads(path.read_text())
        new = creds[0].api_key
        assert new != t["access_token"]
        assert after["access_token"] == after["token"]["access_token"] == new
        assert after["refresh_token"] == after["token"]["refresh_token"]
        assert after["expiry"] == after["token"]["expiry"] == after["expired"]
        assert authfile.access_token(after) == new
        assert authfile.expiry(after) > time.time() + 3000
        assert oauth.token_calls[-1]["client_id"] == token_client.GEMINI_CLIENT_ID
        # the other project's credential adopts the rotated token, no second refresh
        assert refresher.refresh(creds[1], config, reason="test") is True
        assert creds[1].api_key == new and oauth.refresh_count() == 1


def test_fixture_files_untouched_by_loading(tmp_path):
    """Loading never writes (CLIProxyAPI's files stay byte-identical)."""
    copy = tmp_path / "auth"
    shutil.copytree(FIXTURES, copy)
    before = {p: (copy / p).read_bytes() for p in os.listdir(copy)}
    authfile.scan({"auth-dir": str(copy), "oauth": {}})
    assert {p: (copy / p).read_bytes() for p in os.listdir(copy)} == before


def test_codex_file_without_account_id_or_expiry_reads_them_from_its_jwts(tmp_path):
    """Codex CLI's auth.json keeps both only inside the tokens: the
    id_token's ChatGPT claim names the account, the access token's exp
    says when it ends."""
    with open(os.path.join(FIXTURES, CODEX_FILE)) as f:
        data = json.load(f)
    del data["account_id"], data["expired"]
    (tmp_path / "codex-bare.json").write_text(json.dumps(data))
    (entry,) = authfile.scan({"auth-dir": str(tmp_path), "oauth": {}})
    assert entry.credential.account["account_id"] == "11111111-2222-4333-8444-555555555555"
    assert entry.credential.account["expires"] == 1796263200


def test_vertex_file_naming_its_project_project_and_a_crlf_key(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption()).decode().replace("\n", "\r\n")
    (tmp_path / "vertex-p.json").write_text(json.dumps({
        "type": "vertex", "project": "p-only", "location": "global",
        "service_account": {"private_key": pem, "client_email": "sa@p.iam.gserviceaccount.com"}}))
    (entry,) = authfile.scan({"auth-dir": str(tmp_path), "oauth": {}})
    assert entry.credential.base_url == \
        "https://aiplatform.googleapis.com/v1/projects/p-only/locations/global"
    assertion = token_client.service_account_jwt(
        {"private_key": pem, "client_email": "sa@p.iam.gserviceaccount.com"},
        "https://oauth2.googleapis.com/token", now=1000)
    assert assertion.count(".") == 2
