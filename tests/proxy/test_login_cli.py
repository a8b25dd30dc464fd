"""`switchyard login` / `switchyard import` end to end against the fake
OAuth server: the test plays the browser (or the user pasting), the CLI
writes a CLIProxyAPI-format auth file, and no token reaches the output."""
import io
import json
import os
import stat

import pytest
import requests
import yaml

from proxy.cli import main
from proxy.accounts import code_assist_setup
from proxy.login import flow
from tests.fakes.oauth_server import FakeOAuthServer, id_token


@pytest.fixture
def fake(monkeypatch, tmp_path):
    """The fake OAuth server, named by the config's ``oauth`` keys (sign-in
    origin, token endpoint, and the API host for profiles and Code Assist)."""
    with FakeOAuthServer(email="ada@example.com", account_id="acct-42", plan="pro") as server:
        oauth = {}
        for kind in ("claude", "codex", "gemini"):
            oauth.update({f"{kind}-auth-url": server.url, f"{kind}-token-url": server.token_url,
                          f"{kind}-base-url": server.url})
        path = tmp_path / "login-config.yaml"
        path.write_text(yaml.safe_dump({"oauth": oauth}), encoding="utf-8")
        monkeypatch.setenv("SWITCHYARD_CONFIG", str(path))
        yield server


def _browser(monkeypatch, seen):
    """Stand in for the user's browser: open the authorize URL, follow the
    provider's redirect to the loopback callback."""
    def open_url(url):
        seen.append(url)
        step = requests.get(url, allow_redirects=False, timeout=5)
        assert step.status_code == 302
        done = requests.get(step.headers["Location"], timeout=5)
        assert done.status_code == 200 and "close this tab" in done.text
        return True
    monkeypatch.setattr("webbrowser.open", open_url)


def _files(auth_dir):
    return sorted(p for p in os.listdir(auth_dir) if p.endswith(".json"))


def _no_tokens(text, fake):
    for call in fake.token_calls:
        assert not call.get("code") or call["code"] not in text
    assert "at-" not in text and "rt-" not in text


def test_codex_callback_login_writes_a_cliproxyapi_file(fake, monkeypatch, tmp_path, capsys):
    seen = []
    _browser(monkeypatch, seen)
    auth_dir = tmp_path / "auth"
    assert main(["login", "codex", "--callback-port", "0", "--auth-dir", str(auth_dir)]) == 0
    out, err = capsys.readouterr()
    assert "code_challenge_method=S256" in seen[0] and "codex_cli_simplified_flow=true" in seen[0]
    assert seen[0] in out and "ada@example.com" in err and "plan pro" in err
    _no_tokens(out + err, fake)
    [name] = _files(auth_dir)
    assert name.startswith("codex-") and name.endswith("-ada@example.com-pro.json")
    path = auth_dir / name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(auth_dir.stat().st_mode) == 0o700
    record = json.loads(path.read_text())
    assert record["type"] == "codex" and record["account_id"] == "acct-42"
    assert fake.valid(record["access_token"]) and record["refresh_token"].startswith("rt-")
    assert record["expired"].endswith("Z") and record["last_refresh"].endswith("Z")
    exchange = [c for c in fake.token_calls if c["grant_type"] == "authorization_code"][0]
    assert exchange["client_id"] == "app_EMoamEEZ73f0CkXaXp7hrann" and exchange["code_verifier"]


def test_claude_pasted_redirect_login_keeps_user_fields(fake, monkeypatch, tmp_path, capsys):
    auth_dir = tmp_path / "auth"
    auth_dir.mkdir()
    (auth_dir / "claude-ada@example.com.json").write_text(json.dumps({"priority": 7}))

    class Stdin(io.StringIO):
        def readline(self):
            # the user opened the printed URL elsewhere and pasted where it went
            url = capsys.readouterr().out.strip().splitlines()[-1]
            step = requests.get(url, allow_redirects=False, timeout=5)
            return step.headers["Location"] + "\n"
    monkeypatch.setattr("sys.stdin", Stdin())
    assert main(["login", "claude", "--no-browser", "--auth-dir", str(auth_dir)]) == 0
    record = json.loads((auth_dir / "claude-ada@example.com.json").read_text())
    assert record["type"] == "claude" and record["priority"] == 7
    assert record["email"] == "ada@example.com" and fake.valid(record["access_token"])
    exchange = [c for c in fake.token_calls if c["grant_type"] == "authorization_code"][0]
    assert exchange["state"] and exchange["redirect_uri"] == "http://localhost:54545/callback"


def test_pasted_code_hash_state_form_and_mismatched_state(fake, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("code-999#not-our-state\n"))
    assert main(["login", "claude", "--no-browser", "--auth-dir", str(tmp_path)]) == 1
    assert "state mismatch" in capsys.readouterr().err
    assert flow.parse_redirect("abc#xyz") == ("abc", "xyz")
    with pytest.raises(flow.LoginError, match="access_denied"):
        flow.parse_redirect("http://localhost:1/cb?error=access_denied&state=s")


def test_gemini_login_finds_the_code_assist_project(fake, monkeypatch, tmp_path, capsys):
    _browser(monkeypatch, [])
    assert main(["login", "gemini", "--callback-port", "0", "--auth-dir", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "gemini-ada@example.com-fake-project.json").read_text())
    assert record["type"] == "gemini" and record["project_id"] == "fake-project"
    assert fake.valid(record["token"]["access_token"]) and record["token"]["client_id"]
    exchange = [c for c in fake.token_calls if c["grant_type"] == "authorization_code"][0]
    assert "code_verifier" not in exchange and exchange["client_secret"]
    assert [(m, p) for m, p, _ in fake.code_assist_calls] == [
        ("POST", "/v1internal:loadCodeAssist")]


def test_gemini_login_onboards_an_account_without_a_project(fake, monkeypatch, tmp_path):
    """Gemini CLI's setupUser: no tier yet -> onboardUser to the default
    (free) tier without a project, the operation polled until done."""
    fake.needs_onboarding = True
    pauses = []
    monkeypatch.setattr(code_assist_setup, "_sleep", pauses.append)
    _browser(monkeypatch, [])
    assert main(["login", "gemini", "--callback-port", "0", "--auth-dir", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "gemini-ada@example.com-managed-proj-1.json").read_text())
    assert record["project_id"] == "managed-proj-1"
    load, onboard, *polls = fake.code_assist_calls
    assert load == ("POST", "/v1internal:loadCodeAssist", {"metadata": {
        "ideType": "IDE_UNSPECIFIED", "platform": "PLATFORM_UNSPECIFIED", "pluginType": "GEMINI"}})
    assert onboard == ("POST", "/v1internal:onboardUser", {"tierId": "free-tier", "metadata": {
        "ideType": "IDE_UNSPECIFIED", "platform": "PLATFORM_UNSPECIFIED", "pluginType": "GEMINI"}})
    assert polls == [("GET", "/v1internal/operations/onboard-1", None)] * 2
    assert pauses == [code_assist_setup.POLL_SECONDS] * 2


def test_gemini_login_without_any_project_says_what_to_do(fake, monkeypatch, tmp_path, capsys):
    fake.needs_onboarding = True
    fake.onboarded_project = ""                   # a Workspace account: nothing managed
    fake.onboard_polls = 0
    _browser(monkeypatch, [])
    assert main(["login", "gemini", "--callback-port", "0", "--auth-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "needs a Google Cloud project" in err and "--project" in err
    assert _files(tmp_path) == []


def test_codex_device_code_login(fake, monkeypatch, tmp_path, capsys):
    polls = []

    def approve(_interval):          # the user enters the code while we wait
        polls.append(1)
        fake.approve_device(user_code)
    monkeypatch.setattr(flow, "_sleep", approve)
    real_start = flow.device_start

    def start(provider):
        nonlocal user_code
        data = real_start(provider)
        user_code = data["user_code"]
        return data
    user_code = None
    monkeypatch.setattr(flow, "device_start", start)
    assert main(["login", "codex", "--device", "--auth-dir", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert user_code in out and polls == [1]
    _no_tokens(out + err, fake)
    [name] = _files(tmp_path)
    record = json.loads((tmp_path / name).read_text())
    assert record["account_id"] == "acct-42" and fake.valid(record["access_token"])


def test_refused_code_says_why_without_tokens(fake, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("http://localhost:1455/auth/callback?code=bogus\n"))
    assert main(["login", "codex", "--no-browser", "--auth-dir", str(tmp_path)]) == 1
    assert "unknown code" in capsys.readouterr().err and _files(tmp_path) == []


# -- import -------------------------------------------------------------------

def test_import_codex_cli_login(tmp_path, capsys):
    token = id_token({"email": "bo@example.com", "https://api.openai.com/auth": {
        "chatgpt_account_id": "acct-7", "chatgpt_plan_type": "plus"}})
    src = tmp_path / "auth.json"
    src.write_text(json.dumps({"OPENAI_API_KEY": None, "last_refresh": "2026-11-30T10:00:00Z",
                               "tokens": {"id_token": token, "access_token": "at-secret",
                                          "refresh_token": "rt-secret", "account_id": "acct-7"}}))
    assert main(["import", "codex", str(src), "--auth-dir", str(tmp_path / "a")]) == 0
    out, err = capsys.readouterr()
    assert "secret" not in out + err and "bo@example.com" in err
    [name] = _files(tmp_path / "a")
    record = json.loads((tmp_path / "a" / name).read_text())
    assert record["type"] == "codex" and record["access_token"] == "at-secret"
    assert record["account_id"] == "acct-7" and record["last_refresh"] == "2026-11-30T10:00:00Z"
    assert stat.S_IMODE((tmp_path / "a" / name).stat().st_mode) == 0o600


def test_import_claude_and_gemini_cli_logins(tmp_path, capsys):
    claude = tmp_path / ".credentials.json"
    claude.write_text(json.dumps({"claudeAiOauth": {
        "accessToken": "sk-ant-oat01-x", "refreshToken": "sk-ant-ort01-y",
        "expiresAt": 1798761600000, "scopes": ["user:inference"], "subscriptionType": "max"}}))
    assert main(["import", "claude", str(claude), "--auth-dir", str(tmp_path / "a")]) == 0
    gemini = tmp_path / "oauth_creds.json"
    gemini.write_text(json.dumps({"access_token": "ya29.x", "refresh_token": "1//r",
                                  "scope": "openid", "token_type": "Bearer",
                                  "id_token": id_token({"email": "cy@example.com"}),
                                  "expiry_date": 1798761600000}))
    assert main(["import", "gemini", str(gemini), "--auth-dir", str(tmp_path / "a")]) == 0
    out, err = capsys.readouterr()
    assert "sk-ant" not in out + err and "ya29" not in out + err
    c = json.loads((tmp_path / "a" / "claude-unknown.json").read_text())
    assert c["access_token"] == "sk-ant-oat01-x" and c["expired"] == "2027-01-01T00:00:00Z"
    assert c["plan_type"] == "max"
    g = json.loads((tmp_path / "a" / "gemini-cy@example.com-all.json").read_text())
    assert g["token"]["refresh_token"] == "1//r" and g["type"] == "gemini"


def test_import_of_an_api_key_only_codex_file_says_so(tmp_path, capsys):
    src = tmp_path / "auth.json"
    src.write_text(json.dumps({"OPENAI_API_KEY": "sk-live"}))
    assert main(["import", "codex", str(src), "--auth-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "API key" in err and "sk-live" not in err


def test_import_a_service_account_key_as_cliproxyapi_writes_a_vertex_file(tmp_path, capsys):
    """CLIProxyAPI's -vertex-import (internal/cmd/vertex_import.go): the key
    under service_account, its private key a PKCS#1 PEM, the file named
    vertex-[<prefix>-]<project>.json; it then serves from the auth folder."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from proxy.accounts import authfile
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    sa = {"type": "service_account", "project_id": "my proj", "private_key_id": "k1",
          "private_key": pem.replace("\n", "\r\n"),
          "client_email": "sa@my-proj.iam.gserviceaccount.com", "client_id": "1",
          "token_uri": "https://oauth2.googleapis.com/token"}
    src = tmp_path / "key.json"
    src.write_text(json.dumps(sa))
    folder = tmp_path / "a"
    assert main(["import", "vertex", str(src), "--prefix", "/team/", "--auth-dir",
                 str(folder)]) == 0
    written = json.loads((folder / "vertex-team-my-proj.json").read_text())
    assert written["type"] == "vertex" and written["project_id"] == "my proj"
    assert written["email"] == sa["client_email"] and written["location"] == "us-central1"
    assert written["prefix"] == "team"
    assert written["label"] == "my proj (sa@my-proj.iam.gserviceaccount.com)"
    assert written["service_account"]["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert written["service_account"]["client_id"] == "1"
    assert "PRIVATE" not in capsys.readouterr().err
    (entry,) = authfile.scan({"auth-dir": str(folder), "oauth": {}})
    assert entry.status == "loaded" and entry.credential.prefix == "team"
    not_a_key = tmp_path / "not.json"
    not_a_key.write_text(json.dumps({"type": "authorized_user"}))
    assert main(["import", "vertex", str(not_a_key), "--auth-dir", str(folder)]) == 1
    assert "service_account" in capsys.readouterr().err
    assert main(["import", "vertex", "--auth-dir", str(folder)]) == 1


def test_import_codex_login_whose_id_token_was_stored_as_claims(tmp_path, capsys):
    """Some Codex CLI releases wrote tokens.id_token as its parsed claims
    ({email, chatgpt_plan_type}); the file written holds no object there."""
    src = tmp_path / "auth.json"
    src.write_text(json.dumps({"tokens": {
        "id_token": {"email": "cl@example.com", "chatgpt_plan_type": "pro"},
        "access_token": "at-x", "refresh_token": "rt-x", "account_id": "acct-9"}}))
    assert main(["import", "codex", str(src), "--auth-dir", str(tmp_path / "a")]) == 0
    [name] = _files(tmp_path / "a")
    record = json.loads((tmp_path / "a" / name).read_text())
    assert record["id_token"] == "" and record["email"] == "cl@example.com"
    assert record["plan_type"] == "pro" and record["account_id"] == "acct-9"
    assert name == "codex-" + __import__("hashlib").sha256(b"acct-9").hexdigest()[:8] + \
        "-cl@example.com-pro.json"
