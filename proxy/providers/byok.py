"""Bring your own key: a client's own upstream credential serves its request.

A client key entry with ``byok: true`` may authenticate to the gateway with
``X-Switchyard-Key: <gateway key>`` (or ``?key=``) while sending its own
provider credential in the header its SDK or CLI uses (``Authorization``,
``x-api-key``, ``x-goog-api-key``). That credential goes upstream as it came
(a Claude Code subscription token stays a Bearer token, an API key stays in
its header) instead of a pooled one, and the request is still authenticated,
audited and recorded here; coder's aibridge calls this kind of credential
``byok``.

It is the client's credential, so there is no failover to pooled ones and no
cooldown: the upstream's answer, error included, is the client's. It goes to
the provider of the client's own dialect, since a credential of one provider
means nothing to another: the upstream a pooled credential of that dialect
serving the model uses, else that provider's public API.
"""
from proxy.access.auth import bearer_token
from proxy.providers.credentials import Credential, mask
from proxy.errors import BadRequest
from proxy.providers.kinds import PROVIDERS

# The client's dialect -> the provider kind its own credential belongs to.
_KIND_OF_DIALECT = {"claude": "claude", "gemini": "gemini", "responses": "codex",
                    "openai": "openai-compat"}
# openai-compatibility entries have no default base URL; a client of the
# Chat Completions dialect bringing its own key means OpenAI's.
_OPENAI_API = "https://api.openai.com/v1"

# Headers that carry a client's own credential, as each SDK sends it.
CREDENTIAL_HEADERS = ("authorization", "x-api-key", "x-goog-api-key")


def own_credential(headers):
    """The credential headers a client sent for the upstream (lower-cased names)."""
    return {name: headers[name] for name in CREDENTIAL_HEADERS if headers.get(name)}


def credential(front, pool):
    """An ephemeral ``Credential`` carrying ``front``'s own credential."""
    kind = _KIND_OF_DIALECT.get(front.dialect)
    if kind is None:
        raise BadRequest("Bring-your-own-key requests are served for the four API dialects only.")
    pooled = [c for c in pool.resolve(front.model) if c.dialect == front.dialect]
    if pooled:
        base_url = pooled[0].base_url
        upstream_model = pool.upstream_model(pooled[0], front.model) or front.model
    else:
        base_url = PROVIDERS[kind].base_url or _OPENAI_API
        upstream_model = front.model
    secret = _secret(front.own_credential)
    return Credential(id="byok:" + mask(secret), kind=kind, dialect=PROVIDERS[kind].dialect,
                      base_url=base_url, api_key=secret,
                      models={front.model: upstream_model}, label="byok",
                      passthrough=dict(front.own_credential))


def _secret(headers):
    """The key of the one credential header: a Bearer token, or the bare value
    (``x-api-key``, ``x-goog-api-key``)."""
    return bearer_token(headers) or next(iter(headers.values()))
