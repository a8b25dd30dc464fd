"""Account token refreshes coordinated through Redis, across instances.

On one machine the refresher's file lock (``proxy.accounts.refresher``) makes
a refresh single-flight.  Instances on other machines share no file lock:
they may mount one auth directory (where ``fcntl`` locks are not to be
trusted, e.g. NFS) or keep a copy of the same files each.  Either way two of
them holding the same refresh token must not both spend it (Codex refresh
tokens are single-use: the loser's account would need a new login).  So,
with ``state.redis-url`` set:

- ``lock(digest)``: a lease on the refresh token (by its digest, never the
  token), SET NX PX with this process's owner token, waited for by polling,
  released only by its owner (a killed holder's lease expires);
- ``handed_over(digest)`` / ``hand_over(digest, tokens)``: the token
  response a refresh got, stored under the digest of the refresh token it
  spent, so an instance still holding that spent token adopts the new ones
  instead of refreshing (following the chain when several rotations passed).

The handed-over tokens live in Redis for ``HANDOVER_TTL`` (the shared store
is trusted with them as each instance's disk is; they are never logged).
Redis unreachable: the lock is not held (the file lock still guards this
machine) and nothing is handed over; the store's outage handling logs it.
"""
import contextlib
import time

import gevent
import orjson
from redis.exceptions import RedisError

LEASE_MS = 90_000                  # longer than a token call with its retries
HANDOVER_TTL_MS = 30 * 86_400_000  # a copy may sit unrefreshed for weeks (Codex: 5-day lead)
_MAX_CHAIN = 20                    # rotations followed at most for one stale token

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


class SharedRefreshes:
    def __init__(self, client, prefix, owner, on_error):
        self._redis, self._p, self._owner = client, prefix, owner
        self._on_error = on_error          # the store's outage handling
        self._release = client.register_script(_RELEASE)

    @contextlib.contextmanager
    def lock(self, digest, wait=60.0):
        """Hold the refresh lease of the refresh token with ``digest``."""
        key = f"{self._p}refresh-lock:{digest}"
        held = self._acquire(key, time.monotonic() + wait)
        try:
            yield held
        finally:
            if held:
                try:
                    self._release(keys=[key], args=[self._owner])
                except RedisError as exc:
                    self._on_error(exc)

    def _acquire(self, key, deadline):
        while True:
            try:
                if self._redis.set(key, self._owner, nx=True, px=LEASE_MS):
                    return True
            except RedisError as exc:
                self._on_error(exc)
                return False
            if time.monotonic() > deadline:
                raise TimeoutError("another instance held the account's refresh lease too long")
            gevent.sleep(0.05)

    def hand_over(self, digest, tokens, now=None):
        """Record the token response that spent the refresh token ``digest``."""
        record = {"tokens": tokens, "at": time.time() if now is None else now}
        try:
            self._redis.set(f"{self._p}rotated:{digest}", orjson.dumps(record),
                            px=HANDOVER_TTL_MS)
        except RedisError as exc:
            self._on_error(exc)

    def handed_over(self, digest, next_digest):
        """The newest token response down the chain of rotations from the
        spent refresh token ``digest`` (``next_digest(tokens)`` names the
        next link), as ``(tokens, received at)``; None when it was not spent."""
        found = None
        for _ in range(_MAX_CHAIN):
            try:
                raw = self._redis.get(f"{self._p}rotated:{digest}")
            except RedisError as exc:
                self._on_error(exc)
                return found
            if raw is None:
                return found
            record = orjson.loads(raw)
            found = (record["tokens"], record["at"])
            digest = next_digest(record["tokens"])
            if not digest:
                return found
        return found
