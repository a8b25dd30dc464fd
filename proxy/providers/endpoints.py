"""Where and how to call one upstream, from its provider kind's record
(``proxy.providers.kinds``): the URL of an action, and the headers that carry the
credential in the provider's own scheme.
"""
from urllib.parse import quote

from proxy.providers.kinds import AUTH_BEARER, AUTH_GOOG_API_KEY, AUTH_X_API_KEY, PROVIDERS


def has_count_endpoint(kind):
    """Whether the upstream can count tokens itself (else we estimate)."""
    return PROVIDERS[kind].path("count_tokens") is not None


def url(cred, upstream_model, *, action, stream):
    """The upstream URL for one call."""
    if action != "count_tokens":
        action = "stream" if stream else "generate"
    path = PROVIDERS[cred.kind].path(action)
    if "{model}" in path:
        path = path.replace("{model}", quote(upstream_model, safe=""))
    return cred.base_url + path


def auth_headers(cred, forwarded):
    """The credential in the provider's own scheme, plus the entry's
    configured ``headers`` (which win over anything the client sent)."""
    provider = PROVIDERS[cred.kind]
    headers = dict(forwarded)
    if cred.passthrough:
        headers.update(cred.passthrough)
    elif provider.auth == AUTH_X_API_KEY:
        headers["x-api-key"] = cred.api_key
    elif provider.auth == AUTH_GOOG_API_KEY:
        headers["x-goog-api-key"] = cred.api_key
    elif provider.auth == AUTH_BEARER:
        headers["authorization"] = f"Bearer {cred.api_key}"
    for name, value in provider.headers.items():
        headers.setdefault(name, value)
    if provider.betas:
        headers["anthropic-beta"] = merge_betas(headers.get("anthropic-beta", ""), provider.betas)
    if provider.account_id_header and cred.account.get("account_id"):
        headers[provider.account_id_header] = cred.account["account_id"]
    headers.update({k.lower(): str(v) for k, v in cred.headers.items()})
    headers["content-type"] = "application/json"
    # identity: streams are relayed as they come, never re-compressed
    headers["accept-encoding"] = "identity"
    return headers


def merge_betas(client_value, required):
    """The client's ``anthropic-beta`` list plus ``required``, each once,
    the client's order first."""
    betas = [b.strip() for b in client_value.split(",") if b.strip()]
    betas += [b for b in required if b not in betas]
    return ",".join(betas)
