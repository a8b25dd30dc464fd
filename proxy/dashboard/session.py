"""Dashboard login sessions: a signed cookie, nothing stored server-side.

Several gunicorn workers serve one browser, so a session must verify in
any of them without shared memory: the cookie carries who logged in and
until when, signed with HMAC-SHA256 under a key derived from the very key
that logged in (the management secret's ``SecretHash.session_key``, or the
client key's digest).  Removing a client key or changing the management
secret therefore ends its sessions at once.

The cookie is HttpOnly and SameSite=Strict; requests that change something
must also send ``X-CSRF-Token``, a value derived from the cookie that the
page reads from ``GET /dashboard/session`` (same-origin only).

This module depends only on the client keys and the runtime config, so
``proxy.admin.management`` can accept a session wherever it accepts a key.
"""
import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

COOKIE = "switchyard_session"
LIFETIME_SECONDS = 12 * 3600
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MANAGEMENT, CLIENT = "management", "client"
_ROLE_CODES = {MANAGEMENT: "m", CLIENT: "c"}
_CONTEXT = b"switchyard dashboard session"


@dataclass(frozen=True)
class Session:
    role: str                 # MANAGEMENT or CLIENT
    client_key: object        # proxy.access.auth.ClientKey for a client session, else None
    expires: int              # unix seconds
    csrf: str


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _mac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _management_key(config):
    secret = config["remote-management"]["secret-key"]
    return getattr(secret, "session_key", b"") or None      # a sealed SecretHash


def _client_signing_key(client_key):
    return hmac.new(client_key.digest, _CONTEXT, hashlib.sha256).digest()


def issue(role, config, *, client_key=None, now=None):
    """A cookie value for a fresh session (the caller has checked the key)."""
    expires = int((now or time.time()) + LIFETIME_SECONDS)
    if role == MANAGEMENT:
        key, subject = _management_key(config), ""
    else:
        key, subject = _client_signing_key(client_key), client_key.key_id
    payload = f"{_ROLE_CODES[role]}.{subject}.{expires}"
    return f"{payload}.{_b64(_mac(key, payload))}"


def read(value, config, client_keys, *, now=None):
    """The Session a cookie value proves, or None (forged, expired, revoked)."""
    parts = (value or "").split(".")
    if len(parts) != 4 or not parts[2].isdigit():
        return None
    code, subject, expires, signature = parts
    if int(expires) <= (now or time.time()):
        return None
    if code == "m" and not subject:
        role, client_key, key = MANAGEMENT, None, _management_key(config)
    elif code == "c":
        role = CLIENT
        client_key = next((k for k in client_keys if k.key_id == subject), None)
        key = _client_signing_key(client_key) if client_key else None
    else:
        return None
    if key is None:
        return None
    expected = _mac(key, f"{code}.{subject}.{expires}")
    if not hmac.compare_digest(_b64(expected), signature):
        return None
    return Session(role, client_key, int(expires), _b64(_mac(key, "csrf." + signature))[:32])


def from_request(request, config, client_keys):
    """The request's valid session, or None."""
    value = request.cookies.get(COOKIE)
    return read(value, config, client_keys) if value else None


def csrf_ok(request, session):
    """Whether a cookie-authenticated request may proceed: reads always,
    writes only with the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return True
    return csrf_matches(session, request.headers.get(CSRF_HEADER))


def csrf_matches(session, given):
    return hmac.compare_digest((given or "").encode(), session.csrf.encode())


def set_cookie(response, value, *, secure):
    response.set_cookie(COOKIE, value, max_age=LIFETIME_SECONDS, path="/", httponly=True,
                        samesite="Strict", secure=secure)


def clear_cookie(response, *, secure):
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Strict", secure=secure)
