"""Where and how to call each upstream kind (CLIProxyAPI's base-url rules).

- ``openai-compat``: base-url includes ``/v1``; ``{base}/chat/completions``, Bearer.
- ``codex``: OpenAI Responses at ``{base}/responses``, Bearer.
- ``claude``: ``{base}/v1/messages``, ``x-api-key`` + ``anthropic-version``.
- ``gemini``: ``{base}/v1beta/models/{m}:generateContent`` (or
  ``:streamGenerateContent?alt=sse``, ``:countTokens``), ``x-goog-api-key``.
"""
from urllib.parse import quote

ANTHROPIC_VERSION = "2023-06-01"

# kind -> (generate path, count-tokens path or None)
_PATHS = {
    "openai-compat": ("/chat/completions", None),
    "codex": ("/responses", "/responses/input_tokens"),
    "claude": ("/v1/messages", "/v1/messages/count_tokens"),
}


def has_count_endpoint(kind):
    """Whether the upstream can count tokens itself (else we estimate)."""
    return kind == "gemini" or _PATHS.get(kind, (None, None))[1] is not None


def url(cred, upstream_model, *, action, stream):
    """The upstream URL for one call."""
    if cred.kind == "gemini":
        model = quote(upstream_model, safe="")
        method = {"count_tokens": "countTokens"}.get(
            action, "streamGenerateContent" if stream else "generateContent")
        suffix = "?alt=sse" if method == "streamGenerateContent" else ""
        return f"{cred.base_url}/v1beta/models/{model}:{method}{suffix}"
    generate, count = _PATHS[cred.kind]
    return cred.base_url + (count if action == "count_tokens" else generate)


def auth_headers(cred, forwarded):
    """The credential in the provider's own scheme, plus the entry's
    configured ``headers`` (which win over anything the client sent)."""
    headers = dict(forwarded)
    if cred.kind == "claude":
        headers["x-api-key"] = cred.api_key
        headers.setdefault("anthropic-version", ANTHROPIC_VERSION)
    elif cred.kind == "gemini":
        headers["x-goog-api-key"] = cred.api_key
    else:
        headers["authorization"] = f"Bearer {cred.api_key}"
    headers.update({k.lower(): str(v) for k, v in cred.headers.items()})
    headers["content-type"] = "application/json"
    # identity: streams are relayed as they come, never re-compressed
    headers["accept-encoding"] = "identity"
    return headers
