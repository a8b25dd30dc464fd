"""What a login writes is what CLIProxyAPI writes: the records' fields and
file names (``internal/auth/{claude,codex}``, ``sdk/auth``), the account
named from Anthropic's token answer and profile, and Codex's device-code
answer in either spelling."""
from datetime import datetime

from proxy.login import flow, providers, records


def _epoch(text):
    return datetime.fromisoformat(text).timestamp()


def test_login_records_carry_cliproxyapi_fields_and_names():
    now = _epoch("2026-12-03T00:00:00+00:00")
    tokens = {"access_token": "a", "refresh_token": "r", "expires_in": 3600, "id_token": "i"}
    claude = records.from_tokens("claude", tokens, now, email="u@example.com")
    assert set(claude) >= {"type", "access_token", "refresh_token", "id_token", "email",
                           "expired", "last_refresh"}
    assert claude["expired"] == "2026-12-03T01:00:00Z"
    codex = records.from_tokens("codex", tokens, now, email="u@example.com", account_id="acc")
    assert set(codex) >= {"type", "access_token", "refresh_token", "id_token", "account_id",
                          "email", "expired", "last_refresh"}
    gemini = records.from_tokens("gemini", tokens, now, email="u@example.com",
                                 provider=providers.get("gemini"), project_id="p")
    assert set(gemini["token"]) == {"access_token", "token_type", "refresh_token", "expiry",
                                    "token_uri", "client_id", "client_secret", "scopes",
                                    "universe_domain"}
    assert (gemini["project_id"], gemini["auto"], gemini["checked"]) == ("p", False, False)
    # internal/auth/codex/filename.go: the plan part only when the id_token names one
    assert records.file_name(dict(codex, plan_type="Pro Lite")) == \
        "codex-41432230-u@example.com-pro-lite.json"
    assert records.file_name(codex) == "codex-41432230-u@example.com.json"
    assert records.file_name(dict(codex, account_id="")) == "codex-u@example.com.json"
    assert records.file_name(gemini) == "gemini-u@example.com-p.json"
    assert records.file_name(dict(gemini, project_id="p1,p2")) == "gemini-u@example.com-all.json"


def test_claude_login_names_the_account_from_the_token_answer_and_profile(monkeypatch):
    """Anthropic's token answer carries the account and organization; the
    profile, when reachable, wins (CLIProxyAPI's ExchangeCodeForTokens)."""
    tokens = {"access_token": "a", "refresh_token": "r", "expires_in": 3600,
              "account": {"uuid": "acc-1", "email_address": "t@example.com"},
              "organization": {"uuid": "org-1", "name": "Org"}}
    monkeypatch.setattr(flow, "_profile", lambda url, token: {})
    record = flow.to_record(providers.get("claude"), tokens, now=0)
    assert (record["email"], record["account_uuid"]) == ("t@example.com", "acc-1")
    assert (record["organization_uuid"], record["organization_name"]) == ("org-1", "Org")
    monkeypatch.setattr(flow, "_profile", lambda url, token: {
        "account": {"uuid": "acc-1", "email": "p@example.com"},
        "organization": {"uuid": "org-1", "name": "Org 2", "organization_type": "claude_max"}})
    record = flow.to_record(providers.get("claude"), tokens, now=0)
    assert (record["email"], record["organization_name"]) == ("p@example.com", "Org 2")
    assert record["plan_type"] == "claude_max"


def test_codex_device_code_answer_with_the_older_usercode_spelling(monkeypatch):
    monkeypatch.setattr(flow, "_post", lambda url, body, as_json: (
        200, {"device_auth_id": "dev-1", "usercode": "ABCD-1234", "interval": "5"}))
    start = flow.device_start(providers.get("codex"))
    assert start["user_code"] == "ABCD-1234" and start["device_auth_id"] == "dev-1"


def test_a_login_in_progress_and_a_write_leave_no_json_cliproxyapi_would_load(
        tmp_path, monkeypatch):
    """CLIProxyAPI loads every ``*.json`` of auth-dir, dot-files included:
    a pending login and a file being written must not be one."""
    import os

    from proxy.accounts import authfile
    from proxy.login import pending
    session = flow.Session(providers.get("codex"), "http://localhost:1455/auth/callback")
    pending.add(str(tmp_path), session)
    assert pending.claim(str(tmp_path), session.state)["state"] == session.state
    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (replaced.append(a), real_replace(a, b)))
    authfile.save(str(tmp_path), "codex-a.json", {"type": "codex", "access_token": "t"})
    assert replaced and not replaced[0].endswith(".json")
    assert [n for n in os.listdir(tmp_path) if n.endswith(".json")] == ["codex-a.json"]


def test_code_assist_onboarding_answered_without_an_operation_name_is_asked_again(
        monkeypatch):
    """Older Code Assist answers to onboardUser carry no operation name:
    Gemini CLI then repeats the same onboardUser every 5 s until done."""
    from proxy.accounts import code_assist_setup
    calls = []
    answers = [{"allowedTiers": [{"id": "free-tier", "isDefault": True}]},
               {"done": False}, {"done": False},
               {"done": True, "response": {"cloudaicompanionProject": {"id": "managed-1"}}}]

    def call(method, url, token, body=None):
        calls.append((method, url.rsplit("/", 1)[-1], body))
        return answers.pop(0)
    monkeypatch.setattr(code_assist_setup, "_call", call)
    monkeypatch.setattr(code_assist_setup, "_sleep", lambda seconds: None)
    assert code_assist_setup.project_for("https://ca.example", "tok") == "managed-1"
    assert [c[1] for c in calls] == ["v1internal:loadCodeAssist"] + \
        ["v1internal:onboardUser"] * 3
    assert calls[1][2] == calls[3][2] == {"tierId": "free-tier",
                                          "metadata": code_assist_setup.METADATA}


def test_code_assist_behind_vpc_service_controls_keeps_the_named_project(monkeypatch):
    from proxy.accounts import token_client
    from proxy.errors import SetupError
    from proxy.accounts import code_assist_setup
    refused = (403, {"error": {"code": 403, "status": "PERMISSION_DENIED", "details": [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo",
         "reason": "SECURITY_POLICY_VIOLATED"}]}})
    monkeypatch.setattr(token_client, "post", lambda *a, **k: refused)
    assert code_assist_setup.project_for("https://ca.example", "tok", "corp-proj") == "corp-proj"
    monkeypatch.setattr(token_client, "post", lambda *a, **k: (403, {"error": {
        "code": 403, "message": "The caller does not have permission"}}))
    import pytest
    with pytest.raises(SetupError):
        code_assist_setup.project_for("https://ca.example", "tok", "corp-proj")
