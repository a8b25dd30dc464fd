"""Token responses and CLI login files -> CLIProxyAPI auth-file records.

Pure functions over dicts: the field names are CLIProxyAPI's (``type``,
``access_token``, ``refresh_token``, ``expired`` RFC3339, ``email``,
``last_refresh``; Codex adds ``id_token`` and ``account_id``, Gemini nests
its Google token under ``token`` with ``project_id``).
"""
import datetime
import hashlib
import re

from proxy.accounts.authfile import OPENAI_AUTH_CLAIM, jwt_claims


def rfc3339(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).isoformat(
        timespec="seconds").replace("+00:00", "Z")


def codex_identity(id_token):
    """(email, account_id, plan) from a ChatGPT id_token."""
    claims = jwt_claims(id_token)
    auth = claims.get(OPENAI_AUTH_CLAIM) or {}
    return (claims.get("email") or "", auth.get("chatgpt_account_id") or "",
            auth.get("chatgpt_plan_type") or "")


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")


def file_name(record):
    """CLIProxyAPI's naming: ``claude-<email>.json``,
    ``codex-<sha8(account)>-<email>-<plan>.json`` (the plan part left out
    when the id_token names none: ``internal/auth/codex/filename.go``),
    ``gemini-<email>-<project>.json``."""
    kind, email = record["type"], record.get("email") or "unknown"
    if kind == "codex":
        parts = ["codex"]
        if record.get("account_id"):
            parts.append(hashlib.sha256(record["account_id"].encode()).hexdigest()[:8])
        parts.append(email)
        if _slug(record.get("plan_type")):
            parts.append(_slug(record.get("plan_type")))
        return "-".join(parts) + ".json"
    if kind == "gemini":
        project = record.get("project_id") or "all"
        return f"gemini-{email}-{'all' if ',' in project else project}.json"
    if kind == "vertex":          # vertex-[<prefix>-]<project>.json
        parts = [record.get("prefix"), record.get("project_id") or "unknown"]
        return "vertex-" + "-".join(_file_part(p) for p in parts if p) + ".json"
    return f"{kind}-{email}.json"


def _file_part(text):
    """CLIProxyAPI's sanitizeFilePart: / \\ : to _, spaces to -."""
    text = str(text).strip()
    for old, new in (("/", "_"), ("\\", "_"), (":", "_"), (" ", "-")):
        text = text.replace(old, new)
    return text


def from_tokens(kind, tokens, now, *, email="", plan="", account_id="", provider=None,
                project_id=""):
    """The auth-file record of a fresh token response."""
    expires = now + int(tokens.get("expires_in") or 3600)
    if kind == "gemini":
        return {"type": "gemini", "email": email, "project_id": project_id, "auto": not project_id,
                "checked": False, "token": {
                    "access_token": tokens["access_token"],
                    "token_type": tokens.get("token_type") or "Bearer",
                    "refresh_token": tokens.get("refresh_token") or "",
                    "expiry": rfc3339(expires), "token_uri": provider.token_url if provider else
                    "https://oauth2.googleapis.com/token",
                    "client_id": provider.client_id if provider else "",
                    "client_secret": provider.client_secret if provider else "",
                    "scopes": (tokens.get("scope") or "").split(),
                    "universe_domain": "googleapis.com"},
                "expired": rfc3339(expires), "last_refresh": rfc3339(now)}
    record = {"type": kind, "access_token": tokens["access_token"],
              "refresh_token": tokens.get("refresh_token") or "", "expired": rfc3339(expires),
              "email": email, "last_refresh": rfc3339(now)}
    if kind == "codex":
        record.update(id_token=tokens.get("id_token") or "", account_id=account_id)
        if plan:
            record["plan_type"] = plan
    if kind == "claude":
        record["id_token"] = ""
        if plan:
            record["plan_type"] = plan
    return record


def summary(record):
    """What a person may see about an auth file: never a token."""
    kind = record.get("type") or "unknown"
    return {"type": kind, "email": record.get("email") or record.get("label") or "",
            "plan": record.get("plan_type") or "", "account_id": record.get("account_id") or "",
            "project_id": record.get("project_id") or "",
            "expired": record.get("expired") or (record.get("token") or {}).get("expiry") or "",
            "last_refresh": record.get("last_refresh") or "",
            "disabled": bool(record.get("disabled"))}
