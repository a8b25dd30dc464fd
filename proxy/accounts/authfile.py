"""The auth-file format (CLIProxyAPI's) and the credentials built from it.

Facts of the format: ``type`` picks the provider; the access token is
``access_token`` or ``token.access_token``; the expiry is one of
``expired``/``expire``/``expires_at``/``expiresAt``/``expiry``/``expires``
(also under ``token``), RFC 3339 or unix seconds/milliseconds; the label is
``label`` else ``email``; per-file knobs ``disabled``, ``priority``,
``weight``, ``prefix``, ``proxy_url``, ``excluded_models``, ``headers``.
A credential's id is ``auth:<path relative to auth-dir>``, so a rotated
token keeps its cooldowns and usage history.
"""
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime

from proxy.accounts import health
from proxy.errors import AuthFileError
from proxy.providers.credentials import Credential
from proxy.providers.kinds import PROVIDERS

# auth-file type -> provider kind (proxy.providers.kinds)
SERVED = {"claude": "claude-oauth", "codex": "codex-oauth", "gemini": "gemini-cli",
          "vertex": "vertex"}
# types CLIProxyAPI writes that Switchyard lists but does not serve, and why
UNSUPPORTED = {
    "antigravity": "Antigravity accepts only its own app's user agent; Switchyard does not "
                   "impersonate clients",
    "kimi": "Kimi's coding API requires device headers of its own CLI (not impersonated)",
    "xai": "xAI subscription accounts are not supported yet",
    "qwen": "Qwen OAuth (removed from CLIProxyAPI) requires its CLI's client headers",
    "iflow": "iFlow (removed from CLIProxyAPI) requires signed client headers",
}
EXPIRY_KEYS = ("expired", "expire", "expires_at", "expiresAt", "expiry", "expires")
DEFAULT_DIR = "~/.switchyard/auth"
CLIPROXYAPI_DIR = "~/.cli-proxy-api"


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._@+-]+")


@dataclass
class Entry:
    """One file as /v0/pool shows it: never a token."""
    id: str
    path: str
    type: str = ""
    status: str = "loaded"      # loaded | disabled | unsupported | malformed
    reason: str = ""
    label: str = ""
    credential: Credential = field(default=None, repr=False)

    def describe(self):
        return {"id": self.id, "type": self.type, "status": self.status,
                "reason": self.reason, "label": self.label}


def resolve_dir(config):
    """``auth-dir`` with ``~`` expanded; left at its default, it is
    ``$SWITCHYARD_AUTH_DIR`` when set (as ``switchyard login`` decides), else
    CLIProxyAPI's folder when only that one exists."""
    value = config.get("auth-dir") or DEFAULT_DIR
    if value == DEFAULT_DIR:
        value = os.environ.get("SWITCHYARD_AUTH_DIR") or value
    path = os.path.expanduser(value)
    if value == DEFAULT_DIR and not os.path.isdir(path):
        legacy = os.path.expanduser(CLIPROXYAPI_DIR)
        if os.path.isdir(legacy):
            return legacy
    return path


def list_files(auth_dir):
    """Every ``*.json`` under ``auth_dir`` (sorted, recursive), none if absent."""
    found = []
    for root, dirs, files in os.walk(auth_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(root, f) for f in sorted(files)
                  if f.endswith(".json") and not f.startswith(".")]
    return found


def read(path):
    """The file's JSON object; AuthFileError when it is not one."""
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read())
    except OSError as exc:
        raise AuthFileError(f"unreadable: {exc.strerror}") from None
    except ValueError as exc:
        raise AuthFileError(f"not JSON: {type(exc).__name__} at {_where(exc)}") from None
    if not isinstance(data, dict):
        raise AuthFileError("not a JSON object")
    return data


def safe_name(name):
    """A file name inside auth-dir: no separators, no dot-files, ``.json``."""
    base = _UNSAFE_NAME.sub("-", os.path.basename(str(name))).lstrip(".")
    if not base:
        raise ValueError("empty auth file name")
    return base if base.endswith(".json") else base + ".json"


def path_in(auth_dir, name):
    return os.path.join(auth_dir, safe_name(name))


def write(path, data):
    """Replace ``path`` with ``data`` the way CLIProxyAPI writes auth files:
    atomically (a temp file renamed over it, so the folder watcher or a
    refreshing worker never reads half a file), 0600, in a 0700 folder."""
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)
            json.dump(data, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save(auth_dir, name, record, *, merge=True):
    """Write ``record`` as ``auth_dir/name``, merged over the existing file's
    keys (fields a user added, such as ``disabled`` or ``priority``, survive)
    unless ``merge`` is false; returns the path."""
    path = path_in(auth_dir, name)
    data = {}
    if merge and os.path.exists(path):
        try:
            data = read(path)
        except AuthFileError:
            data = {}
    data.update(record)
    write(path, data)
    return path


def _where(exc):
    return f"line {getattr(exc, 'lineno', '?')} column {getattr(exc, 'colno', '?')}"


def _token_field(data, name):
    value = data.get(name)
    if not value and isinstance(data.get("token"), dict):
        value = data["token"].get(name)
    return value if isinstance(value, str) else ""


def access_token(data):
    return _token_field(data, "access_token")


def refresh_token(data):
    return _token_field(data, "refresh_token")


def parse_time(value):
    """Epoch seconds from RFC 3339 text or unix seconds/milliseconds; None if unreadable."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, (int, float)):
        return value / 1000.0 if value > 1e11 else float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def expiry(data):
    """The access token's expiry (epoch seconds), or None when the file has none."""
    for scope in (data, data.get("token") if isinstance(data.get("token"), dict) else {}):
        for key in EXPIRY_KEYS:
            if key in scope:
                when = parse_time(scope[key])
                if when is not None:
                    return when
    return None


def load(auth_dir, path, oauth):
    """An Entry for one file; ``oauth`` is the config's ``oauth`` section."""
    rel = os.path.relpath(path, auth_dir).replace(os.sep, "/")
    entry = Entry(id=f"auth:{rel}", path=path)
    try:
        data = read(path)
    except AuthFileError as exc:
        entry.status, entry.reason = "malformed", str(exc)
        return entry
    entry.type = str(data.get("type") or "")
    entry.label = str(data.get("label") or data.get("email") or "")
    if entry.type in UNSUPPORTED:
        entry.status, entry.reason = "unsupported", UNSUPPORTED[entry.type]
        return entry
    if entry.type not in SERVED:
        entry.status = "malformed" if not entry.type else "unsupported"
        entry.reason = "no 'type' field" if not entry.type else f"unknown type {entry.type!r}"
        return entry
    try:
        entry.credential = _credential(entry, data, oauth.get(f"{entry.type}-base-url") or "")
    except (TypeError, ValueError, KeyError) as exc:
        entry.status, entry.reason = "malformed", f"bad field: {exc}"
        return entry
    if health.needs_relogin(entry.id, refresh_token(data) or entry.id):
        entry.status, entry.reason = health.NEEDS_RELOGIN, "the token endpoint refused the " \
            "refresh token; log in again and replace the file"
        entry.credential = None
    elif data.get("disabled") is True:
        entry.status, entry.reason = "disabled", "disabled: true in the file"
    return entry


def _credential(entry, data, base_override):
    kind = SERVED[entry.type]
    provider = PROVIDERS[kind]
    account = {"path": entry.path, "type": entry.type, "expires": expiry(data)}
    base_url = (base_override or provider.base_url).rstrip("/")
    if entry.type == "codex":
        account["account_id"] = str(data.get("account_id") or "")
    elif entry.type == "gemini":
        account["project"] = str(data.get("project_id") or "")
    elif entry.type == "vertex":
        base_url = _vertex_base(data, base_override)
    token = access_token(data)
    if not token and entry.type != "vertex":
        raise ValueError("no access_token")
    excluded = data.get("excluded_models") or []
    headers = data.get("headers") or {}
    if not isinstance(excluded, list) or not isinstance(headers, dict):
        raise TypeError("excluded_models must be a list and headers an object")
    return Credential(
        id=entry.id, kind=kind, dialect=provider.dialect, base_url=base_url,
        api_key=token, patterns=provider.model_patterns, excluded=tuple(excluded),
        prefix=str(data.get("prefix") or "").strip("/"),
        priority=int(data.get("priority") or 0),
        weight=int(data["weight"]) if data.get("weight") is not None else 1,
        proxy_url=str(data.get("proxy_url") or ""), headers=dict(headers),
        disable_cooling=bool(data.get("disable_cooling")),
        label=entry.label or entry.type, account=account)


def _vertex_base(data, host):
    """``https://<loc>-aiplatform.googleapis.com/v1/projects/<p>/locations/<loc>``
    (``global`` has no location prefix on the host)."""
    sa = data.get("service_account") if isinstance(data.get("service_account"), dict) else {}
    project = str(data.get("project_id") or sa.get("project_id") or "")
    if not project:
        raise ValueError("no project_id")
    location = str(data.get("location") or "us-central1")
    host = host or (
        "https://aiplatform.googleapis.com" if location == "global"
        else f"https://{location}-aiplatform.googleapis.com")
    return f"{host.rstrip('/')}/v1/projects/{project}/locations/{location}"


def scan(config):
    """Entries of every file in the auth directory, in path order."""
    auth_dir = resolve_dir(config)
    oauth = config.get("oauth") or {}
    return [load(auth_dir, path, oauth) for path in list_files(auth_dir)]
