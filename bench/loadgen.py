"""The load generator: a process of its own, so it never shares a core's
time slice with the proxy it measures inside one interpreter.

It reads one job (JSON) on stdin and writes JSON lines on stdout: optional
``{"event": "phase"|"progress"|"open", ...}`` lines while it runs, then one
``{"event": "result", ...}``.  Job kinds:

- ``sequential``: one keep-alive connection per target, interleaved rounds
  (the target order rotates every round), per-request latencies returned;
  optional ``gap_ms`` of idleness before each request, optional ``settle``
  (server pids) to wait for before each target's batch (``bench.quiet``).
- ``closed``: a closed loop of ``concurrency`` clients, each on its own
  keep-alive connection, for ``duration_s`` or ``total`` requests; with
  ``settle``, started once those server pids are quiet.
- ``stream``: streams one after another; per stream the arrival time of
  every token (``tokNNN`` markers, see ``bench.wire``).
- ``hold``: ``count`` streams open at once; reports ``open`` once each has
  its first token, then waits for them all to finish.
- ``events``: ``rounds`` of ``concurrency`` streams at once; per stream the
  SSE events received and the token markers in each, so a proxy that merges
  events (batching) or drops some is caught; ``phase`` lines bracket the
  measured rounds (after ``warmup`` rounds).

A request spec is ``{host, port, method, path, headers, body, expect}``;
a response counts as a success when its status is 200 and the body
contains ``expect`` (the last token, or the stream's terminator).  A spec
may carry ``bodies`` (a list) instead of ``body``: the jobs that time
requests one by one (``sequential``, ``closed``) then send the next body
each time, the first again after the last (a growing agent session, then a
rewind: ``bench.agent_session``); the stream jobs send the first.
"""
import itertools
import json
import re
import sys
import time

import gevent
from gevent.event import Event
from gevent.lock import Semaphore

from bench import quiet, stats
from bench.http_client import Connection, encode_request
from bench.limits import raise_fd_limit

_TOKEN = re.compile(rb"tok(\d{3,}) ")
_EVENT_END = re.compile(rb"\r?\n\r?\n")
_MAX_ERROR_SAMPLES = 5


def emit(line):
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


class Request:
    """A request spec, encoded once (each of its bodies)."""

    def __init__(self, spec):
        self.host, self.port = spec["host"], spec["port"]
        bodies = spec["bodies"] if "bodies" in spec else [spec.get("body")]
        self.raws = [encode_request(spec.get("method", "POST"), spec["path"],
                                    f"{self.host}:{self.port}", spec.get("headers", {}),
                                    None if body is None else body.encode())
                     for body in bodies]
        self.raw = self.raws[0]
        # the bytes to send next, round and round (a C-level call per request)
        self.next_raw = itertools.cycle(self.raws).__next__
        self.expect = spec["expect"].encode()

    def connection(self, timeout=60.0):
        return Connection(self.host, self.port, timeout)


class Expect:
    """Body sink that notices the expected bytes, even split across pieces."""

    def __init__(self, expect):
        self.expect = expect
        self.tail = b""
        self.found = False

    def __call__(self, data):
        window = self.tail + data
        self.found = self.found or self.expect in window
        self.tail = window[-32:]
        self.seen(window)

    def seen(self, window):
        """Hook for subclasses that look at more than the expected bytes."""


class TokenClock(Expect):
    """Also records when each ``tokNNN`` marker first arrived (ms since ``t0``)."""

    def __init__(self, expect, t0):
        super().__init__(expect)
        self.t0 = t0
        self.times = {}

    def seen(self, window):
        now = (time.perf_counter() - self.t0) * 1000
        for match in _TOKEN.finditer(window):
            self.times.setdefault(int(match.group(1)), now)


class Errors:
    """An error count plus the first few distinct messages."""

    def __init__(self):
        self.count = 0
        self.samples = []

    def add(self, message):
        self.count += 1
        if len(self.samples) < _MAX_ERROR_SAMPLES and message not in self.samples:
            self.samples.append(message)

    def as_dict(self):
        return {"errors": self.count, "error_samples": self.samples}


def timed(conn, request, errors):
    """One request's latency in ms, or None (counted in ``errors``)."""
    sink = Expect(request.expect)
    raw = request.next_raw()
    started = time.perf_counter()
    try:
        status = conn.exchange(raw, sink)
    except (OSError, EOFError, ValueError) as exc:
        errors.add(f"{type(exc).__name__}: {exc}")
        return None
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200 or not sink.found:
        errors.add(f"status {status}" + ("" if sink.found else ", expected bytes missing"))
        return None
    return elapsed


# --- jobs ----------------------------------------------------------------------

def sequential(job):
    names = list(job["targets"])
    requests = {name: Request(spec) for name, spec in job["targets"].items()}
    conns = {name: requests[name].connection() for name in names}
    errors = {name: Errors() for name in names}
    for name in names:
        for _ in range(job["warmup"]):
            timed(conns[name], requests[name], Errors())
    rounds = {name: [] for name in names}
    unsettled = {name: 0 for name in names}
    for r in range(job["rounds"]):
        for name in names[r % len(names):] + names[:r % len(names)]:
            if job.get("settle") and quiet.settle(job["settle"]) is None:
                unsettled[name] += 1
            samples = [_paused(job.get("gap_ms", 0)) or
                       timed(conns[name], requests[name], errors[name])
                       for _ in range(job["per_round"])]
            rounds[name].append([s for s in samples if s is not None])
    return {"rounds": rounds, "unsettled": unsettled,
            "errors": {n: e.as_dict() for n, e in errors.items()}}


def _paused(gap_ms):
    """Sleep ``gap_ms`` first (sequential jobs with idle gaps); returns None."""
    if gap_ms:
        time.sleep(gap_ms / 1000)


class ClosedLoop:
    """``concurrency`` clients sending back to back over keep-alive."""

    def __init__(self, job):
        self.requests = [Request(spec) for spec in job["specs"]]
        self.job = job
        self.latencies = []
        self.errors = Errors()
        self.recording = False
        self.done = 0
        self.stop = Event()

    def client(self, index):
        conn = self.requests[0].connection()
        turn = index
        while not self.stop.is_set():
            request = self.requests[turn % len(self.requests)]
            turn += 1
            recording = self.recording     # a request belongs to the phase it began in
            latency = timed(conn, request, self.errors if recording else Errors())
            if recording:
                self.count(latency)
            if latency is None:
                gevent.sleep(0.01)      # back off: a refusing server is not a hot loop
        conn.close()

    def count(self, latency):
        if latency is not None:
            self.latencies.append(latency)
        self.done += 1
        every = self.job.get("progress_every")
        if every and self.done % every == 0:
            emit({"event": "progress", "done": self.done})
        if self.done >= self.job.get("total", float("inf")):
            self.stop.set()

    def run(self):
        waited = quiet.settle(self.job["settle"]) if self.job.get("settle") else 0.0
        clients = [gevent.spawn(self.client, i) for i in range(self.job["concurrency"])]
        gevent.sleep(self.job.get("warmup_s", 0))
        emit({"event": "phase", "phase": "measuring"})
        self.recording = True
        started = time.perf_counter()
        self.stop.wait(self.job.get("duration_s") or self.job["max_seconds"])
        self.stop.set()
        elapsed = time.perf_counter() - started
        emit({"event": "phase", "phase": "measured"})
        gevent.joinall(clients, timeout=self.job.get("drain_timeout_s", 30))
        gevent.killall(clients, timeout=5)
        return {"requests": self.done, "seconds": round(elapsed, 3),
                "rps": round(len(self.latencies) / elapsed, 1),
                "latency_ms": stats.summary(self.latencies), "unsettled": waited is None,
                "quiet_wait_s": None if waited is None else round(waited, 3),
                **self.errors.as_dict()}


def closed(job):
    return ClosedLoop(job).run()


def stream(job):
    request = Request(job["spec"])
    conn = request.connection()
    results = []
    for i in range(job["warmup"] + job["count"]):
        clock = TokenClock(request.expect, time.perf_counter())
        try:
            status = conn.exchange(request.raw, clock)
        except (OSError, EOFError, ValueError) as exc:
            status, clock.found = f"{type(exc).__name__}: {exc}", False
        if i >= job["warmup"]:
            marks = [clock.times[k] for k in sorted(clock.times)]
            results.append({"status": status, "complete": status == 200 and clock.found,
                            "tokens": len(marks), "ttft_ms": marks[0] if marks else None,
                            "gaps_ms": [b - a for a, b in zip(marks, marks[1:])]})
    return {"streams": results}


class Holder:
    """``count`` streams held open together (the capacity scenario)."""

    def __init__(self, job):
        self.job = job
        self.request = Request(job["spec"])
        self.opening = Semaphore(job.get("parallel_opens", 200))
        self.opened = 0
        self.completed = 0
        self.all_open = Event()
        self.errors = Errors()

    def one(self):
        conn = self.request.connection(self.job["finish_timeout_s"])
        sink = Expect(self.request.expect)
        first = Expect(b"tok000 ")
        self.opening.acquire()

        def on_body(data):
            sink(data)
            if not first.found:
                first(data)
                if first.found:
                    self.mark_open()

        try:
            status = conn.exchange(self.request.raw, on_body)
            if status == 200 and sink.found:
                self.completed += 1
            else:
                self.errors.add(f"status {status}, complete={sink.found}")
        except (OSError, EOFError, ValueError) as exc:
            self.errors.add(f"{type(exc).__name__}: {exc}")
        finally:
            if not first.found:
                self.opening.release()
            conn.close()

    def mark_open(self):
        self.opening.release()
        self.opened += 1
        if self.opened == self.job["count"]:
            self.all_open.set()

    def run(self):
        started = time.perf_counter()
        streams = [gevent.spawn(self.one) for _ in range(self.job["count"])]
        self.all_open.wait(self.job["open_timeout_s"])
        emit({"event": "open", "opened": self.opened,
              "seconds": round(time.perf_counter() - started, 3)})
        gevent.joinall(streams, timeout=self.job["finish_timeout_s"])
        gevent.killall(streams, timeout=5)
        return {"count": self.job["count"], "opened": self.opened,
                "completed": self.completed, **self.errors.as_dict()}


def hold(job):
    return Holder(job).run()


class EventCounter(Expect):
    """Counts the SSE events of one stream and the token markers in each
    event that carries ``delta`` (a dialect's closing events repeat the whole
    text: those are not token events)."""

    def __init__(self, expect, delta):
        super().__init__(expect)
        self.delta = delta
        self.pending = b""
        self.events = 0
        self.token_events = 0
        self.batched = 0           # events carrying more than one token
        self.tokens = []

    def seen(self, window):
        pass                        # Expect's window is not the event stream

    def __call__(self, data):
        super().__call__(data)
        parts = _EVENT_END.split(self.pending + data)
        self.pending = parts.pop()
        for event in parts:
            if not event.strip():
                continue
            self.events += 1
            marks = [int(m) for m in _TOKEN.findall(event)] if self.delta in event else []
            if marks:
                self.token_events += 1
                self.batched += len(marks) > 1
                self.tokens += marks

    def result(self, status, tokens, seconds):
        lost = tokens - len(set(self.tokens))
        in_order = self.tokens == list(range(tokens))
        return {"status": status, "complete": status == 200 and self.found,
                "events": self.events + bool(self.pending.strip()),
                "token_events": self.token_events, "tokens": len(self.tokens),
                "batched_events": self.batched, "lost": lost, "in_order": in_order,
                "seconds": seconds}


def _counted_stream(request, tokens, delta):
    conn = request.connection()
    counter = EventCounter(request.expect, delta)
    started = time.perf_counter()
    try:
        status = conn.exchange(request.raw, counter)
    except (OSError, EOFError, ValueError) as exc:
        status = f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()
    return counter.result(status, tokens, time.perf_counter() - started)


def events(job):
    """Rounds of concurrent streams, every SSE event counted."""
    request = Request(job["spec"])
    delta = job["delta"].encode()
    rounds = []
    for r in range(job["warmup"] + job["rounds"]):
        if r == job["warmup"]:
            emit({"event": "phase", "phase": "measuring"})
        started = time.perf_counter()
        greenlets = [gevent.spawn(_counted_stream, request, job["tokens"], delta)
                     for _ in range(job["concurrency"])]
        gevent.joinall(greenlets)
        seconds = time.perf_counter() - started
        if r >= job["warmup"]:
            rounds.append({"seconds": seconds, "streams": [g.value for g in greenlets]})
    emit({"event": "phase", "phase": "measured"})
    return {"rounds": rounds}


JOBS = {"sequential": sequential, "closed": closed, "stream": stream, "hold": hold,
        "events": events}


def main():
    raise_fd_limit()
    job = json.loads(sys.stdin.read())
    emit({"event": "result", **JOBS[job["kind"]](job)})


if __name__ == "__main__":
    main()
