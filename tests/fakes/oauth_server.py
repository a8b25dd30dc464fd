"""A fake OAuth 2.0 authorization server for tests (no real provider is contacted).

Runs in the test process on a loopback port, one thread per connection.
It speaks the token-endpoint shapes the subscription providers use:

- ``POST /oauth/token`` (also ``/v1/oauth/token`` and ``/token``), body as
  form (OpenAI, Google) or JSON (Anthropic):
  ``grant_type=authorization_code`` (code issued by ``issue_code`` or by
  ``/oauth/authorize``; PKCE ``code_verifier`` checked when a challenge was
  given) and ``grant_type=refresh_token``. Refresh tokens rotate and are
  single-use: reusing one answers 400 ``invalid_grant`` (OpenAI says
  ``refresh_token_reused``), as do revoked or unknown tokens.
- ``GET /oauth/authorize``: redirects to ``redirect_uri`` with ``code`` and
  ``state`` (the user "approves" at once).
- Device code (OpenAI's Codex flavour): ``POST /api/accounts/deviceauth/usercode``
  and ``POST /api/accounts/deviceauth/token`` (pending until
  ``approve_device(user_code)``), and RFC 8628 ``/oauth/device/code`` with the
  ``urn:ietf:params:oauth:grant-type:device_code`` grant; Google's
  service-account JWT grant (any three-part assertion; no refresh token).
- ``GET /userinfo`` and ``GET /api/oauth/profile``: the account behind a
  bearer access token.
- Code Assist project setup as Google answers Gemini CLI:
  ``POST /v1internal:loadCodeAssist`` gives a set-up account's
  ``currentTier`` and project (``project_id``); with ``needs_onboarding``
  it offers ``allowedTiers`` (free tier by default) instead, and
  ``POST /v1internal:onboardUser`` starts a long-running operation that
  ``GET /v1internal/operations/<id>`` reports done after ``onboard_polls``
  polls (0: onboardUser answers done at once), with the managed project
  ``onboarded_project``.  Requests are in
  ``code_assist_calls``.

Tokens: ``access_token``s are ``at-<n>`` and valid for ``expires_in``
seconds (``server.expires_in``); ``server.valid(token)`` says whether an
access token is live, so a fake upstream can require it. ``fail_next(n,
status)`` makes the next ``n`` token requests fail (transient 5xx or 429).
Every token request is recorded in ``server.token_calls``.
"""
import base64
import hashlib
import itertools
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"   # Google service accounts


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def id_token(claims):
    """An unsigned JWT (``alg: none``) carrying ``claims``, like the id_token
    the gateway reads the account id and plan from (it never checks the
    signature of a token it got over TLS from the issuer)."""
    head = _b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{_b64url(json.dumps(claims).encode())}."


class FakeOAuthServer:
    def __init__(self, expires_in=3600, email="user@example.com", account_id="acct-fake-1",
                 plan="plus", project_id="fake-project"):
        self.expires_in = expires_in
        self.project_id = project_id   # what Code Assist's loadCodeAssist answers
        self.needs_onboarding = False  # loadCodeAssist: no tier yet, onboardUser needed
        self.onboard_polls = 2         # operation polls before it is done
        self.onboarded_project = "managed-proj-1"
        self.code_assist_calls = []    # (method, path, body) of each Code Assist call
        self.email, self.account_id, self.plan = email, account_id, plan
        self.token_calls = []          # every token request: dict of its fields
        self._lock = threading.Lock()
        self._n = itertools.count(1)
        self._access = {}              # access token -> expiry (epoch s)
        self._refresh = {}             # live refresh token -> True
        self._used_refresh = set()
        self._codes = {}               # code -> {challenge, redirect_uri}
        self._devices = {}             # user_code -> {device id, approved}
        self._fail = []                # queued (status, body) failures
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.token_url = f"{self.url}/oauth/token"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- control -------------------------------------------------------
    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def grant(self, expires_in=None):
        """A fresh token set, as if a login had just happened: returns the
        token response dict (``access_token``, ``refresh_token``, ...)."""
        with self._lock:
            return self._issue(expires_in)

    def issue_code(self, code_challenge="", redirect_uri=""):
        code = f"code-{next(self._n)}"
        with self._lock:
            self._codes[code] = {"challenge": code_challenge, "redirect_uri": redirect_uri}
        return code

    def approve_device(self, user_code):
        with self._lock:
            self._devices[user_code]["approved"] = True

    def revoke(self, refresh_token):
        """The user signed out elsewhere: this refresh token gets invalid_grant."""
        with self._lock:
            self._refresh.pop(refresh_token, None)

    def expire(self, access_token):
        with self._lock:
            self._access[access_token] = 0

    def valid(self, access_token):
        with self._lock:
            return self._access.get(access_token, 0) > time.time()

    def fail_next(self, n=1, status=503, body=None):
        with self._lock:
            self._fail.extend([(status, body or {"error": "temporarily_unavailable"})] * n)

    def refresh_count(self):
        return sum(1 for c in self.token_calls if c.get("grant_type") == "refresh_token")

    # -- grants (called with the lock held) -----------------------------
    def _issue(self, expires_in=None):
        n = next(self._n)
        expires_in = self.expires_in if expires_in is None else expires_in
        access, refresh = f"at-{n}-{secrets.token_hex(4)}", f"rt-{n}-{secrets.token_hex(4)}"
        self._access[access] = time.time() + expires_in
        self._refresh[refresh] = True
        claims = {"email": self.email, "https://api.openai.com/auth": {
            "chatgpt_account_id": self.account_id, "chatgpt_plan_type": self.plan}}
        return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                "expires_in": expires_in, "id_token": id_token(claims),
                "scope": "openid profile email offline_access"}

    def token(self, fields):
        """Answer one token request: (status, body dict)."""
        with self._lock:
            self.token_calls.append(dict(fields))
            if self._fail:
                return self._fail.pop(0)
            grant = fields.get("grant_type")
            if grant == "refresh_token":
                return self._refresh_grant(fields.get("refresh_token", ""))
            if grant == "authorization_code":
                return self._code_grant(fields)
            if grant == JWT_GRANT and fields.get("assertion", "").count(".") == 2:
                answer = self._issue()           # a service account: no refresh token
                del answer["refresh_token"]
                return 200, answer
            if grant == DEVICE_GRANT:
                return self._device_grant(fields.get("device_code", ""))
            return 400, {"error": "unsupported_grant_type"}

    def _refresh_grant(self, token):
        if token in self._used_refresh:
            return 400, {"error": "invalid_grant", "error_description": "refresh_token_reused",
                         "code": "refresh_token_reused"}
        if not self._refresh.pop(token, None):
            return 400, {"error": "invalid_grant", "error_description": "refresh token revoked"}
        self._used_refresh.add(token)
        return 200, self._issue()

    def _code_grant(self, fields):
        entry = self._codes.pop(fields.get("code", ""), None)
        if entry is None:
            return 400, {"error": "invalid_grant", "error_description": "unknown code"}
        if entry["challenge"]:
            verifier = fields.get("code_verifier", "")
            if _b64url(hashlib.sha256(verifier.encode()).digest()) != entry["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE mismatch"}
        if entry["redirect_uri"] and fields.get("redirect_uri") != entry["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"}
        return 200, self._issue()

    def _device_grant(self, device_code):
        for user_code, dev in self._devices.items():
            if dev["device_code"] == device_code:
                if not dev["approved"]:
                    return 400, {"error": "authorization_pending"}
                del self._devices[user_code]
                return 200, self._issue()
        return 400, {"error": "expired_token"}

    def new_device(self):
        with self._lock:
            n = next(self._n)
            user_code, device_code = f"USER-{n:04d}", f"dev-{n}"
            self._devices[user_code] = {"device_code": device_code, "approved": False}
            return user_code, device_code

    def device_poll(self, user_code):
        """OpenAI's deviceauth/token: once approved, an authorization code and
        the PKCE pair to exchange it with."""
        with self._lock:
            dev = self._devices.get(user_code)
            if dev is None:
                return 404, {"error": "unknown device"}
            if not dev["approved"]:
                return 403, {"error": "authorization_pending"}
            del self._devices[user_code]
        verifier = secrets.token_urlsafe(32)
        challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
        code = self.issue_code(challenge)
        return 200, {"authorization_code": code, "code_verifier": verifier,
                     "code_challenge": challenge}

    def code_assist(self, method, path, body, access_token):
        """Answer one Code Assist setup call: (status, body)."""
        with self._lock:
            self.code_assist_calls.append((method, path, body))
        if self.account_of(access_token) is None:
            return 401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}}
        if path == "/v1internal:loadCodeAssist":
            if self.needs_onboarding:
                return 200, {"allowedTiers": [
                    {"id": "free-tier", "name": "Gemini Code Assist for individuals",
                     "isDefault": True},
                    {"id": "standard-tier", "name": "Gemini Code Assist",
                     "userDefinedCloudaicompanionProject": True}]}
            return 200, {"currentTier": {"id": "free-tier"},
                         "cloudaicompanionProject": self.project_id}
        if path == "/v1internal:onboardUser" and self.onboard_polls == 0:
            return 200, self._onboarded()
        if path == "/v1internal:onboardUser":
            return 200, {"name": "operations/onboard-1", "done": False}
        if path == "/v1internal/operations/onboard-1":
            polls = sum(1 for m, p, _ in self.code_assist_calls if p == path)
            if polls < self.onboard_polls:
                return 200, {"name": "operations/onboard-1", "done": False}
            return 200, self._onboarded()
        return 404, {"error": {"code": 404, "status": "NOT_FOUND"}}

    def _onboarded(self):
        self.needs_onboarding = False
        self.project_id = self.onboarded_project
        return {"name": "operations/onboard-1", "done": True, "response": {
            "cloudaicompanionProject": {"id": self.onboarded_project}}}

    def account_of(self, access_token):
        if not self.valid(access_token):
            return None
        return {"email": self.email, "account_id": self.account_id, "plan": self.plan}


def _handler_for(fake):
    return type("Handler", (_Handler,), {"fake": fake})


class _Handler(BaseHTTPRequestHandler):
    fake = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _fields(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if "json" in (self.headers.get("Content-Type") or ""):
            return json.loads(raw or "{}")
        return {k: v[0] for k, v in parse_qs(raw).items()}

    def _bearer(self):
        auth = self.headers.get("Authorization") or ""
        return auth[7:] if auth.lower().startswith("bearer ") else ""

    def do_POST(self):
        path = urlsplit(self.path).path
        fields = self._fields()
        if path in ("/oauth/token", "/v1/oauth/token", "/token"):
            self._send(*self.fake.token(fields))
        elif path in ("/api/accounts/deviceauth/usercode", "/oauth/device/code"):
            user_code, device_code = self.fake.new_device()
            self._send(200, {"device_auth_id": device_code, "device_code": device_code,
                             "user_code": user_code, "interval": 1, "expires_in": 600,
                             "verification_uri": f"{self.fake.url}/device"})
        elif path == "/api/accounts/deviceauth/token":
            self._send(*self.fake.device_poll(fields.get("user_code", "")))
        elif path.startswith("/v1internal:"):
            self._send(*self.fake.code_assist("POST", path, fields, self._bearer()))
        else:
            self._send(404, {"error": "not_found"})

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path.startswith("/v1internal/"):
            self._send(*self.fake.code_assist("GET", parts.path, None, self._bearer()))
        elif parts.path in ("/oauth/authorize", "/o/oauth2/v2/auth"):
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            code = self.fake.issue_code(q.get("code_challenge", ""), q.get("redirect_uri", ""))
            target = q.get("redirect_uri", "") + "?" + urlencode(
                {"code": code, "state": q.get("state", "")})
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif parts.path in ("/userinfo", "/api/oauth/profile", "/oauth2/v1/userinfo"):
            account = self.fake.account_of(self._bearer())
            if account is None:
                self._send(401, {"error": "invalid_token"})
            else:
                self._send(200, {"email": account["email"], "account": {
                    "email_address": account["email"], "uuid": account["account_id"]}})
        else:
            self._send(404, {"error": "not_found"})
