"""The vendors' own CLI logins -> auth-file records.

- Codex CLI ``~/.codex/auth.json``: ``{"OPENAI_API_KEY", "tokens":
  {"id_token", "access_token", "refresh_token", "account_id"}, "last_refresh"}``.
- Claude Code ``~/.claude/.credentials.json``: ``{"claudeAiOauth":
  {"accessToken", "refreshToken", "expiresAt" (ms), "scopes", "subscriptionType"}}``.
- Gemini CLI ``~/.gemini/oauth_creds.json``: Google's token JSON
  ``{"access_token", "refresh_token", "scope", "token_type", "id_token",
  "expiry_date" (ms)}``.
"""
import os
import time

from proxy.errors import NotALogin
from proxy.login import records
from proxy.login.providers import BUILTIN

DEFAULT_PATHS = {"codex": "~/.codex/auth.json", "claude": "~/.claude/.credentials.json",
                 "gemini": "~/.gemini/oauth_creds.json"}




def _ms_to_rfc3339(ms):
    try:
        return records.rfc3339(float(ms) / 1000.0)
    except (TypeError, ValueError):
        return ""


def from_codex(data, now):
    tokens = data.get("tokens") if isinstance(data.get("tokens"), dict) else None
    if not tokens or not tokens.get("access_token"):
        hint = " (it holds an API key: add it under codex-api-key)" if data.get(
            "OPENAI_API_KEY") else ""
        raise NotALogin(f"no ChatGPT login in the Codex file{hint}")
    email, account_id, plan = records.codex_identity(tokens.get("id_token", ""))
    exp = records.jwt_claims(tokens["access_token"]).get("exp")
    record = {"type": "codex", "access_token": tokens["access_token"],
              "refresh_token": tokens.get("refresh_token") or "",
              "id_token": tokens.get("id_token") or "",
              "account_id": tokens.get("account_id") or account_id, "email": email,
              "expired": records.rfc3339(exp) if isinstance(exp, (int, float)) else "",
              "last_refresh": data.get("last_refresh") or records.rfc3339(now)}
    if plan:
        record["plan_type"] = plan
    return record


def from_claude(data, now):
    oauth = data.get("claudeAiOauth") if isinstance(data.get("claudeAiOauth"), dict) else None
    if not oauth or not oauth.get("accessToken"):
        raise NotALogin("no claudeAiOauth login in the Claude Code file")
    record = {"type": "claude", "access_token": oauth["accessToken"],
              "refresh_token": oauth.get("refreshToken") or "",
              "expired": _ms_to_rfc3339(oauth.get("expiresAt")), "email": "",
              "id_token": "", "last_refresh": records.rfc3339(now)}
    if oauth.get("subscriptionType"):
        record["plan_type"] = oauth["subscriptionType"]
    if oauth.get("scopes"):
        record["scopes"] = list(oauth["scopes"])
    return record


def from_gemini(data, now):
    if not data.get("access_token") and not data.get("refresh_token"):
        raise NotALogin("no Google token in the Gemini CLI file")
    google = BUILTIN["gemini"]
    email = records.jwt_claims(data.get("id_token", "")).get("email") or ""
    expiry = _ms_to_rfc3339(data.get("expiry_date"))
    return {"type": "gemini", "email": email, "project_id": "", "auto": True, "checked": False,
            "token": {"access_token": data.get("access_token") or "",
                      "token_type": data.get("token_type") or "Bearer",
                      "refresh_token": data.get("refresh_token") or "", "expiry": expiry,
                      "token_uri": google.token_url, "client_id": google.client_id,
                      "client_secret": google.client_secret,
                      "scopes": (data.get("scope") or "").split(),
                      "universe_domain": "googleapis.com"},
            "expired": expiry, "last_refresh": records.rfc3339(now)}


CONVERTERS = {"codex": from_codex, "claude": from_claude, "gemini": from_gemini}


def convert(kind, data, now=None):
    if not isinstance(data, dict):
        raise NotALogin("not a JSON object")
    return CONVERTERS[kind](data, time.time() if now is None else now)


def default_path(kind):
    return os.path.expanduser(DEFAULT_PATHS[kind])
