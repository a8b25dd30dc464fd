"""The vendors' own CLI logins -> auth-file records.

- Codex CLI ``~/.codex/auth.json``: ``{"OPENAI_API_KEY", "tokens":
  {"id_token", "access_token", "refresh_token", "account_id"}, "last_refresh"}``.
- Claude Code ``~/.claude/.credentials.json``: ``{"claudeAiOauth":
  {"accessToken", "refreshToken", "expiresAt" (ms), "scopes", "subscriptionType"}}``.
- Gemini CLI ``~/.gemini/oauth_creds.json``: Google's token JSON
  ``{"access_token", "refresh_token", "scope", "token_type", "id_token",
  "expiry_date" (ms)}``.
- A Google Cloud service-account key (``{"type": "service_account",
  "project_id", "private_key", "client_email", ...}``) -> a ``vertex`` file,
  as CLIProxyAPI's ``-vertex-import`` writes it (``internal/cmd/vertex_import.go``):
  the key under ``service_account`` with its private key re-encoded as a
  PKCS#1 PEM, ``project_id``, ``email``, ``location`` (``us-central1``),
  ``prefix``, ``label`` "<project> (<email>)".
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
    id_token = tokens.get("id_token") or ""
    if isinstance(id_token, dict):
        # some Codex CLI releases stored the id_token's parsed claims
        # ({email, chatgpt_plan_type}) instead of the JWT (token_data.rs)
        email, account_id, plan = (str(id_token.get("email") or ""), "",
                                   str(id_token.get("chatgpt_plan_type") or ""))
        id_token = ""
    else:
        email, account_id, plan = records.codex_identity(str(id_token))
    exp = records.jwt_claims(tokens["access_token"]).get("exp")
    record = {"type": "codex", "access_token": tokens["access_token"],
              "refresh_token": tokens.get("refresh_token") or "",
              "id_token": id_token,
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


def from_vertex(data, now, prefix=""):
    """The ``vertex`` record of a service-account key (``prefix``: the
    credential's model prefix, one path segment)."""
    if data.get("type") != "service_account":
        raise NotALogin("not a service-account key (its type is not service_account)")
    project = str(data.get("project_id") or "").strip()
    if not project:
        raise NotALogin("the service-account key has no project_id")
    prefix = (prefix or "").strip().strip("/")
    if "/" in prefix:
        raise NotALogin("the prefix must be one path segment (no '/')")
    email = str(data.get("client_email") or "").strip()
    key = dict(data, private_key=_pkcs1_pem(data.get("private_key")))
    label = f"{project} ({email})" if email else project
    return {"type": "vertex", "service_account": key, "project_id": project, "email": email,
            "location": "us-central1", "prefix": prefix, "label": label}


def _pkcs1_pem(private_key):
    """The RSA key as the PKCS#1 PEM CLIProxyAPI stores (CRLFs and stray
    spaces of a pasted key tolerated); NotALogin when it is not one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    text = str(private_key or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    try:
        key = serialization.load_pem_private_key(text.encode(), None)
    except (TypeError, ValueError):
        raise NotALogin("the service-account key's private_key is not a PEM key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise NotALogin("the service-account key's private_key is not an RSA key")
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


CONVERTERS = {"codex": from_codex, "claude": from_claude, "gemini": from_gemini,
              "vertex": from_vertex}
KINDS = tuple(CONVERTERS)


def convert(kind, data, now=None, **options):
    if not isinstance(data, dict):
        raise NotALogin("not a JSON object")
    return CONVERTERS[kind](data, time.time() if now is None else now, **options)


def default_path(kind):
    if kind not in DEFAULT_PATHS:
        raise NotALogin(f"name the {kind} file to import (it has no usual place)")
    return os.path.expanduser(DEFAULT_PATHS[kind])
