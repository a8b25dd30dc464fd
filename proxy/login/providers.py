"""Per-provider login facts as data: endpoints, public client ids of the
vendors' own CLIs, scopes, loopback callback ports.

Every URL can be overridden (tests, proxies, mirrors) by an environment
variable ``SWITCHYARD_OAUTH_<TYPE>_<FIELD>``, e.g.
``SWITCHYARD_OAUTH_CODEX_TOKEN_URL``; ``overrides`` (a mapping, as from a
config's ``oauth.<type>`` section) wins over the built-ins too.
"""
import dataclasses
import os


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
    project_url: str = ""

    def redirect_uri(self, port=None):
        return f"http://localhost:{port or self.callback_port}{self.callback_path}"


_URL_FIELDS = ("authorize_url", "token_url", "profile_url", "device_code_url",
               "device_token_url", "device_verify_url", "project_url", "client_id",
               "client_secret")

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
    extra_params=(("code", "true"),))

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
    client_id="681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com",
    client_secret="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",
    scope="https://www.googleapis.com/auth/cloud-platform "
          "https://www.googleapis.com/auth/userinfo.email "
          "https://www.googleapis.com/auth/userinfo.profile",
    callback_port=8085, callback_path="/oauth2callback", pkce=False,
    extra_params=(("access_type", "offline"), ("prompt", "consent")),
    project_url="https://cloudcode-pa.googleapis.com/v1internal:loadCodeAssist")

BUILTIN = {p.type: p for p in (_CLAUDE, _CODEX, _GEMINI)}
TYPES = tuple(BUILTIN)


def get(kind, overrides=None, environ=None):
    """The login facts of ``kind`` with env/config overrides applied."""
    base = BUILTIN[kind]
    environ = os.environ if environ is None else environ
    changes = {}
    for field in _URL_FIELDS:
        value = environ.get(f"SWITCHYARD_OAUTH_{kind.upper()}_{field.upper()}")
        value = (overrides or {}).get(field.replace("_", "-"), value)
        if value:
            changes[field] = value
    return dataclasses.replace(base, **changes)
