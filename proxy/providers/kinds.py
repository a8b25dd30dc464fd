"""The upstream provider kinds, declared as data in one place.

Each ``ProviderKind`` says everything the gateway needs to know to call one
kind of upstream: the dialect it speaks, the config section that lists its
entries, its default base URL and model names, the URL of each action, how a
credential authenticates, and which headers every call must carry. Adding a
kind is one record here (plus, where its protocol needs it, one small class
elsewhere); ``proxy.providers.credentials`` builds credentials from these records and
``proxy.providers.endpoints`` builds calls from them.

Base-URL rules follow CLIProxyAPI's: an OpenAI-compatible or Responses base
URL includes ``/v1``; Anthropic's and Gemini's do not.
"""
from dataclasses import dataclass, field

# The one Messages API version we speak (Anthropic "Versioning" reference);
# a client's own anthropic-version header wins.
ANTHROPIC_VERSION = "2023-06-01"

# How a credential's secret travels (the provider's own scheme).
AUTH_BEARER = "bearer"                 # Authorization: Bearer <key>
AUTH_X_API_KEY = "x-api-key"           # Anthropic API keys
AUTH_GOOG_API_KEY = "x-goog-api-key"   # Gemini API keys
AUTH_NONE = "none"                     # the built-in echo model

# Anthropic accepts a subscription (OAuth) access token only as a bearer
# token with this beta enabled (merged with the client's own betas).
ANTHROPIC_OAUTH_BETA = "oauth-2025-04-20"


@dataclass(frozen=True)
class ProviderKind:
    """One kind of upstream.

    ``paths`` maps an action (``generate``, ``stream``, ``count_tokens``) to a
    path appended to the base URL; ``{model}`` is replaced by the
    URL-quoted upstream model name. An action absent from ``paths`` is not
    offered by the upstream (counting then falls back to an estimate).
    ``headers`` are sent on every call unless the client sent its own value.
    """
    kind: str
    dialect: str
    section: str | None
    base_url: str
    model_patterns: tuple
    paths: dict
    auth: str
    headers: dict = field(default_factory=dict)
    betas: tuple = ()              # anthropic-beta values merged with the client's
    account: bool = False          # an auth-dir account (OAuth or service-account token)
    account_id_header: str | None = None   # carries the account's ``account_id`` on every call

    def path(self, action):
        return self.paths.get(action)


PROVIDERS = {p.kind: p for p in (
    ProviderKind(
        kind="claude", dialect="claude", section="claude-api-key",
        base_url="https://api.anthropic.com", model_patterns=("claude-*",),
        paths={"generate": "/v1/messages", "stream": "/v1/messages",
               "count_tokens": "/v1/messages/count_tokens"},
        auth=AUTH_X_API_KEY, headers={"anthropic-version": ANTHROPIC_VERSION}),
    ProviderKind(
        kind="gemini", dialect="gemini", section="gemini-api-key",
        base_url="https://generativelanguage.googleapis.com",
        model_patterns=("gemini-*", "gemma-*", "learnlm-*"),
        paths={"generate": "/v1beta/models/{model}:generateContent",
               "stream": "/v1beta/models/{model}:streamGenerateContent?alt=sse",
               "count_tokens": "/v1beta/models/{model}:countTokens"},
        auth=AUTH_GOOG_API_KEY),
    ProviderKind(
        kind="codex", dialect="responses", section="codex-api-key",
        base_url="https://api.openai.com/v1",
        model_patterns=("gpt-*", "o1*", "o3*", "o4*", "codex-*"),
        paths={"generate": "/responses", "stream": "/responses",
               "count_tokens": "/responses/input_tokens"},
        auth=AUTH_BEARER),
    ProviderKind(
        kind="openai-compat", dialect="openai", section="openai-compatibility",
        base_url="", model_patterns=("*",),
        paths={"generate": "/chat/completions", "stream": "/chat/completions"},
        auth=AUTH_BEARER),
    # Subscription accounts from the auth directory (proxy.accounts).  Their
    # base URLs are overridable with `oauth.<type>.base-url`.
    ProviderKind(
        kind="claude-oauth", dialect="claude", section=None,
        base_url="https://api.anthropic.com", model_patterns=("claude-*",),
        paths={"generate": "/v1/messages", "stream": "/v1/messages",
               "count_tokens": "/v1/messages/count_tokens"},
        auth=AUTH_BEARER, headers={"anthropic-version": ANTHROPIC_VERSION},
        betas=(ANTHROPIC_OAUTH_BETA,), account=True),
    # ChatGPT's backend Responses endpoint: stream-only, see proxy.accounts.codex_body.
    ProviderKind(
        kind="codex-oauth", dialect="responses", section=None, base_url="https://chatgpt.com",
        model_patterns=("gpt-*", "o1*", "o3*", "o4*", "codex-*"),
        paths={"generate": "/backend-api/codex/responses",
               "stream": "/backend-api/codex/responses"},
        auth=AUTH_BEARER, account=True, account_id_header="chatgpt-account-id"),
    # Gemini CLI's Code Assist API: the Gemini body inside an envelope
    # (proxy.accounts.code_assist).
    ProviderKind(
        kind="gemini-cli", dialect="gemini", section=None,
        base_url="https://cloudcode-pa.googleapis.com",
        model_patterns=("gemini-*",),
        paths={"generate": "/v1internal:generateContent",
               "stream": "/v1internal:streamGenerateContent?alt=sse",
               "count_tokens": "/v1internal:countTokens"},
        auth=AUTH_BEARER, account=True),
    # A Vertex AI service account; base URL per location and project.
    ProviderKind(
        kind="vertex", dialect="gemini", section=None, base_url="",
        model_patterns=("gemini-*",),
        paths={"generate": "/publishers/google/models/{model}:generateContent",
               "stream": "/publishers/google/models/{model}:streamGenerateContent?alt=sse",
               "count_tokens": "/publishers/google/models/{model}:countTokens"},
        auth=AUTH_BEARER, account=True),
    ProviderKind(
        kind="echo", dialect="echo", section=None, base_url="", model_patterns=(),
        paths={}, auth=AUTH_NONE),
)}

# Config section -> kind, for the sections that list credentials.
SECTIONS = {p.section: p.kind for p in PROVIDERS.values() if p.section}
