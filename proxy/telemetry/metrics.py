"""Prometheus metrics of one worker, served at ``GET /metrics``.

Metrics live in their own ``CollectorRegistry`` rather than the library's
global one, so tests and reloads never trip over duplicate registrations.
Pool state and the usage queue are read at scrape time by custom
collectors: the pool already knows which credentials are cooling, and
copying that into gauges on every change would only risk drift.

Under several gunicorn workers, prometheus-client's multiprocess mode makes
one scrape give the whole instance: ``gunicorn.conf.py`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before the workers start,
every worker's counters land in files there, and a scrape (whichever worker
answers) reads them all.  The pool and usage-queue collectors are read live
from the answering worker (the pool's state is the shared one with a state
store configured).

A request's counts and observations are added up in plain dicts and handed
to prometheus-client in one batch (``Metrics.flush``) before every scrape
and once a second: each ``inc``/``observe`` of the library goes through a
few layers and a lock, ten of them a request -- more CPU than the rest of
the accounting.  The in-flight gauge too: its changes are summed.  Under
several workers (multiprocess mode) each request is handed over as it
ends: a scrape answered by one worker reads the others' files, and must
find every answer they completed.
"""
import hashlib
import hmac
import os
from bisect import bisect_left

from flask import Blueprint, Response, abort
from flask import request as flask_request
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from proxy.access import auth, peers
from proxy import runtime
from proxy.periodic import Periodic
from proxy.slot import Slot
from proxy.telemetry import usage_store

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
TTFT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60)

# Client-chosen model names would make label values unbounded; past this
# many distinct names the rest are counted under "other".
MAX_MODEL_LABELS = 200

FLUSH_SECONDS = 1.0     # longest a count waits before it is in prometheus-client's values

TOKEN_KINDS = {"input_tokens": "input", "output_tokens": "output", "cached_tokens": "cached",
               "cache_creation_tokens": "cache_write", "reasoning_tokens": "reasoning"}
_KINDS = tuple(TOKEN_KINDS[field] for field in usage_store.TOKEN_FIELDS)


class _PoolCollector:
    """Credential states, read from the live pool at scrape time."""

    def __init__(self, runtime_getter):
        self._runtime = runtime_getter

    def describe(self):
        return self._families()

    def collect(self):
        families = self._families()
        rt = self._runtime()
        if rt is None:
            return families
        by_state, cooling = {}, families[1]
        for cred in rt.pool.snapshot():
            by_state[cred["state"]] = by_state.get(cred["state"], 0) + 1
            cooling.add_metric([cred["id"], cred["provider"]], cred["state"] == "cooling")
        for state, count in sorted(by_state.items()):
            families[0].add_metric([state], count)
        return families

    @staticmethod
    def _families():
        return [GaugeMetricFamily("switchyard_credentials", "Credentials by pool state.",
                                  labels=["state"]),
                GaugeMetricFamily("switchyard_credential_cooling",
                                  "1 while a credential is cooling down.",
                                  labels=["credential", "provider"])]


class _UsageQueueCollector:
    """Usage records pending and dropped, read from the worker's store."""

    def __init__(self, store_getter):
        self._store = store_getter

    def describe(self):
        return self._families()

    def collect(self):
        families = self._families()
        store = self._store()
        families[0].add_metric([], store.dropped if store else 0)
        families[1].add_metric([], store.pending if store else 0)
        return families

    @staticmethod
    def _families():
        return [CounterMetricFamily("switchyard_usage_queue_dropped",
                                    "Usage records dropped because the queue was full "
                                    "or the store failed."),
                GaugeMetricFamily("switchyard_usage_queue_pending",
                                  "Usage records waiting to be written.")]


class Metrics:
    """The worker's metrics; ``request_observer`` feeds them, ``render`` exposes them."""

    def __init__(self, runtime_getter=runtime.current, store_getter=usage_store.current):
        self.registry = registry = CollectorRegistry()
        self.requests = Counter("switchyard_requests", "Client requests by outcome.",
                                ["dialect", "model", "status"], registry=registry)
        self.in_flight = Gauge("switchyard_requests_in_flight", "Client requests being served.",
                               registry=registry, multiprocess_mode="livesum")
        self.latency = Histogram("switchyard_request_duration_seconds",
                                 "Client request duration, to the last byte.", ["dialect"],
                                 buckets=LATENCY_BUCKETS, registry=registry)
        self.ttft = Histogram("switchyard_time_to_first_byte_seconds",
                              "Time from request to the first byte sent back.", ["dialect"],
                              buckets=TTFT_BUCKETS, registry=registry)
        self.attempts = Counter("switchyard_upstream_attempts", "Upstream calls by outcome.",
                                ["credential", "provider", "outcome"], registry=registry)
        self.tokens = Counter("switchyard_tokens",
                              "Tokens reported by upstreams (input includes cached and "
                              "cache_write; output includes reasoning).",
                              ["kind", "model", "credential"], registry=registry)
        self._children = {}   # (metric, label values) -> child: labels() costs a lock + checks
        self._counts = {}     # (counter, label values) -> amount not yet added (flush)
        self._observed = {}   # (histogram, label value) -> [count per bucket..., sum] not yet added
        self._in_flight = 0   # change of the in-flight gauge not yet added
        # (dialect, model, status, credential) -> [requests, then the tokens
        # of each kind (usage_store.TOKEN_FIELDS order)] not yet added
        self._finished = {}
        self._flusher = None
        shared_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self._flush_each = bool(shared_dir)     # see the module docstring
        if shared_dir:       # scrape every worker's files, not this registry
            self.scraped = CollectorRegistry()
            MultiProcessCollector(self.scraped, shared_dir)
        else:
            self.scraped = registry
        self.scraped.register(_PoolCollector(runtime_getter))
        self.scraped.register(_UsageQueueCollector(store_getter))
        self._models = set()

    def model_label(self, model):
        if model in self._models or len(self._models) < MAX_MODEL_LABELS:
            self._models.add(model)
            return model
        return "other"

    def _child(self, metric, *values):
        child = self._children.get((metric, values))
        if child is None:
            child = self._children[(metric, values)] = metric.labels(*values)
        return child

    def request_started(self):
        if self._flusher is None:
            self._start_flushing()
        self._in_flight += 1
        if self._flush_each:
            self.flush()

    def request_finished(self, dialect, model, status, credential_id, tokens, *, latency,
                         ttft):
        """Count one finished request: ``tokens`` in ``usage_store.TOKEN_FIELDS``
        order (None: unknown)."""
        self._in_flight -= 1
        model = model if model in self._models else self.model_label(model or "")
        # the request's count and its tokens under one key, spread over the
        # request and token counters at the flush
        key = (dialect, model, status, credential_id or "")
        pending = self._finished.get(key)
        if pending is None:
            if not self._finished and self._flusher is None:
                self._start_flushing()
            pending = self._finished[key] = [0, 0, 0, 0, 0, 0]
        pending[0] += 1
        inputs, outputs, cached, cache_writes, reasoning = tokens
        if inputs:
            pending[1] += inputs
        if outputs:
            pending[2] += outputs
        if cached:
            pending[3] += cached
        if cache_writes:
            pending[4] += cache_writes
        if reasoning:
            pending[5] += reasoning
        self._observe(self.latency, dialect, latency)
        if ttft is not None:
            self._observe(self.ttft, dialect, ttft)
        if self._flush_each:
            self.flush()

    def request_rejected(self, dialect, status):
        """Count a request refused before the relay (no model, no gauge)."""
        self._count(self.requests, (dialect, "", str(status)))
        if self._flush_each:
            self.flush()

    def attempt(self, credential_id, provider, outcome):
        self._count(self.attempts, (credential_id, provider, outcome))

    def _count(self, counter, values, amount=1):
        counts = self._counts
        if not counts and self._flusher is None:
            self._start_flushing()
        key = (counter, values)
        counts[key] = counts.get(key, 0) + amount

    def _observe(self, histogram, value, amount):
        observed = self._observed
        pending = observed.get((histogram, value))
        if pending is None:
            # one count per bucket (``_upper_bounds`` ends with +Inf), then the sum
            pending = observed[(histogram, value)] = [0] * (len(histogram._upper_bounds) + 1)
        # Histogram.observe: the first bucket whose upper bound is >= amount
        pending[bisect_left(histogram._upper_bounds, amount)] += 1
        pending[-1] += amount

    def _start_flushing(self):
        self._flusher = Periodic(self.flush, FLUSH_SECONDS, what="metrics flush").start()

    def flush(self):
        """Hand the counts and observations added up since the last flush to
        prometheus-client (what a scrape reads, multiprocess files included)."""
        in_flight, self._in_flight = self._in_flight, 0
        if in_flight:
            self.in_flight.inc(in_flight)
        finished, self._finished = self._finished, {}
        for (dialect, model, status, credential), (requests, *amounts) in finished.items():
            self._child(self.requests, dialect, model, str(status)).inc(requests)
            for kind, amount in zip(_KINDS, amounts):
                if amount:
                    self._child(self.tokens, kind, model, credential).inc(amount)
        counts, self._counts = self._counts, {}
        for (counter, values), amount in counts.items():
            self._child(counter, *values).inc(amount)
        observed, self._observed = self._observed, {}
        for (histogram, value), pending in observed.items():
            # a batch of Histogram.observe calls: its bucket values and sum
            child = self._child(histogram, value)
            for bucket, count in zip(child._buckets, pending):
                if count:
                    bucket.inc(count)
            child._sum.inc(pending[-1])

    def render(self):
        self.flush()
        return generate_latest(self.scraped)


_slot = Slot(make=Metrics)       # the worker's Metrics, made on first use
current, install = _slot.current, _slot.install


def _digest(value):
    return hashlib.sha256(value.encode()).digest()


def _authorized(key):
    given = auth.bearer_token(flask_request.headers)
    return hmac.compare_digest(_digest(given), _digest(key))


blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
def scrape():
    config = runtime.current().config
    settings = config["metrics"]
    if not settings["enabled"]:
        abort(404)
    if not settings["key"] and not peers.is_local(flask_request.environ, config):
        # credential ids and error states are for operators: remote
        # scrapers (a proxy's clients included) need metrics.key
        return Response("metrics are served to loopback clients only unless metrics.key "
                        "is set\n", status=403, mimetype="text/plain")
    if settings["key"] and not _authorized(settings["key"]):
        return Response("unauthorized\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": "Bearer"})
    return Response(current().render(), mimetype=CONTENT_TYPE_LATEST)
