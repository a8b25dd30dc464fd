"""The auth-file format (CLIProxyAPI's) and the credentials built from it.

Facts of the format: ``type`` picks the provider; the access token is
``access_token`` or ``token.access_token``; the expiry is one of
``expired``/``expire``/``expires_at``/``expiresAt``/``expiry``/``expires``
(also under ``token``), RFC 3339 or unix seconds/milliseconds; the label is
``label`` else ``email`` else ``project_id``; per-file knobs ``disabled``,
``priority``, ``weight``, ``prefix``, ``proxy_url``, ``excluded_models``,
``headers``, ``disable_cooling``.
A credential's id is ``auth:<path relative to auth-dir>``, so a rotated
token keeps its cooldowns and usage history.

Knobs are read the way CLIProxyAPI reads them
(``sdk/cliproxy/auth/metadata_keys.go``, ``internal/watcher/synthesizer/file.go``):
the dashed spellings (``proxy-url``, ``excluded-models``, ``disable-cooling``)
are aliases; a knob of the wrong type is ignored rather than failing the
file (``priority`` may be a numeric string; a ``prefix`` holding ``/`` is
dropped; header values that are not non-empty strings are skipped); a
Gemini ``project_id`` listing several projects (``"p1,p2"``) serves as one
credential per project, ids ``auth:<file>::<project>`` (CLIProxyAPI's
virtual Gemini auths).
"""
import base64
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone

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
SETTING_UP = "setting up"       # a Gemini CLI file whose Code Assist project is looked up
EXPIRY_KEYS = ("expired", "expire", "expires_at", "expiresAt", "expiry", "expires")
# CLIProxyAPI's CanonicalCredentialMetadataKey: dashed spellings of the knobs
KEY_ALIASES = {"proxy-url": "proxy_url", "excluded-models": "excluded_models",
               "disable-cooling": "disable_cooling", "model-aliases": "model_aliases"}
DEFAULT_DIR = "~/.switchyard/auth"
OPENAI_AUTH_CLAIM = "https://api.openai.com/auth"      # the id_token's ChatGPT claims
CLIPROXYAPI_DIR = "~/.cli-proxy-api"


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._@+-]+")


@dataclass
class Entry:
    """One file as /v0/pool shows it: never a token."""
    id: str
    path: str
    type: str = ""
    status: str = "loaded"      # loaded | disabled | unsupported | malformed | setting up
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
    refreshing worker never reads half a file), 0600, in a 0700 folder.  The
    temp file is not ``*.json``: CLIProxyAPI's watcher loads every one,
    dot-files included."""
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".writing", dir=folder)
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


def _nested_token(data):
    """The ``token`` object (``Token`` in some older files), or {}."""
    for key in ("token", "Token"):
        if isinstance(data.get(key), dict):
            return data[key]
    return {}


def _token_field(data, name):
    value = data.get(name)
    if not (isinstance(value, str) and value.strip()):
        value = _nested_token(data).get(name)
    return value.strip() if isinstance(value, str) else ""


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
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        # Go's time.Parse reads a time without an offset ("2006-01-02 15:04:05",
        # a layout CLIProxyAPI accepts) as UTC, not local time
        return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()
    return None


def expiry(data):
    """The access token's expiry (epoch seconds), or None when the file has none."""
    for scope in (data, _nested_token(data)):
        for key in EXPIRY_KEYS:
            if key in scope:
                when = parse_time(scope[key])
                if when is not None:
                    return when
    return None


def lifetime(data):
    """Seconds the access token was issued for (its expiry less the file's
    ``last_refresh``), or None when the file does not say."""
    expires, issued = expiry(data), parse_time(data.get("last_refresh"))
    return expires - issued if expires is not None and issued is not None \
        and expires > issued else None


def load(auth_dir, path, oauth):
    """An Entry for one file (the first, for a multi-project Gemini file);
    ``oauth`` is the config's ``oauth`` section."""
    return load_all(auth_dir, path, oauth)[0]


def load_all(auth_dir, path, oauth):
    """The Entries of one file: one, or one per project of a Gemini file
    whose ``project_id`` lists several."""
    rel = os.path.relpath(path, auth_dir).replace(os.sep, "/")
    entry = Entry(id=f"auth:{rel}", path=path)
    try:
        data = normalized(read(path))
    except AuthFileError as exc:
        entry.status, entry.reason = "malformed", str(exc)
        return [entry]
    entry.type = str(data.get("type") or "").strip().lower()
    entry.label = _label(data)
    if entry.type in UNSUPPORTED:
        entry.status, entry.reason = "unsupported", UNSUPPORTED[entry.type]
        return [entry]
    if entry.type not in SERVED:
        entry.status = "malformed" if not entry.type else "unsupported"
        entry.reason = "no 'type' field" if not entry.type else f"unknown type {entry.type!r}"
        return [entry]
    projects = gemini_projects(data) if entry.type == "gemini" else []
    if len(projects) < 2:
        return [_finish(entry, data, oauth, projects[0] if projects else None)]
    return [_finish(Entry(id=f"{entry.id}::{project.replace('/', '_').replace(' ', '_')}",
                          path=path, type=entry.type, label=entry.label), data, oauth, project)
            for project in projects]


def _finish(entry, data, oauth, project):
    try:
        entry.credential = _credential(entry, data, oauth.get(f"{entry.type}-base-url") or "",
                                       project)
    except (TypeError, ValueError, KeyError) as exc:
        entry.status, entry.reason = "malformed", f"bad field: {exc}"
        return entry
    if health.needs_relogin(entry.id, refresh_token(data) or entry.id):
        entry.status, entry.reason = health.NEEDS_RELOGIN, "the token endpoint refused the " \
            "refresh token; log in again and replace the file"
        entry.credential = None
    elif data.get("disabled") is True:
        entry.status, entry.reason = "disabled", "disabled: true in the file"
    elif entry.type == "gemini" and not project:
        # out of rotation until proxy.accounts.gemini_project writes its project
        entry.status, entry.reason = SETTING_UP, "no project_id: asking Code Assist for the " \
            "account's project"
    return entry


def normalized(data):
    """``data`` with the dashed knob spellings under their canonical keys
    (the canonical key wins when both are present)."""
    if not any(key in data for key in KEY_ALIASES):
        return data
    data = dict(data)
    for alias, key in KEY_ALIASES.items():
        if alias in data:
            value = data.pop(alias)
            data.setdefault(key, value)
    return data


def gemini_projects(data):
    """The projects a Gemini file serves: ``project_id`` split on commas."""
    raw = data.get("project_id")
    if not isinstance(raw, str):
        return []
    return [p.strip() for p in raw.split(",") if p.strip()]


def _label(data):
    for key in ("label", "email", "project_id"):
        if isinstance(data.get(key), str) and data[key]:
            return data[key]
    return ""


def jwt_claims(token):
    """The payload of a JWT, signature unchecked (the token came over TLS
    from its issuer; only who it belongs to is read). {} when unreadable."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (AttributeError, IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _codex_facts(data):
    """(account id, expiry) of a Codex file, falling back as Codex CLI
    does: the id_token's ``chatgpt_account_id`` claim, the access token's
    ``exp`` (both JWTs) when the file has no ``account_id`` / expiry."""
    account_id = _string(data.get("account_id")).strip()
    if not account_id:
        auth = jwt_claims(_string(data.get("id_token"))).get(OPENAI_AUTH_CLAIM)
        account_id = _string(auth.get("chatgpt_account_id")) if isinstance(auth, dict) else ""
    expires = expiry(data)
    if expires is None:
        exp = jwt_claims(access_token(data)).get("exp")
        expires = float(exp) if isinstance(exp, (int, float)) and exp > 0 else None
    return account_id, expires


def _credential(entry, data, base_override, project=None):
    kind = SERVED[entry.type]
    provider = PROVIDERS[kind]
    account = {"path": entry.path, "type": entry.type, "expires": expiry(data),
               "lifetime": lifetime(data)}
    base_url = (base_override or provider.base_url).rstrip("/")
    if entry.type == "codex":
        account["account_id"], account["expires"] = _codex_facts(data)
    elif entry.type == "gemini":
        account["project"] = project or ""
    elif entry.type == "vertex":
        base_url = _vertex_base(data, base_override)
    token = access_token(data)
    if not token and entry.type != "vertex":
        raise ValueError("no access_token")
    return Credential(
        id=entry.id, kind=kind, dialect=provider.dialect, base_url=base_url,
        api_key=token, patterns=provider.model_patterns, excluded=_excluded(data),
        prefix=_prefix(data), priority=_priority(data), weight=file_weight(data),
        proxy_url=_string(data.get("proxy_url")).strip(), headers=_headers(data),
        disable_cooling=data.get("disable_cooling") is True,
        label=entry.label or entry.type, account=account)


# Per-file knobs, each read as CLIProxyAPI reads it: a value of the wrong
# type is as if absent (the file still serves).

def _string(value):
    return value if isinstance(value, str) else ""


def _excluded(data):
    value = data.get("excluded_models")
    if not isinstance(value, list):
        return ()
    return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())


def _headers(data):
    value = data.get("headers")
    if not isinstance(value, dict):
        return {}
    return {str(k).strip(): v.strip() for k, v in value.items()
            if str(k).strip() and isinstance(v, str) and v.strip()}


def _prefix(data):
    prefix = _string(data.get("prefix")).strip().strip("/")
    return "" if "/" in prefix else prefix


def _priority(data):
    value = data.get("priority")
    if isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return 0


def file_weight(data):
    """``weight``: a whole number, at most 1,000,000; 0 or less is 0 (out of
    weighted rotation); absent is 1.  Anything else is a bad field (CLIProxyAPI
    refuses such a file too)."""
    value = data.get("weight")
    if value is None:
        return 1
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ValueError("weight must be a whole number")
    if value > 1_000_000:
        raise ValueError("weight must not exceed 1000000")
    return max(int(value), 0)


def _vertex_base(data, host):
    """``https://<loc>-aiplatform.googleapis.com/v1/projects/<p>/locations/<loc>``
    (``global`` has no location prefix on the host)."""
    sa = data.get("service_account") if isinstance(data.get("service_account"), dict) else {}
    # CLIProxyAPI's vertexCreds: project_id, else "project"
    project = str(data.get("project_id") or data.get("project") or sa.get("project_id") or "")
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
    return [entry for path in list_files(auth_dir) for entry in load_all(auth_dir, path, oauth)]
