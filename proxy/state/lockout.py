"""Wrong management-key counts shared through Redis.

``proxy.management.Lockout`` counts per process; with several workers and
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


class SharedLockout:
    def __init__(self, client, prefix, local, on_error):
        self._redis, self._p, self.local = client, prefix, local
        self._on_error = on_error          # the store's outage handling
        self._failed = client.register_script(_FAILED)

    def _keys(self, address):
        return f"{self._p}mgmt-fails:{address}", f"{self._p}mgmt-lock:{address}"

    def locked_for(self, address):
        try:
            ms = self._redis.pttl(self._keys(address)[1])
        except RedisError as exc:
            self._on_error(exc)
            return self.local.locked_for(address)
        return max(ms, 0) / 1000.0

    def failed(self, address):
        self.local.failed(address)
        limits = (self.local.limit, int(self.local.window * 1000), int(self.local.lock_for * 1000))
        try:
            self._failed(keys=self._keys(address), args=limits)
        except RedisError as exc:
            self._on_error(exc)

    def succeeded(self, address):
        self.local.succeeded(address)
        try:
            self._redis.delete(self._keys(address)[0])
        except RedisError as exc:
            self._on_error(exc)
