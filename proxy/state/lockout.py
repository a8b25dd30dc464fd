"""Wrong management-key counts shared through Redis.

``proxy.admin.management.Lockout`` counts per process; with several workers and
instances an attacker would get ``limit`` tries from each.  ``SharedLockout``
keeps the same three calls and limits but counts in Redis (an INCR with the
window as its TTL; reaching the limit sets a lock key that expires by
itself).  While Redis is unreachable it answers from the process's own
``Lockout``, which it keeps counting all along.
"""
from redis.exceptions import RedisError

# KEYS: failure counter, lock; ARGV: limit, window ms, lock ms.  Returns 1 when locked now.
_FAILED = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return 1
end
return 0
"""

# The same counting done before a key is checked: refused (the lock's ms
# left) while locked, else counted as a failure until ``succeeded``.
_BEGIN = """
local left = redis.call('PTTL', KEYS[2])
if left > 0 then return left end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n >= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
end
return 0
"""


class SharedLockout:
    def __init__(self, client, prefix, local, on_error, kind="mgmt"):
        self._redis, self._p, self.local, self._kind = client, prefix, local, kind
        self._on_error = on_error          # the store's outage handling
        self._failed = client.register_script(_FAILED)
        self._begin = client.register_script(_BEGIN)

    def _keys(self, address):
        return f"{self._p}{self._kind}-fails:{address}", f"{self._p}{self._kind}-lock:{address}"

    def _limits(self):
        return (self.local.limit, int(self.local.window * 1000), int(self.local.lock_for * 1000))

    def begin(self, address):
        """``Lockout.begin`` across every worker and instance, atomically."""
        local_wait = self.local.begin(address)
        try:
            return max(int(self._begin(keys=self._keys(address), args=self._limits())), 0) / 1000.0
        except RedisError as exc:
            self._on_error(exc)
            return local_wait

    def locked_for(self, address):
        try:
            ms = self._redis.pttl(self._keys(address)[1])
        except RedisError as exc:
            self._on_error(exc)
            return self.local.locked_for(address)
        return max(ms, 0) / 1000.0

    def failed(self, address):
        self.local.failed(address)
        try:
            self._failed(keys=self._keys(address), args=self._limits())
        except RedisError as exc:
            self._on_error(exc)

    def succeeded(self, address):
        self.local.succeeded(address)
        try:
            self._redis.delete(*self._keys(address))   # a right key after the limit-th try unlocks
        except RedisError as exc:
            self._on_error(exc)
