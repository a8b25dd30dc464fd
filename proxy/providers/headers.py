"""Which headers cross the gateway, in each direction.

Upstream requests carry the client's own headers that matter
(``anthropic-version``, ``anthropic-beta``, ``user-agent``, ``openai-beta``,
custom ``x-*``...) but never hop-by-hop headers (RFC 9110 section 7.6.1),
cookies, forwarding headers, or any credential: the client's key belongs to
the gateway, and the upstream credential is added by ``proxy.providers.endpoints``.
A provider's own headers (``anthropic-*``, ``openai-*``, ``x-goog-*``: each
dialect's ``HEADER_PREFIXES``) go only to upstreams of that dialect: a Claude
Code client's ``anthropic-beta`` means nothing to an OpenAI upstream.

Every name here is lower-case: the client's headers as the front door
normalised them, and what goes upstream.
"""
import translators

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "proxy-connection", "te", "trailer", "trailers", "transfer-encoding", "upgrade",
})

CREDENTIALS = frozenset({"authorization", "x-api-key", "x-goog-api-key", "api-key"})

_NOT_FORWARDED = HOP_BY_HOP | CREDENTIALS | frozenset({
    "host", "content-length", "accept-encoding", "cookie", "cookie2",
    "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
    "x-forwarded-port", "x-real-ip", "content-type", "accept",
    "x-switchyard-actor", "x-switchyard-key",
})

_ACTOR_METADATA = "x-switchyard-actor-metadata-"


def _foreign_prefixes(name):
    own = translators.dialect(name).HEADER_PREFIXES
    return tuple(prefix for other in translators.DIALECTS
                 for prefix in translators.dialect(other).HEADER_PREFIXES if prefix not in own)


# Upstream dialect -> name prefixes not forwarded to it: the gateway's
# actor metadata and the headers the other dialects' providers own.
_SKIPPED_PREFIXES = {name: (_ACTOR_METADATA,) + _foreign_prefixes(name)
                     for name in translators.DIALECTS}

_NOT_RETURNED = HOP_BY_HOP | CREDENTIALS | frozenset({
    "set-cookie", "set-cookie2", "content-length", "content-encoding",
    "content-type", "date", "server", "alt-svc", "via",
})


def forward_request_headers(client_headers, upstream_dialect):
    """Client headers to pass to an upstream speaking ``upstream_dialect``
    (names lower-cased).  Whether a name goes is decided once per name
    and dialect (the same few names come with every request; the
    prefix tests cost more than a lookup)."""
    verdicts = _VERDICTS.get(upstream_dialect)
    if verdicts is None:
        verdicts = _VERDICTS.setdefault(upstream_dialect, {})
    forwarded = {}
    for name, value in client_headers.items():
        goes = verdicts.get(name)
        if goes is None:
            goes = _verdict(verdicts, name, upstream_dialect)
        if goes:
            forwarded[name] = value
    return forwarded


# upstream dialect -> {header name: forwarded?}, learnt as names come
_VERDICTS = {}
_MAX_VERDICTS = 4096       # per dialect: names are client-chosen


def _verdict(verdicts, name, upstream_dialect):
    skipped = _SKIPPED_PREFIXES.get(upstream_dialect, (_ACTOR_METADATA,))
    goes = name not in _NOT_FORWARDED and not name.startswith(skipped)
    if len(verdicts) >= _MAX_VERDICTS:
        verdicts.clear()
    verdicts[name] = goes
    return goes


def actor_headers(actor, client_headers):
    """aibridge's actor headers (``send-actor-headers: true``): who is behind
    a shared client key, for upstreams that attribute usage per end user.
    Metadata comes from the client's ``X-Switchyard-Actor-Metadata-<key>``."""
    if not actor:
        return {}
    headers = {"x-ai-bridge-actor-id": actor}
    for name, value in client_headers.items():
        if name.startswith(_ACTOR_METADATA):
            headers["x-ai-bridge-actor-metadata-" + name[len(_ACTOR_METADATA):]] = value
    return headers


def forward_response_headers(upstream_headers):
    """Upstream response headers safe to show the client, e.g. rate-limit
    and request-id headers that SDKs read.  Whether a name is shown is
    decided once per name as the upstream spells it."""
    shown = []
    for name, value in upstream_headers.items():
        goes = _SHOWN.get(name)
        if goes is None:
            if len(_SHOWN) >= _MAX_VERDICTS:
                _SHOWN.clear()
            goes = _SHOWN[name] = name.lower() not in _NOT_RETURNED
        if goes:
            shown.append((name, value))
    return shown


_SHOWN = {}                # upstream header name (as spelt) -> shown to the client?
