"""OAuth login flows: authorization code (+ PKCE S256 where the provider
uses it) completed by a loopback callback or a pasted redirect URL, and
OpenAI's device-code flow. Ends in an auth-file record (``records``).

Errors are ``LoginError`` with a message fit for the user: the provider's
``error``/``error_description``, never a token.
"""
import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

from proxy.accounts import code_assist_setup, token_client
from proxy.errors import LoginError
from proxy.login import records

_sleep = time.sleep      # the device poll's pause (tests approve the code in it)


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Session:
    """One login in progress: the state and PKCE verifier that tie the
    authorize URL to the code that comes back."""

    def __init__(self, provider, redirect_uri):
        self.provider, self.redirect_uri = provider, redirect_uri
        self.state = secrets.token_urlsafe(24)
        self.verifier = _b64url(secrets.token_bytes(64)) if provider.pkce else ""
        self.started = time.time()

    @classmethod
    def resume(cls, provider, record):
        """The session a ``proxy.login.pending`` record was made from."""
        session = cls.__new__(cls)
        session.provider, session.redirect_uri = provider, record["redirect_uri"]
        session.state, session.verifier = record["state"], record.get("verifier") or ""
        session.started = float(record["started"])
        return session

    @property
    def url(self):
        p = self.provider
        params = {"client_id": p.client_id, "response_type": "code",
                  "redirect_uri": self.redirect_uri, "scope": p.scope, "state": self.state}
        if p.pkce:
            params["code_challenge"] = _b64url(hashlib.sha256(self.verifier.encode()).digest())
            params["code_challenge_method"] = "S256"
        params.update(p.extra_params)
        sep = "&" if "?" in p.authorize_url else "?"
        return p.authorize_url + sep + urlencode(params)


def parse_redirect(text):
    """(code, state) from what the user pasted: the whole redirect URL, its
    query string, or Anthropic's ``code#state``."""
    text = (text or "").strip()
    if not text:
        raise LoginError("nothing pasted: expected the redirect URL or code#state")
    query = urlsplit(text).query if "://" in text else text.lstrip("?")
    fields = {k: v[0] for k, v in parse_qs(query).items()} if "=" in query else {}
    if fields.get("error"):
        raise LoginError(f"the provider refused: {fields['error']} "
                         f"{fields.get('error_description', '')}".strip())
    if "code" in fields:
        return fields["code"], fields.get("state", "")
    if "://" not in text and "=" not in text:
        code, _, state = text.partition("#")
        return code, state
    raise LoginError("no code in the pasted URL")


def _post(url, body, as_json):
    try:
        return token_client.post(url, body, as_json=as_json)
    except token_client.EndpointUnreachable as exc:
        raise LoginError(str(exc)) from None


def _token_error(provider, status, data):
    reason = data.get("error_description") or data.get("error") or f"HTTP {status}"
    if isinstance(reason, dict):
        reason = reason.get("message") or reason.get("type") or f"HTTP {status}"
    return LoginError(f"{provider.type} token endpoint refused the code: {reason}")


def exchange(session, code, state=None, *, redirect_uri=None, verifier=None):
    """Trade an authorization code for tokens (the raw token response)."""
    if state is not None and state and state != session.state:
        raise LoginError("state mismatch: this redirect belongs to another login")
    p = session.provider
    body = {"grant_type": "authorization_code", "code": code, "client_id": p.client_id,
            "redirect_uri": redirect_uri or session.redirect_uri}
    if p.pkce or verifier:
        body["code_verifier"] = verifier or session.verifier
    if p.client_secret:
        body["client_secret"] = p.client_secret
    if p.token_body == "json":
        body["state"] = session.state
    status, data = _post(p.token_url, body, p.token_body == "json")
    if status != 200 or not data.get("access_token"):
        raise _token_error(p, status, data)
    return data


def _profile(url, access_token):
    """The account's profile (Claude) or user info (Google); {} if unavailable."""
    try:
        status, answer = token_client.get(url, bearer=access_token)
    except token_client.EndpointUnreachable:
        return {}
    return answer if status == 200 else {}


def to_record(provider, tokens, *, project_id="", now=None):
    """The auth-file record of a token response, with the account behind it
    (Codex: the id_token's claims; Claude, Google: their profile endpoint)."""
    now = time.time() if now is None else now
    email = plan = account_id = ""
    org = {}
    if provider.type == "codex":
        email, account_id, plan = records.codex_identity(tokens.get("id_token", ""))
    elif provider.profile_url:
        profile = _profile(provider.profile_url, tokens["access_token"])
        # Anthropic's token answer names the account too ({account: {uuid,
        # email_address}, organization: {uuid, name}}); its profile, when
        # reachable, wins (CLIProxyAPI's ExchangeCodeForTokens does the same)
        account = _merged_object(tokens, profile, "account")
        org = _merged_object(tokens, profile, "organization")
        email = profile.get("email") or account.get("email") or \
            account.get("email_address") or ""
        account_id = account.get("uuid") or ""
        plan = org.get("organization_type") or ""
    if provider.type == "gemini" and provider.code_assist_url:
        try:
            project_id = code_assist_setup.project_for(provider.code_assist_url,
                                                       tokens["access_token"], project_id)
        except code_assist_setup.SetupError as exc:
            raise LoginError(str(exc)) from None
    record = records.from_tokens(provider.type, tokens, now, email=email, plan=plan,
                                 account_id=account_id, provider=provider,
                                 project_id=project_id)
    if provider.type == "claude":
        for key, value in (("account_uuid", account_id), ("organization_uuid", org.get("uuid")),
                           ("organization_name", org.get("name"))):
            if isinstance(value, str) and value:
                record[key] = value
    return record


def _merged_object(tokens, profile, key):
    """``key``'s object from the token answer with the profile's over it."""
    merged = {}
    for source in (tokens, profile):
        if isinstance(source.get(key), dict):
            merged.update({k: v for k, v in source[key].items() if v})
    return merged


# -- device code (OpenAI's flavour) -------------------------------------------

def device_start(provider):
    """Ask for a user code: {device_auth_id, user_code, interval, verify_url}."""
    if not provider.device_code_url:
        raise LoginError(f"{provider.type} has no device-code login")
    status, data = _post(provider.device_code_url, {"client_id": provider.client_id}, True)
    if not data.get("user_code") and data.get("usercode"):      # older spelling (codex-rs alias)
        data["user_code"] = data["usercode"]
    if not 200 <= status < 300 or not data.get("user_code") or not data.get("device_auth_id"):
        raise LoginError(f"device code request failed: HTTP {status}")
    data["verify_url"] = provider.device_verify_url
    return data


def device_wait(provider, start, *, deadline_s=900, sleep=None):
    """Poll until the user approved the code, then exchange it: tokens."""
    interval = max(int(start.get("interval") or 5), 1)
    ends = time.monotonic() + deadline_s
    body = {"device_auth_id": start.get("device_auth_id"), "user_code": start["user_code"]}
    while True:
        status, data = _post(provider.device_token_url, body, True)
        if 200 <= status < 300 and data.get("authorization_code"):
            break
        if status not in (403, 404) or time.monotonic() > ends:
            raise LoginError(f"device login did not complete: HTTP {status}")
        (sleep or _sleep)(interval)
    session = Session(provider, provider.device_redirect_uri)
    return exchange(session, data["authorization_code"], None,
                    redirect_uri=provider.device_redirect_uri,
                    verifier=data.get("code_verifier", ""))
