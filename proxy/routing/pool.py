"""The credential pool: which credential serves the next request.

One pool per worker (``proxy.runtime``), shared by every green thread and
guarded by a gevent lock.  Critical sections only touch dicts -- no I/O, no
logging -- so a green thread never waits long for another.

This module is policy; the state it decides on (disabled flags, cooldowns,
probe claims, cursors) lives in a state store (``proxy.state``): this
process's memory by default, or Redis, shared by every worker and instance.
The pool reads the store's local records under its lock and, after a change,
tells the store (outside the lock) so it can share it.

Vocabulary.  A credential *serves* a client model when ``resolve`` lists it.
It is *available* for that model unless disabled, cooling (a cooldown of the
whole credential, or of that model, has not expired yet), or half-open with
a probe in flight.  An expired cooldown is kept until a success: meanwhile
the credential is *half-open* and exactly one request at a time probes it.
A success forgets the cooldown and its backoff; a failure cools the
credential again, for twice as long unless the provider named a reset time.
"""
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from gevent.lock import Semaphore

from proxy.routing.affinity import Bindings
from proxy.routing.cooldown import CANCELLED, FLOOR_SECONDS
from proxy.state.memory import MemoryStore
from proxy.state.records import Cooldown as _Cooldown

log = logging.getLogger("switchyard.pool")

RECENT_BUCKETS = 60          # the "recent" counters cover this many...
RECENT_BUCKET_SECONDS = 60.0  # ...one-minute buckets: the last hour
_MAX_MODEL_COOLDOWNS = 256   # per credential; beyond, expired ones are forgotten
_MAX_TRACKED_MODELS = 4096   # strategy state per model (client-chosen names)


def _next_cooldown(current, decision, now, cap):
    """The cooldown a failure leads to, given the one in place (or None).

    After expiry (the half-open probe failed) the length doubles; while
    still cooling, a failure is part of the same burst (requests that were
    already in flight) and does not escalate.  A provider's own reset time
    (``decision.exact``) is taken as is.  A configured length above ``cap``
    (e.g. 12 h for an unknown model) is honoured but never doubled; doubling
    stops at ``decision.ceiling`` when it names one.
    """
    length = decision.cooldown
    if current is not None and not decision.exact:
        expired = current.until <= now
        length = max(length, current.length * (2 if expired else 1))
    if decision.ceiling is not None:
        cap = min(cap, decision.ceiling)
    length = min(max(length, FLOOR_SECONDS), max(cap, decision.cooldown))
    until = max(now + length, current.until if current else 0.0)
    return _Cooldown(until, length, decision.kind, decision.status)


class _Recent:
    """Success and failure counts of the last hour, in one-minute buckets
    so memory stays constant."""

    def __init__(self):
        self._buckets = {}            # minute number -> [successes, failures]

    def add(self, now, ok):
        minute = int(now // RECENT_BUCKET_SECONDS)
        self._buckets.setdefault(minute, [0, 0])[0 if ok else 1] += 1
        if len(self._buckets) > RECENT_BUCKETS:
            for old in [m for m in self._buckets if m <= minute - RECENT_BUCKETS]:
                del self._buckets[old]

    def counts(self, now):
        first = int(now // RECENT_BUCKET_SECONDS) - RECENT_BUCKETS + 1
        live = [counts for minute, counts in self._buckets.items() if minute >= first]
        return {"window_seconds": RECENT_BUCKETS * RECENT_BUCKET_SECONDS,
                "successes": sum(c[0] for c in live), "failures": sum(c[1] for c in live)}


class Route:
    """The credentials that serve one client model (``CredentialPool.route``):
    ``creds`` in config order, ``models`` (credential id -> the upstream's
    name for the model), ``eligible`` (those the strategy may pick: a weighted
    one skips weight 0), ``only`` (the one eligible credential, or None), and
    ``facts``: what callers derive from the credentials alone, kept here so
    it is derived once per model (it goes when the pool does)."""
    __slots__ = ("creds", "models", "eligible", "only", "facts")

    def __init__(self, creds, models, eligible):
        self.creds, self.models, self.eligible = tuple(creds), models, tuple(eligible)
        self.only = eligible[0] if len(eligible) == 1 else None
        self.facts = {}


@dataclass
class _CredState:
    """What the pool knows about one credential; outlives config reloads.
    ``shared`` is the store's record (disabled flag, cooldowns); the
    counters are this process's own."""
    shared: object
    successes: int = 0
    failures: int = 0
    recent: _Recent = field(default_factory=_Recent)
    last_error: dict | None = None

    @property
    def disabled(self):
        return self.shared.disabled

    @property
    def cooldowns(self):
        return self.shared.cooldowns


def _remember(table, model, value):
    """``table[model] = value``, starting afresh once too many models are
    tracked: model names come from clients and must not grow memory forever."""
    if model not in table and len(table) >= _MAX_TRACKED_MODELS:
        table.clear()
    table[model] = value


class _RoundRobin:
    """A cursor per model over the available credentials of the top tier;
    the cursor is state (``step``: the store's next value of it)."""
    weighted = False
    stepped = True

    def choose(self, model, tier, step):
        return tier[step % len(tier)]


class _FillFirst:
    """The first available credential in config order: the next one only
    takes over while it cools (keeps spare quota intact)."""
    weighted = False
    stepped = False

    def choose(self, model, tier, step=0):
        return tier[0]


class _SmoothWeighted:
    """nginx's smooth weighted round-robin (``ngx_http_upstream_round_robin``):
    every pick adds each weight to its credential's current value, takes the
    highest (first in config order on ties) and takes the total off the
    winner.  Weights 5, 1, 1 give ``a a b a c a a``: spread, not bursts.
    Credentials of weight <= 0 never get here (``weighted``)."""
    weighted = True
    stepped = False

    def __init__(self):
        self._current = {}            # model -> {credential id: current weight}

    def choose(self, model, tier, step=0):
        current = self._current.get(model, {})
        for cred in tier:
            current[cred.id] = current.get(cred.id, 0) + cred.weight
        best = max(tier, key=lambda cred: current[cred.id])
        current[best.id] -= sum(cred.weight for cred in tier)
        _remember(self._current, model, current)
        return best


STRATEGIES = {"round-robin": _RoundRobin, "fill-first": _FillFirst,
              "weighted-round-robin": _SmoothWeighted}


class CredentialPool:
    """The credentials of one config, with their health.

    ``config`` is a built config (``proxy.config.build``).  ``clock``
    (monotonic) times cooldowns; ``wall_clock`` only renders times for
    ``snapshot``.  ``previous`` is the pool this one replaces on a reload:
    credentials whose id is unchanged keep their state (cooldowns, backoff,
    counters, disabled flag), shared with the old pool under the same lock,
    so requests still in flight there report into it.  ``store``: where
    the state lives (``proxy.state``); default ``previous``'s, else a
    private ``MemoryStore``.
    """

    def __init__(self, credentials, config, clock=time.monotonic, previous=None, *,
                 wall_clock=time.time, store=None):
        routing = config["routing"]
        self._creds = list(credentials)
        self._resolved = {}               # model -> Route; its credentials never change
        self._clock = clock
        self._wall_clock = wall_clock
        self._strategy = STRATEGIES[routing["strategy"]]()
        self._cap = config["max-cooldown-seconds"]
        self._cooling_off = config["disable-cooling"]
        # A probe that neither answered nor timed out by now has lost its
        # report (a bug, a killed worker thread): let another request probe.
        self._probe_lease = config["connect-timeout-seconds"] + config["read-timeout-seconds"]
        self._bindings = Bindings(routing["session-affinity-ttl"]) \
            if routing["session-affinity"] else None
        self._store = store or (previous._store if previous else MemoryStore())
        # gevent's compiled Semaphore, not its Python RLock: no critical
        # section takes the lock again, and a pick and a report each take it
        self._lock = previous._lock if previous else Semaphore()
        with self._lock:
            if previous:
                self._store.retain({c.id for c in self._creds})   # a dropped key starts afresh
            old = previous._states if previous and previous._store is self._store else {}
            self._states = {c.id: old.get(c.id) or _CredState(self._store.record(c.id))
                            for c in self._creds}
            if self._bindings is not None and previous and previous._bindings is not None:
                self._bindings.adopt(previous._bindings, self._states)

    @property
    def credentials(self):
        return list(self._creds)

    # --- which credentials serve a model (pure over the immutable list) ---

    def resolve(self, model):
        """Credentials that serve client model ``model`` (ready or not).

        ``prefix/model`` addresses only entries with that prefix.  Explicit
        ``models`` entries win over wildcard patterns.
        """
        return list(self.route(model).creds)

    def route(self, model):
        """``model``'s ``Route``: the credentials that serve it (as
        ``resolve``, not a copy: do not change it) and what is known of them
        once, memoised per model: every pick, attempt and report of a
        request asks, and matching names against patterns is not free
        (names are client-chosen, so the memo is bounded)."""
        found = self._resolved.get(model)
        if found is None:
            if len(self._resolved) >= _MAX_TRACKED_MODELS:
                self._resolved.clear()
            creds = self._resolve(model)
            found = self._resolved[model] = Route(
                creds, {c.id: self._upstream_model(c, model) for c in creds},
                [c for c in creds if c.weight > 0 or not self._strategy.weighted])
        return found

    def _resolve(self, model):
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
        """The name ``cred``'s upstream knows client model ``model`` by."""
        found = self._resolved.get(model)
        if found is not None:
            name = found.models.get(cred.id)
            if name is not None:
                return name
        return self._upstream_model(cred, model)

    @staticmethod
    def _upstream_model(cred, model):
        if cred.prefix and model.startswith(cred.prefix + "/"):
            model = model[len(cred.prefix) + 1:]
        return cred.upstream_model(model)

    # --- choosing ---

    def pick(self, model, *, exclude=frozenset(), session=None):
        """The credential for the next attempt at ``model``, or None.

        ``exclude``: credential ids already tried.  ``session``: a
        ``proxy.routing.affinity.session_key``; with ``routing.session-affinity`` on,
        the session stays on its credential while that is available.  A
        half-open credential picked here becomes its one probe: report the
        attempt's outcome (success, failure or cancellation) to end it.

        A shared store is asked (outside the lock) only for what must be
        atomic across processes: a cursor step when there is a choice, a
        probe claim, a session bound elsewhere.
        """
        route = self.route(model)
        only = route.only
        if only is not None and only.id not in exclude \
                and (not session or self._bindings is None):
            # one credential serves it and no session binds: with nothing
            # cooling nothing is chosen, stepped, claimed or shared (a shared
            # store does not step a cursor for one credential either)
            shared = self._states[only.id].shared
            if not shared.cooldowns:
                return None if shared.disabled else only
        return self._pick(model, exclude, session)

    def _pick(self, model, exclude, session):
        """``pick`` in general: choose, step, claim, bind."""
        creds, models = self._candidates(model, exclude)
        key = (session, model) if session and self._bindings is not None else None
        if key and self._store.shared:
            self._recall_binding(key)
        step = None                # a private store steps under the lock, when needed
        if self._strategy.stepped and self._store.shared:
            step = self._store.step(model) if len(creds) > 1 else 0
        while True:
            with self._lock:
                now = self._clock()
                ready = [c for c in creds if self._available(c, models[c.id], now)]
                cred, rebound = self._choose(model, ready, key, step, now)
                probes = self._claim(cred, models[cred.id], now) if cred is not None else []
            if rebound and self._store.shared:
                self._store.share_binding(_binding_name(key), cred.id, self._bindings.ttl)
            if not probes or self._store.claim_probe(cred.id, probes, self._probe_lease):
                return cred
            # Another process is probing it: leave it to that probe, whose
            # outcome the store brings here; look again only after a while.
            with self._lock:
                _mark_probe(self._states[cred.id], probes,
                            self._clock() + self._store.probe_recheck_seconds)

    def _recall_binding(self, key):
        with self._lock:
            known = self._bindings.get(key, self._clock())
        if known is None:
            cred_id = self._store.recall_binding(_binding_name(key))
            if cred_id is not None and cred_id in self._states:
                with self._lock:
                    self._bindings.bind(key, cred_id, self._clock())

    def next_ready_in(self, model, *, exclude=frozenset()):
        """Seconds until the soonest cooling credential for ``model`` outside
        ``exclude`` can be picked again; None if none is cooling.

        Ready credentials do not count: a caller asks after ``pick`` found
        nothing, so those were tried already.  One held only by a half-open
        probe counts as ``FLOOR_SECONDS`` away: the probe's outcome is unknown.
        """
        creds, models = self._candidates(model, exclude)
        with self._lock:
            now = self._clock()
            waits = [self._recovery_in(c, models[c.id], now) for c in creds
                     if not self._states[c.id].disabled]
        waits = [wait for wait in waits if wait is not None]
        return min(waits) if waits else None

    def blocked(self, model):
        """Why credentials for ``model`` cannot be picked now: for each one
        disabled or cooling, ``(credential, kind, seconds left or None,
        last_error)``; ``kind`` is "disabled" or the cooldown's
        (``proxy.routing.cooldown`` kinds)."""
        creds, models = self._candidates(model, frozenset())
        found = []
        with self._lock:
            now = self._clock()
            for cred in creds:
                state = self._states[cred.id]
                if state.disabled:
                    found.append((cred, "disabled", None, state.last_error))
                    continue
                running = [cd for cd in _cooldowns_of(state, models[cred.id]) if cd.until > now]
                if running and not self._cooling_disabled(cred):
                    longest = max(running, key=lambda cd: cd.until)
                    found.append((cred, longest.kind, longest.until - now, state.last_error))
        return found

    def _candidates(self, model, exclude):
        route = self.route(model)
        return [c for c in route.eligible if c.id not in exclude], route.models

    def _choose(self, model, ready, key, step, now):
        """The credential among ``ready`` and whether session ``key`` was
        (re)bound to it."""
        if not ready:
            return None, False
        bound = self._bindings.get(key, now) if key else None
        cred = next((c for c in ready if c.id == bound), None)
        if cred is None:
            top = max(c.priority for c in ready)
            if step is None and self._strategy.stepped:
                step = self._store.step(model)
            cred = self._strategy.choose(model, [c for c in ready if c.priority == top], step)
        if key:
            self._bindings.bind(key, cred.id, now)
        return cred, bool(key) and cred.id != bound

    def _available(self, cred, umodel, now):
        shared = self._states[cred.id].shared
        if shared.disabled:
            return False
        if not shared.cooldowns or self._cooling_disabled(cred):   # (nearly always none)
            return True
        return not any(cd.until > now or self._probing(cd, now)
                       for cd in _cooldowns_of(self._states[cred.id], umodel))

    def _probing(self, cooldown, now):
        return cooldown.probe_until is not None and now < cooldown.probe_until

    def _claim(self, cred, umodel, now):
        """Make this pick the probe of ``cred``'s expired cooldowns; their keys."""
        state = self._states[cred.id]
        if not state.cooldowns:
            return []
        keys = [key for key in (None, umodel)
                if key in state.cooldowns and state.cooldowns[key].until <= now]
        _mark_probe(state, keys, now + self._probe_lease)
        return keys

    def _recovery_in(self, cred, umodel, now):
        if self._available(cred, umodel, now):
            return None
        running = [cd.until for cd in _cooldowns_of(self._states[cred.id], umodel)
                   if cd.until > now]
        return max(running) - now if running else FLOOR_SECONDS

    def _cooling_disabled(self, cred):
        return self._cooling_off or cred.disable_cooling

    # --- outcomes ---

    def report_success(self, cred, model):
        """The attempt succeeded: a half-open credential is ready again and
        its backoff starts over.  A cooldown still running stays: it was set
        by a failure this request did not see."""
        state = self._states[cred.id]
        if not state.shared.cooldowns:          # (nearly always) no probe to end
            with self._lock:
                state.successes += 1
                state.recent.add(self._clock(), True)
            return
        umodel = self.upstream_model(cred, model)
        with self._lock:
            now = self._clock()
            state.successes += 1
            state.recent.add(now, True)
            restored, released = _end_probe(state, umodel, now, success=True)
        self._settle(cred, restored, released)
        for key in restored:
            log.info("credential %s recovered for %s", cred.id, key or "all models")

    def report_failure(self, cred, model, decision, *, cause=None):
        """Apply an outcome ``decision`` (``proxy.routing.cooldown.Decision``);
        ``cause`` (a ``proxy.errors.UpstreamError``) says what failed."""
        if decision.kind == CANCELLED:
            self.report_cancelled(cred, model)
            return
        umodel = self.upstream_model(cred, model)
        key = umodel if decision.scope == "model" else None
        cool = decision.cooldown is not None and not self._cooling_disabled(cred)
        error = {"status": decision.status, "kind": decision.kind,
                 "at": _iso(self._wall_clock())}
        if cause is not None:
            error.update(cause=cause.cause, message=cause.message)
        with self._lock:
            now = self._clock()
            state = self._states[cred.id]
            state.failures += 1
            state.recent.add(now, False)
            state.last_error = error
            _, released = _end_probe(state, umodel, now, success=False)
            if cool:
                state.cooldowns[key] = _next_cooldown(state.cooldowns.get(key), decision,
                                                      now, self._cap)
                seconds = state.cooldowns[key].until - now
                _forget_expired(state, now)
        self._settle(cred, [key] if cool else [], released)
        if cool:
            log.info("cooling credential %s for %s: status=%s kind=%s for %.1fs",
                     cred.id, key or "all models", decision.status, decision.kind, seconds)

    def report_cancelled(self, cred, model):
        """The client went away mid-attempt: nothing is learned about the
        credential, but a half-open probe it held is released."""
        umodel = self.upstream_model(cred, model)
        with self._lock:
            _, released = _end_probe(self._states[cred.id], umodel, self._clock(), success=False)
        self._settle(cred, [], released)

    def _settle(self, cred, changed, released):
        """Share an outcome: cooldown keys ``changed``, probe claims ``released``."""
        if changed:
            self._store.changed(cred.id, changed)
        if released:
            self._store.release_probe(cred.id, released)

    # --- management ---

    def set_disabled(self, cred_id, disabled):
        """Take a credential out of (or back into) rotation; False if unknown."""
        with self._lock:
            state = self._states.get(cred_id)
            if state is not None:
                state.shared.disabled = bool(disabled)
        if state is not None:
            self._store.changed(cred_id, disabled=True)
            log.info("credential %s %s", cred_id, "disabled" if disabled else "enabled")
        return state is not None

    def reset_cooldown(self, cred_id):
        """Forget every cooldown (and backoff) of a credential; False if unknown."""
        with self._lock:
            state = self._states.get(cred_id)
            if state is not None:
                state.cooldowns.clear()
        if state is not None:
            self._store.changed(cred_id, cleared=True)
            log.info("credential %s cooldowns reset", cred_id)
        return state is not None

    def snapshot(self):
        """Every credential's health as JSON-ready dicts, in config order."""
        with self._lock:
            now, wall = self._clock(), self._wall_clock()
            return [self._describe(c, now, wall) for c in self._creds]

    def _describe(self, cred, now, wall):
        state = self._states[cred.id]
        whole = state.cooldowns.get(None)
        return {
            "id": cred.id, "provider": cred.kind, "label": cred.label,
            "key_hint": cred.key_hint, "models": sorted(cred.models) or list(cred.patterns),
            "priority": cred.priority, "weight": cred.weight,
            "state": self._state_name(cred, state, whole, now),
            "cooling_until": _iso(wall + whole.until - now)
            if whole and whole.until > now else None,
            "model_cooldowns": {model: _describe_cooldown(cd, now, wall)
                                for model, cd in state.cooldowns.items() if model is not None},
            "successes": state.successes, "failures": state.failures,
            "recent": state.recent.counts(now),
            "last_error": dict(state.last_error) if state.last_error else None,
        }

    def _state_name(self, cred, state, whole, now):
        if state.disabled:
            return "disabled"
        if whole is None or self._cooling_disabled(cred):
            return "ready"
        return "cooling" if whole.until > now else "half-open"


def _cooldowns_of(state, umodel):
    """The cooldowns that bear on one model: the whole credential's and the model's."""
    return [state.cooldowns[key] for key in (None, umodel) if key in state.cooldowns]


def _mark_probe(state, keys, until):
    for key in keys:
        cooldown = state.cooldowns.get(key)
        if cooldown is not None:
            cooldown.probe_until = until


def _end_probe(state, umodel, now, *, success):
    """Release the probe on ``umodel``'s cooldowns; on success forget the
    expired ones.  Returns the keys forgotten and the keys whose probe
    ended."""
    restored, released = [], []
    cooldowns = state.cooldowns
    if not cooldowns:                # the common case: nothing to end
        return restored, released
    for key in (None, umodel):
        cooldown = cooldowns.get(key)
        if cooldown is None:
            continue
        if cooldown.probe_until is not None:
            released.append(key)
        cooldown.probe_until = None
        if success and cooldown.until <= now:
            del state.cooldowns[key]
            restored.append(key)
    return restored, released


def _binding_name(key):
    session, model = key
    return f"{session}|{model}"


def _forget_expired(state, now):
    """Bound per-credential memory when clients name many models: expired,
    unprobed model cooldowns go once there are too many (only their backoff
    level is lost)."""
    if len(state.cooldowns) <= _MAX_MODEL_COOLDOWNS:
        return
    for key in [k for k, cd in state.cooldowns.items()
                if k is not None and cd.until <= now and cd.probe_until is None]:
        del state.cooldowns[key]


def _describe_cooldown(cooldown, now, wall):
    return {"state": "cooling" if cooldown.until > now else "half-open",
            "until": _iso(wall + cooldown.until - now), "seconds": cooldown.length,
            "kind": cooldown.kind, "status": cooldown.status}


def _iso(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")
