"""The shared state store: the pool's state in Redis, for many workers and
instances.

The hot path never waits on Redis for state that rarely changes.  Every
process keeps a local view (the ``MemoryStore`` records it inherits) that
the pool reads under its lock as before; one background greenlet per
process keeps it in step:

- changes are *written on change*: the pool marks a record's field dirty
  (``changed``), the greenlet writes the field's current value (HSET/HDEL)
  and bumps a version counter;
- every ``refresh`` seconds it reads that counter (one GET) and, when it
  moved, re-reads every record it knows (one pipelined HGETALL each);
- a management change to the config file (add a key, reload) bumps a
  reload counter; every process seeing it move re-reads its config file
  (instances share one file, e.g. on a volume);
- what must be atomic across processes asks Redis at once: a half-open
  probe claim (a Lua SET NX PX over the cooldowns' keys, renewed while the
  probe runs, so a killed worker's claim expires after ``claim_ttl``), a
  round-robin cursor step (INCR), a session binding or thought signature
  this process has not seen (GET).

Redis unreachable: every call falls back to the local view at once (no
waiting on a dead server per request), changes stay dirty, and the greenlet
pings until Redis answers; then it writes the dirty fields -- all of them
if Redis came back empty -- and re-reads.  The outage is logged once a
minute.  Requests never fail because of the store.

Keys (under ``prefix``): ``cred:<id>`` hash (``disabled``, ``cd:*`` for the
whole credential, ``cd:<model>``; cooldown values are JSON
``[until epoch, length, kind, status]``), ``version``, ``reload``,
``probe:<id>:<field>``, ``rr:<model>``, ``bind:<session>``, ``sig:<call>``.
"""
import logging
import os
import time

import gevent
import orjson
import redis
from gevent.event import Event
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from proxy.state.lockout import SharedLockout
from proxy.state.refreshes import SharedRefreshes
from proxy.state.memory import MemoryStore
from proxy.state.records import Cooldown

log = logging.getLogger("switchyard.state")

OUTAGE_LOG_SECONDS = 60.0        # an outage is logged once a minute
CURSOR_TTL_MS = 86_400_000       # a model's cursor is forgotten after a day unused
SIGNATURE_TTL_MS = 86_400_000    # Gemini thought signatures kept a day
_MAX_PENDING_SETS = 10_000       # bindings / signatures waiting for Redis

_NEVER = ("", "")                # the counters before the first read
_DISABLED = "disabled"
_CLEARED = "cleared"             # dirty marker: every cooldown was reset

# Claim every key or none; a key this process already holds counts as won.
_CLAIM = """
for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder and holder ~= ARGV[1] then
    for j = 1, i - 1 do redis.call('DEL', KEYS[j]) end
    return 0
  end
  redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
end
return 1
"""
_RELEASE = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 1
"""
_RENEW = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('PEXPIRE', key, ARGV[2]) end
end
return 1
"""
_CLEAR_COOLDOWNS = """
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, 3) == 'cd:' then redis.call('HDEL', KEYS[1], field) end
end
return 1
"""


def _field(key):
    return "cd:*" if key is None else f"cd:{key}"


def _key(field):
    return None if field == "cd:*" else field[3:]


class RedisStore(MemoryStore):
    """State shared through the Redis server at ``url``."""

    shared = True

    def __init__(self, url, *, prefix="switchyard:", refresh=0.1, claim_ttl=5.0,
                 clock=time.monotonic, wall=time.time, on_reload=None):
        super().__init__()
        self._redis = redis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=0.5, socket_timeout=1.0,
            retry=Retry(NoBackoff(), 0))
        self._p = prefix
        self.refresh = refresh
        self.claim_ttl = claim_ttl
        self.probe_recheck_seconds = refresh
        self.on_reload = on_reload          # called (in its own greenlet) when a peer reloads
        self._clock, self._wall = clock, wall
        self._token = f"{os.uname().nodename}:{os.getpid()}:{os.urandom(4).hex()}"
        self._scripts = {name: self._redis.register_script(src) for name, src in (
            ("claim", _CLAIM), ("release", _RELEASE), ("renew", _RENEW),
            ("clear", _CLEAR_COOLDOWNS))}
        self._dirty = {}                    # cred id -> set of fields to write
        self._pending = []                  # (key, value, ttl ms) to SET
        self._held = {}                     # probe key -> monotonic time its lease ends
        self._seen = _NEVER                 # (version, reload) counters last read
        self._reloaded = None               # the reload counter this process has acted on
        self._stale = True                  # re-read the records whatever the version says
        self._up = True
        self._outage_logged = None
        self._wake = Event()
        self._greenlet = None
        self._next_renew = 0.0
        self._refreshes = None              # SharedRefreshes, made when first asked for

    def record(self, cred_id):
        if cred_id not in self._records:
            self._stale = True              # a credential new here: read it at the next sync
            self._wake.set()
        return super().record(cred_id)

    # --- writes on change ---

    def changed(self, cred_id, keys=(), *, disabled=False, cleared=False):
        fields = self._dirty.setdefault(cred_id, set())
        if cleared:
            fields.difference_update([f for f in fields if f.startswith("cd:")])
            fields.add(_CLEARED)
        if disabled:
            fields.add(_DISABLED)
        fields.update(_field(key) for key in keys)
        self._wake.set()

    def share_binding(self, key, cred_id, ttl):
        self._queue_set(f"bind:{key}", cred_id, int(ttl * 1000))

    def share_signature(self, call_id, signature):
        self._queue_set(f"sig:{call_id}", signature, SIGNATURE_TTL_MS)

    def _queue_set(self, key, value, ttl_ms):
        if len(self._pending) < _MAX_PENDING_SETS:
            self._pending.append((self._p + key, value, ttl_ms))
            self._wake.set()

    # --- asked at once (each falls back to the local view) ---

    def claim_probe(self, cred_id, keys, lease=600.0):
        if not self._up:
            return True                     # the pool's lock made it exclusive here
        names = [self._probe_key(cred_id, key) for key in keys]
        won = self._call(self._scripts["claim"], names, [self._token, self._ttl_ms()],
                         default=1)
        if won:
            deadline = self._clock() + lease
            self._held.update((name, deadline) for name in names)
        return bool(won)

    def release_probe(self, cred_id, keys):
        names = [self._probe_key(cred_id, key) for key in keys]
        for name in names:
            self._held.pop(name, None)
        if self._up:
            self._call(self._scripts["release"], names, [self._token])

    def step(self, name):
        if not self._up:
            return super().step(name)
        key = f"{self._p}rr:{name}"
        pipe = self._redis.pipeline(transaction=False)
        pipe.incr(key).pexpire(key, CURSOR_TTL_MS)
        result = self._call(pipe.execute, default=None)
        return super().step(name) if result is None else result[0] - 1

    def recall_binding(self, key):
        return self._get(f"bind:{key}")

    def recall_signature(self, call_id):
        return self._get(f"sig:{call_id}")

    def announce_reload(self):
        seen = self._call(self._redis.incr, f"{self._p}reload", default=None)
        if seen is not None:
            self._seen = (self._seen[0], str(seen))
            self._reloaded = str(seen)

    def _get(self, key):
        return self._call(self._redis.get, self._p + key, default=None) if self._up else None

    def _probe_key(self, cred_id, key):
        return f"{self._p}probe:{cred_id}:{_field(key)}"

    def _ttl_ms(self):
        return int(self.claim_ttl * 1000)

    def _call(self, fn, *args, default=None):
        try:
            return fn(*args)
        except RedisError as exc:
            self._down(exc)
            return default

    def lockout(self, local, kind="mgmt"):
        return SharedLockout(self._redis, self._p, local, self._down, kind)

    def account_refreshes(self):
        if self._refreshes is None:
            self._refreshes = SharedRefreshes(self._redis, self._p, self._token, self._down)
        return self._refreshes

    def describe(self):
        return {"backend": "redis", "worker": os.getpid(), "reachable": self._up,
                "version": int(self._seen[0] or 0), "reloads": int(self._reloaded or 0),
                "server": self._redacted()}

    # --- the background greenlet ---

    def start(self):
        """One synchronous sync (the first requests see the shared state),
        then the background greenlet; returns self."""
        self.sync_once()
        if self._greenlet is None:
            self._greenlet = gevent.spawn(self._run)
        return self

    def close(self):
        if self._greenlet is not None:
            self._greenlet.kill()
            self._greenlet = None
        if self._up:
            self.sync_once()                # write what is dirty; release held claims
            self._call(self._scripts["release"], list(self._held), [self._token], default=None)
        self._redis.close()

    def _run(self):
        while True:
            self._wake.wait(self.refresh)
            self._wake.clear()
            try:
                self.sync_once()
            except Exception:               # a bug here must not end the loop
                log.exception("state store sync failed")

    def sync_once(self):
        """One round: reconnect if down, write dirty state, renew held
        probe claims, re-read the records if the version moved."""
        if not self._up and not self._reconnect():
            return
        try:
            self._write()
            self._renew()
            self._refresh()
        except RedisError as exc:
            self._down(exc)

    def _reconnect(self):
        try:
            self._redis.ping()
            empty = not self._redis.exists(f"{self._p}version")
        except RedisError:
            return False
        self._up = True
        log.warning("state store %s reachable again%s", self._redacted(),
                    "; it lost its data: writing this process's state back" if empty else "")
        self._outage_logged = None
        if empty:
            # Only what is set: another worker's older view must not delete
            # a change made here (or there) during the outage.
            for cred_id, record in self._records.items():
                self.changed(cred_id, list(record.cooldowns), disabled=record.disabled)
        self._stale = True
        return True

    def _down(self, exc):
        self._up = False
        now = self._clock()
        if self._outage_logged is None or now - self._outage_logged >= OUTAGE_LOG_SECONDS:
            self._outage_logged = now
            log.warning("state store %s unreachable (%s); serving from this process's view, "
                        "changes kept until it is back", self._redacted(), type(exc).__name__)

    def _redacted(self):
        kwargs = self._redis.connection_pool.connection_kwargs
        return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"

    def _write(self):
        dirty, self._dirty = self._dirty, {}
        pending, self._pending = self._pending, []
        if not dirty and not pending:
            return
        try:
            pipe = self._redis.pipeline(transaction=False)
            for cred_id, fields in dirty.items():
                self._write_record(pipe, cred_id, fields)
            for key, value, ttl_ms in pending:
                pipe.set(key, value, px=ttl_ms)
            if dirty:
                pipe.incr(f"{self._p}version")
            pipe.execute()
        except RedisError:
            for cred_id, fields in dirty.items():     # keep them for the replay
                self._dirty.setdefault(cred_id, set()).update(fields)
            self._pending[:0] = pending[:_MAX_PENDING_SETS - len(self._pending)]
            raise

    def _write_record(self, pipe, cred_id, fields):
        name = f"{self._p}cred:{cred_id}"
        record = self._records.get(cred_id)
        if record is None:
            return
        if _CLEARED in fields:
            self._scripts["clear"](keys=[name], client=pipe)
            fields = fields | {_field(key) for key in record.cooldowns}
        for field in fields:
            if field == _DISABLED:
                if record.disabled:
                    pipe.hset(name, _DISABLED, "1")
                else:
                    pipe.hdel(name, _DISABLED)
            elif field.startswith("cd:"):
                cooldown = record.cooldowns.get(_key(field))
                if cooldown is None:
                    pipe.hdel(name, field)
                else:
                    pipe.hset(name, field, self._encode(cooldown))

    def _renew(self):
        now = self._clock()
        if not self._held or now < self._next_renew:
            return
        self._next_renew = now + self.claim_ttl / 3
        for name in [n for n, deadline in self._held.items() if deadline <= now]:
            del self._held[name]            # its probe outlived the pool's lease
        if self._held:
            self._scripts["renew"](keys=list(self._held), args=[self._token, self._ttl_ms()])

    def _refresh(self):
        seen = tuple(self._redis.mget(f"{self._p}version", f"{self._p}reload"))
        if seen == self._seen and not self._stale:
            return
        reloaded = self._seen is not _NEVER and seen[1] != self._seen[1]
        self._stale = False
        ids = list(self._records)
        pipe = self._redis.pipeline(transaction=False)
        for cred_id in ids:
            pipe.hgetall(f"{self._p}cred:{cred_id}")
        for cred_id, remote in zip(ids, pipe.execute()):
            self._apply(cred_id, remote)
        self._seen = seen
        if reloaded and self.on_reload is not None:
            try:
                self.on_reload()
            finally:
                self._reloaded = seen[1]

    def _apply(self, cred_id, remote):
        """Bring one local record in line with Redis, except fields this
        process changed and has not written yet."""
        record = self._records.get(cred_id)
        if record is None:
            return
        dirty = self._dirty.get(cred_id, ())
        if _DISABLED not in dirty:
            record.disabled = remote.get(_DISABLED) == "1"
        if _CLEARED in dirty:
            return
        cooldowns = record.cooldowns
        wanted = {_key(f): v for f, v in remote.items() if f.startswith("cd:")}
        for key in [k for k in cooldowns if k not in wanted and _field(k) not in dirty]:
            del cooldowns[key]
        for key, value in wanted.items():
            if _field(key) in dirty:
                continue
            until, length, kind, status = orjson.loads(value)
            until = self._clock() + until - self._wall()
            local = cooldowns.get(key)
            if local is None:
                cooldowns[key] = Cooldown(until, length, kind, status)
            else:
                local.until, local.length, local.kind, local.status = until, length, kind, status

    def _encode(self, cooldown):
        until = self._wall() + cooldown.until - self._clock()
        return orjson.dumps([until, cooldown.length, cooldown.kind, cooldown.status])
