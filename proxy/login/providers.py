"""Per-provider login facts as data: endpoints, public client ids of the
vendors' own CLIs, scopes, loopback callback ports.

The endpoints follow the config's ``oauth`` section (``get``), one way for
logins and refreshes alike (tests, proxies, mirrors):

- ``oauth.<type>-token-url``: the token endpoint;
- ``oauth.<type>-base-url``: the accounts' upstream API host, which a login
  also calls (Claude's profile, Gemini's Code Assist project setup);
- ``oauth.<type>-auth-url``: the sign-in server's origin (authorize page,
  Codex's device codes, Google's user info), each keeping its path.
"""
import dataclasses
from urllib.parse import urlsplit

from proxy.accounts import token_client


@dataclasses.dataclass(frozen=True)
class LoginProvider:
    type: str
    authorize_url: str
    token_url: str
    profile_url: str
    client_id: str
    scope: str
    callback_port: int
    callback_path: str
    token_body: str = "form"          # "json" (Anthropic) or "form" (OpenAI, Google)
    pkce: bool = True
    client_secret: str = ""
    extra_params: tuple = ()          # added to the authorize URL
    device_code_url: str = ""
    device_token_url: str = ""
    device_verify_url: str = ""
    device_redirect_uri: str = ""
    code_assist_url: str = ""          # Google: Code Assist API, where the project is set up
    api_fields: tuple = ()             # URL fields on the upstream API host (base-url)

    def redirect_uri(self, port=None):
        return f"http://localhost:{port or self.callback_port}{self.callback_path}"


# URL fields that follow ``oauth.<type>-auth-url`` unless in ``api_fields``
_AUTH_FIELDS = ("authorize_url", "profile_url", "device_code_url", "device_token_url",
                "device_verify_url")

# Anthropic: Claude Code's public client; the token endpoint takes JSON.
_CLAUDE = LoginProvider(
    type="claude",
    authorize_url="https://claude.ai/oauth/authorize",
    token_url="https://platform.claude.com/v1/oauth/token",
    profile_url="https://api.anthropic.com/api/oauth/profile",
    client_id="9d1c250a-e61b-44d9-88ed-5944d1962f5e",
    scope="user:profile user:inference user:sessions:claude_code user:mcp_servers "
          "user:file_upload",
    callback_port=54545, callback_path="/callback", token_body="json",
    extra_params=(("code", "true"),), api_fields=("profile_url",))

# OpenAI: Codex CLI's public client; form token endpoint, device code too.
_CODEX = LoginProvider(
    type="codex",
    authorize_url="https://auth.openai.com/oauth/authorize",
    token_url="https://auth.openai.com/oauth/token",
    profile_url="",
    client_id="app_EMoamEEZ73f0CkXaXp7hrann",
    scope="openid email profile offline_access",
    callback_port=1455, callback_path="/auth/callback",
    extra_params=(("prompt", "login"), ("id_token_add_organizations", "true"),
                  ("codex_cli_simplified_flow", "true")),
    device_code_url="https://auth.openai.com/api/accounts/deviceauth/usercode",
    device_token_url="https://auth.openai.com/api/accounts/deviceauth/token",
    device_verify_url="https://auth.openai.com/codex/device",
    device_redirect_uri="https://auth.openai.com/deviceauth/callback")

# Google: Gemini CLI's installed-app client (its secret is public by design
# for installed apps); plain authorization code, no PKCE.
_GEMINI = LoginProvider(
    type="gemini",
    authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url="https://oauth2.googleapis.com/token",
    profile_url="https://www.googleapis.com/oauth2/v1/userinfo?alt=json",
    client_id=token_client.GEMINI_CLIENT_ID, client_secret=token_client.GEMINI_CLIENT_SECRET,
    scope="https://www.googleapis.com/auth/cloud-platform "
          "https://www.googleapis.com/auth/userinfo.email "
          "https://www.googleapis.com/auth/userinfo.profile",
    callback_port=8085, callback_path="/oauth2callback", pkce=False,
    extra_params=(("access_type", "offline"), ("prompt", "consent")),
    code_assist_url="https://cloudcode-pa.googleapis.com", api_fields=("code_assist_url",))

BUILTIN = {p.type: p for p in (_CLAUDE, _CODEX, _GEMINI)}
TYPES = tuple(BUILTIN)


def get(kind, oauth=None):
    """The login facts of ``kind`` with the config's ``oauth`` section applied."""
    base = BUILTIN[kind]
    oauth = oauth or {}
    changes = {}
    if oauth.get(f"{kind}-token-url"):
        changes["token_url"] = oauth[f"{kind}-token-url"]
    for field in _AUTH_FIELDS + base.api_fields:
        origin = oauth.get(f"{kind}-base-url" if field in base.api_fields else f"{kind}-auth-url")
        if origin and getattr(base, field):
            changes[field] = _rebased(getattr(base, field), origin)
    return dataclasses.replace(base, **changes)


def _rebased(url, origin):
    """``url`` with its scheme and host (and any path prefix) taken from ``origin``."""
    parts = urlsplit(url)
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return origin.rstrip("/") + rest
