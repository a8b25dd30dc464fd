"""The credential pool: which credential serves the next request.

Module-level in each worker (``proxy.runtime``), guarded by a gevent lock so
green threads never see a half-updated cursor or cooldown.

SKELETON: round-robin and plain cooldowns only; issue 3 completes it
(strategies, tiers, half-open probing, session affinity, snapshot).
"""
import time

from gevent.lock import RLock


class CredentialPool:
    def __init__(self, credentials, config, clock=time.monotonic):
        self._creds = list(credentials)
        self._config = config
        self._clock = clock
        self._lock = RLock()
        self._cursors = {}
        self._cool_until = {}          # (cred id, model or None) -> monotonic time

    @property
    def credentials(self):
        return list(self._creds)

    def resolve(self, model):
        """Credentials that serve client model ``model`` (ready or not).

        ``prefix/model`` addresses only entries with that prefix.  Explicit
        ``models`` entries win over wildcard patterns.
        """
        prefix, _, bare = model.rpartition("/")
        pool = [c for c in self._creds if c.prefix == prefix] if prefix else self._creds
        name = bare if prefix else model
        explicit = [c for c in pool if name in c.models and c.upstream_model(name)]
        if explicit:
            return explicit
        if prefix and not pool:
            # a slash that is part of the model name itself (e.g. "org/model")
            return self.resolve_bare(model)
        return [c for c in pool if c.upstream_model(name)]

    def resolve_bare(self, model):
        return [c for c in self._creds if c.upstream_model(model)]

    def upstream_model(self, cred, model):
        if cred.prefix and model.startswith(cred.prefix + "/"):
            model = model[len(cred.prefix) + 1:]
        return cred.upstream_model(model)

    def pick(self, model, *, exclude=frozenset(), session=None):
        """The next ready credential for ``model`` not in ``exclude``, or None."""
        with self._lock:
            now = self._clock()
            ready = [c for c in self.resolve(model)
                     if c.id not in exclude and not self._cooling(c, model, now)]
            if not ready:
                return None
            top = max(c.priority for c in ready)
            tier = [c for c in ready if c.priority == top]
            cursor = self._cursors.get(model, 0)
            self._cursors[model] = cursor + 1
            return tier[cursor % len(tier)]

    def next_ready_in(self, model, *, exclude=frozenset()):
        """Seconds until the soonest cooling credential of ``model`` recovers."""
        with self._lock:
            now = self._clock()
            waits = [max(self._cool_until.get((c.id, None), 0),
                         self._cool_until.get((c.id, model), 0)) - now
                     for c in self.resolve(model) if c.id not in exclude]
            return max(0.0, min(waits)) if waits else None

    def report_success(self, cred, model):
        with self._lock:
            self._cool_until.pop((cred.id, model), None)

    def report_failure(self, cred, model, decision):
        """Apply an outcome ``decision`` (``proxy.cooldown.Decision``)."""
        if not decision.cooldown or cred.disable_cooling or self._config.get("disable-cooling"):
            return
        with self._lock:
            key = (cred.id, model if decision.scope == "model" else None)
            self._cool_until[key] = self._clock() + decision.cooldown

    def _cooling(self, cred, model, now):
        return (self._cool_until.get((cred.id, None), 0) > now
                or self._cool_until.get((cred.id, model), 0) > now)

    def snapshot(self):
        with self._lock:
            now = self._clock()
            return [{"id": c.id, "provider": c.kind, "key_hint": c.key_hint,
                     "state": "cooling" if any(k[0] == c.id and t > now
                                               for k, t in self._cool_until.items())
                     else "ready"} for c in self._creds]
