"""Client authentication: the gateway's own API keys.

Each SDK sends its key its own way: OpenAI ``Authorization: Bearer``,
Anthropic ``x-api-key``, Gemini ``x-goog-api-key`` or ``?key=``.  A client
that brings its own upstream credential in those headers (``proxy.providers.byok``)
sends the gateway key as ``X-Switchyard-Key`` (or ``?key=``) instead.  Keys are
compared as SHA-256 digests with ``hmac.compare_digest`` against every
configured key, so timing reveals neither the key nor which entry matched.
"""
import hashlib
import hmac
from dataclasses import dataclass

from proxy.errors import Unauthorized

# SHA-256 by CPython's own implementation (``_sha2`` from 3.12, ``_sha256``
# before) rather than hashlib's OpenSSL one: the digests are the same, but
# OpenSSL 3 looks the algorithm up in its provider store on every call,
# and a gateway hashes one short key per request with caches that the rest
# of the request has refilled -- cold, that lookup cost ~25 µs on the bench
# host, the compact built-in ~6 µs.
try:
    from _sha2 import sha256 as _sha256
except ImportError:
    try:
        from _sha256 import sha256 as _sha256
    except ImportError:                                     # built without it
        _sha256 = hashlib.sha256


@dataclass(frozen=True)
class ClientKey:
    key_id: str        # stable, safe to log and store
    label: str
    digest: bytes
    byok: bool = False  # may bring its own upstream credential (proxy.providers.byok)


GATEWAY_KEY_HEADER = "x-switchyard-key"


def _digest(key):
    return _sha256(key.encode()).digest()


def load_keys(entries):
    """``api-keys`` config (strings or ``{key, label}``) -> ClientKeys."""
    keys = []
    for entry in entries or []:
        if isinstance(entry, str):
            entry = {"key": entry}
        key = entry.get("key", "")
        if key:
            digest = _digest(key)
            keys.append(ClientKey("key-" + digest.hex()[:10], entry.get("label") or "", digest,
                                  byok=entry.get("byok") is True))
    return keys


def bearer_token(headers):
    """The token of an ``Authorization: Bearer`` header, or "" (``headers``:
    lower-cased names, or werkzeug's case-insensitive ``Headers``).  The
    one parser of it, for client, management and metrics keys alike."""
    value = headers.get("authorization") or ""
    return value[7:].strip() if value[:7].lower() == "bearer " else ""


def presented_key(headers, args):
    """The key a client sent, whichever way its SDK sends it."""
    explicit = headers.get(GATEWAY_KEY_HEADER)
    if explicit:
        return explicit
    return (bearer_token(headers) or headers.get("x-api-key") or headers.get("x-goog-api-key")
            or args.get("key") or "")


def authenticate(keys, headers, args):
    """The matching ClientKey; raises Unauthorized.  No keys: open gateway."""
    if not keys:
        return None
    given = presented_key(headers, args)
    if not given:
        raise Unauthorized("Missing API key: send it as 'Authorization: Bearer <key>', "
                           "'x-api-key' or 'x-goog-api-key'.", code="missing_api_key")
    match = _match(keys, given)
    query_key = args.get("key")
    if match is None and query_key and query_key != given:
        # a byok client: its own credential in the header, ours in ?key=
        match = _match(keys, query_key)
        if match is not None and not match.byok:
            match = None
    if match is None:
        raise Unauthorized("Invalid API key.", code="invalid_api_key")
    return match


def _match(keys, given):
    """The key whose digest matches, every key compared (constant time)."""
    digest = _digest(given)
    match = None
    for key in keys:
        if hmac.compare_digest(digest, key.digest):
            match = key
    return match


def brings_own_credential(client_key, headers, args):
    """Whether a request authenticated by ``client_key`` brings its own
    upstream credential: a byok key given as ``X-Switchyard-Key`` or
    ``?key=``, so that the SDK's credential headers are the client's own."""
    if client_key is None or not client_key.byok:
        return False
    if headers.get(GATEWAY_KEY_HEADER):
        return True
    query_key = args.get("key")
    return bool(query_key) and _digest(query_key) == client_key.digest
