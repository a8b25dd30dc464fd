"""Client authentication: the gateway's own API keys.

Each SDK sends its key its own way: OpenAI ``Authorization: Bearer``,
Anthropic ``x-api-key``, Gemini ``x-goog-api-key`` or ``?key=``.  Keys are
compared as SHA-256 digests with ``hmac.compare_digest`` against every
configured key, so timing reveals neither the key nor which entry matched.
"""
import hashlib
import hmac
from dataclasses import dataclass

from proxy.errors import Unauthorized


@dataclass(frozen=True)
class ClientKey:
    key_id: str        # stable, safe to log and store
    label: str
    digest: bytes


def _digest(key):
    return hashlib.sha256(key.encode()).digest()


def load_keys(entries):
    """``api-keys`` config (strings or ``{key, label}``) -> ClientKeys."""
    keys = []
    for entry in entries or []:
        key, label = (entry, "") if isinstance(entry, str) else (entry.get("key", ""), entry.get("label", ""))
        if key:
            digest = _digest(key)
            keys.append(ClientKey("key-" + digest.hex()[:10], label or "", digest))
    return keys


def presented_key(headers, args):
    """The key a client sent, whichever way its SDK sends it."""
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return headers.get("x-api-key") or headers.get("x-goog-api-key") or args.get("key") or ""


def authenticate(keys, headers, args):
    """The matching ClientKey; raises Unauthorized.  No keys: open gateway."""
    if not keys:
        return None
    given = presented_key(headers, args)
    if not given:
        raise Unauthorized("Missing API key: send it as 'Authorization: Bearer <key>', "
                           "'x-api-key' or 'x-goog-api-key'.", code="missing_api_key")
    digest = _digest(given)
    match = None
    for key in keys:
        if hmac.compare_digest(digest, key.digest):
            match = key
    if match is None:
        raise Unauthorized("Invalid API key.", code="invalid_api_key")
    return match
