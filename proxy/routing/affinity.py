"""Session affinity: which requests belong together, and where they went.

Providers cache prompt prefixes per account, so a conversation that stays on
one credential pays for its long context once and keeps any server-side
state it relies on.  ``session_key`` names the session a request belongs to
(pure); ``Bindings`` remembers session -> credential for the pool.
"""
import hashlib
from collections import OrderedDict

import orjson

import translators

# Claude Code sends X-Claude-Code-Session-Id; other agents a plain Session-Id.
_SESSION_HEADERS = ("x-claude-code-session-id", "session-id")


# Top-level fields session_key reads, which the front door must therefore
# hand over whole even when it reads a large body at the top level only.
SESSION_FIELDS = ("prompt_cache_key", "metadata")


def turns_field(dialect):
    """The array whose leading elements (``proxy.wire.json_top``'s heads)
    session_key reads when no explicit id names the session."""
    return translators.dialect(dialect).TURNS_KEY


def session_key(dialect, headers, top, body=None):
    """A stable, bounded-length name for the conversation of a request, or None.

    ``headers`` has lower-cased names; ``top`` is the client request's top
    level with the ``SESSION_FIELDS`` whole (any other container may be an
    empty placeholder, ``proxy.wire.json_top``, whose ``heads`` may hold
    the leading turns); ``body``, called without arguments, gives the whole
    parsed request (default: ``top`` is it).  Explicit ids win: session
    headers, then OpenAI's ``prompt_cache_key``, then Anthropic's
    ``metadata.user_id`` (Claude Code puts its session id there).
    Otherwise the conversation's opening turns, which every later request
    of that conversation repeats verbatim, identify it: only when they are
    not among the leading turns at hand is the whole request needed (an
    agent's is up to a megabyte of JSON).
    """
    for name in _SESSION_HEADERS:
        if headers.get(name):
            return _digest("header", headers[name])
    if not isinstance(top, dict):
        return None
    if top.get("prompt_cache_key"):
        return _digest("cache-key", top["prompt_cache_key"])
    metadata = top.get("metadata")
    if isinstance(metadata, dict) and metadata.get("user_id"):
        return _digest("user", metadata["user_id"])
    field = turns_field(dialect)
    turns = top.get(field)
    opening = _opening(turns)
    if isinstance(turns, (list, dict)) and body is not None:      # a placeholder, maybe
        head = getattr(top, "heads", {}).get(field)
        opening = _opening(*head) if head is not None else _UNKNOWN
        if opening is _UNKNOWN:
            opening = _opening(body().get(field))
    return _digest("opening", opening) if opening else None


_UNKNOWN = object()


def _opening(turns, more=False):
    """The turns up to and including the first user turn.

    Only the first user turn is not enough (an app may open every chat
    alike), and a leading system prompt alone would lump all of an app's
    conversations together.  The Responses API also accepts a bare string.
    ``more``: ``turns`` is only the head of a longer array; ``_UNKNOWN``
    when the head holds no user turn but the array goes on.
    """
    if isinstance(turns, str):
        return turns
    if not isinstance(turns, list) or not turns:
        return None
    for end, turn in enumerate(turns, 1):
        if isinstance(turn, dict) and turn.get("role") == "user":
            return turns[:end]
    if more:
        return _UNKNOWN
    return turns[:1]


def _digest(source, value):
    data = value.encode() if isinstance(value, str) else orjson.dumps(
        value, option=orjson.OPT_SORT_KEYS)
    return f"{source}:{hashlib.sha256(data).hexdigest()[:32]}"


class Bindings:
    """Session key -> credential id, each forgotten ``ttl`` seconds after its
    last use.

    Not locked itself: the pool calls it under its own lock.  Entries stay in
    last-use order, so expired ones gather at the front and pruning stops at
    the first live one; ``limit`` bounds memory even when every request
    opens a new session.
    """

    def __init__(self, ttl, limit=100_000):
        self.ttl = ttl
        self._limit = limit
        self._entries = OrderedDict()     # key -> (credential id, expires at)

    def __len__(self):
        return len(self._entries)

    def get(self, key, now):
        """The credential id bound to ``key``, or None if unbound or expired."""
        entry = self._entries.get(key)
        if entry is None or entry[1] <= now:
            return None
        return entry[0]

    def bind(self, key, cred_id, now):
        """Bind (or rebind) ``key``; its ``ttl`` restarts from ``now``."""
        self._entries[key] = (cred_id, now + self.ttl)
        self._entries.move_to_end(key)
        self._prune(now)

    def adopt(self, other, cred_ids):
        """Take over ``other``'s bindings to credentials in ``cred_ids``
        (a config reload must not scatter running sessions)."""
        for key, (cred_id, expires) in other._entries.items():
            if cred_id in cred_ids:
                self._entries[key] = (cred_id, expires)

    def _prune(self, now):
        entries = self._entries
        while entries:
            _, expires = next(iter(entries.values()))
            if expires > now and len(entries) <= self._limit:
                return
            entries.popitem(last=False)
