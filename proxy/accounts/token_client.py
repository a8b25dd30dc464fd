"""Calls to the OAuth token endpoints: ``post`` (shared with the login
flows), refresh grants per account type and Google's service-account JWT
grant.  The one boundary where ``requests``
errors become ``RefreshRejected`` (the account must log in again) or
``RefreshFailed`` (transient: back off and try later).

Request shapes (see each provider's token endpoint): Anthropic takes JSON,
OpenAI and Google take a form.  The client ids are the public ids of the
vendors' own CLIs, the ones the stored refresh tokens were issued to.  The
user agent is ``switchyard/<version>``, never another app's.
"""
import base64
import json
import time
from urllib.parse import urlsplit

import requests

from proxy import __version__
from proxy.errors import EndpointUnreachable, RefreshFailed, RefreshRejected

CLAUDE_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
CODEX_CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
# Gemini CLI's installed-app client (its secret is public by design for
# installed apps); a Gemini file's token object normally repeats it, and
# CLIProxyAPI refreshed with these whatever the file said.
GEMINI_CLIENT_ID = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com"
GEMINI_CLIENT_SECRET = "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"
GOOGLE_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TIMEOUT = 30.0
USER_AGENT = f"switchyard/{__version__}"


def refresh(kind, data, refresh_token, token_url, proxies=None):
    """The token response (dict) for ``refresh_token`` of an account of
    ``kind`` (its file's ``data`` supplies client ids where the file has them)."""
    if kind == "claude":
        return _refresh_grant(token_url, proxies, {
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": CLAUDE_CLIENT_ID}, as_json=True)
    if kind == "codex":
        return _refresh_grant(token_url, proxies, {
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": CODEX_CLIENT_ID, "scope": "openid profile email"})
    if kind == "gemini":
        token = data.get("token") if isinstance(data.get("token"), dict) else data
        client_id = token.get("client_id") or data.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            client_id = GEMINI_CLIENT_ID
        secret = token.get("client_secret") or data.get("client_secret")
        if not isinstance(secret, str) or not secret:
            secret = GEMINI_CLIENT_SECRET if client_id == GEMINI_CLIENT_ID else ""
        return _refresh_grant(token_url, proxies, {
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": client_id, "client_secret": secret})
    if kind == "vertex":
        return _refresh_grant(token_url, proxies, {
            "grant_type": JWT_GRANT, "assertion": service_account_jwt(
                data.get("service_account") or {}, token_url)})
    raise RefreshRejected(f"{kind} accounts cannot be refreshed")


def post(url, body, *, as_json=False, proxies=None, bearer=None):
    """POST ``body`` to an OAuth endpoint (JSON or a form), or with
    ``bearer`` to an account's own API during a login: ``(status, the
    answer's JSON object or {})``.  The one place logins and refreshes make
    these calls; ``EndpointUnreachable`` when no answer came."""
    return _call("POST", url, proxies, bearer, {"json": body} if as_json else {"data": body})


def get(url, *, bearer=None, proxies=None):
    """GET a JSON object (a profile, a long-running operation): as ``post``."""
    return _call("GET", url, proxies, bearer, {})


def _call(method, url, proxies, bearer, body):
    # who is calling, honestly: never the user agent of a vendor's own app
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    try:
        resp = requests.request(method, url, timeout=TIMEOUT, proxies=proxies,
                                headers=headers, **body)
    except requests.RequestException as exc:
        raise EndpointUnreachable(
            f"{urlsplit(url).netloc or 'token endpoint'} unreachable: "
            f"{type(exc).__name__}") from None
    try:
        answer = resp.json()
    except ValueError:
        answer = {}
    return resp.status_code, answer if isinstance(answer, dict) else {}


# Error codes that mean this refresh token will never work again: RFC 6749
# section 5.2's, and OpenAI's (codex-rs ``login/src/auth/manager.rs``:
# expired, reused -- its refresh tokens are single-use -- and revoked).
REJECTING_CODES = frozenset({
    "invalid_grant", "invalid_client", "unauthorized_client",
    "refresh_token_expired", "refresh_token_reused", "refresh_token_invalidated"})


def error_code(answer):
    """The error code of a token endpoint's answer, where each provider puts
    it: ``{"error": "invalid_grant"}`` (RFC 6749; Google, Anthropic),
    ``{"error": {"code": ...}}`` or a top-level ``code`` (OpenAI)."""
    error = answer.get("error")
    if isinstance(error, dict):
        error = error.get("code") or error.get("type")
    if not isinstance(error, str) or not error:
        error = answer.get("code")
    return error.lower() if isinstance(error, str) else ""


def _refresh_grant(url, proxies, body, as_json=False):
    status, answer = post(url, body, as_json=as_json, proxies=proxies)
    if status == 200 and answer.get("access_token"):
        return answer
    code = error_code(answer)
    reason = f"token endpoint answered {status} {code}".strip()
    # A 401, or a 4xx naming a dead refresh token, is final; anything else --
    # a 403 or 429 from a CDN in front of the endpoint, a 5xx -- is transient.
    if status == 401 or (400 <= status < 500 and code in REJECTING_CODES):
        raise RefreshRejected(reason)
    raise RefreshFailed(reason)


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def service_account_jwt(key, audience, now=None):
    """An RS256-signed assertion for Google's JWT grant (RFC 7523), from a
    service-account key: iss = client_email, scope cloud-platform."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        # a key pasted on Windows: CRLF line ends (CLIProxyAPI normalises them too)
        pem = key["private_key"].replace("\r\n", "\n").replace("\r", "\n").strip()
        private = serialization.load_pem_private_key(pem.encode(), None)
        email = key["client_email"]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise RefreshRejected("service_account lacks a usable private_key/client_email") from None
    now = int(now or time.time())
    head = {"alg": "RS256", "typ": "JWT"}
    if key.get("private_key_id"):
        head["kid"] = key["private_key_id"]
    claims = {"iss": email, "scope": GOOGLE_SCOPE, "aud": audience, "iat": now,
              "exp": now + 3600}
    signing = (_b64url(json.dumps(head).encode()) + "." +
               _b64url(json.dumps(claims).encode()))
    signature = private.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing + "." + _b64url(signature)
