"""2. Throughput at fixed concurrency: ``clients`` closed-loop clients, each
on its own keep-alive connection, against an upstream that takes
``tp_latency_ms`` to answer.  Reports requests per second, latency p50/p99,
errors, and the server's CPU time per request over the measured window.

First the mock's own ceiling (no latency, 50 clients, direct): the rate the
load generator and mock sustain together, to show neither is the bottleneck.

Each target's run starts once every server is quiet (``bench.quiet``): a
peer still working off its backlog (LiteLLM's callbacks run after its
answers) would otherwise share the cores with the next target, and that
target's CPU per request would carry the contention.

That CPU also moves with the host the machine runs on, from run to run of
the same code; so, with ``tp_instructions`` (a full run), the worker's
instructions per small request at the most clients are counted too
(``bench.worker_instructions``: a fresh Switchyard worker under callgrind),
where valgrind is installed.
"""
from bench import worker_instructions


def run(ctx):
    s = ctx.scale
    ctx.set_mock()
    ceiling = _measure(ctx, "direct", 50)
    ctx.set_mock(latency_ms=s.tp_latency_ms)
    levels = {str(c): {t: _measure(ctx, t, c) for t in ctx.targets} for c in s.tp_clients}
    result = {"upstream_latency_ms": s.tp_latency_ms, "mock_ceiling": ceiling, "levels": levels}
    if s.tp_instructions:
        result["instructions"] = _instructions(ctx)
    return result


def _instructions(ctx):
    """The worker's instructions per small request (openai->openai) at the
    most clients, the mock answering at once (what callgrind's slowdown
    would otherwise stretch is the upstream's wait, not the worker's work)."""
    s = ctx.scale
    clients = max(s.tp_clients)
    if not worker_instructions.available():
        return {"clients": clients, "skipped": "valgrind is not installed"}
    ctx.set_mock()
    counted = worker_instructions.per_request("openai", s.tp_instructions, clients,
                                              ctx.mock.port)
    return {"clients": clients, "requests": list(s.tp_instructions), **counted}


def _measure(ctx, target, clients):
    s = ctx.scale
    server = ctx.server(target)
    cpu = {}

    def on_event(event):
        if event["event"] == "phase":
            cpu[event["phase"]] = server.cpu_seconds()

    job = {"kind": "closed", "specs": [ctx.spec(target, "openai")], "concurrency": clients,
           "warmup_s": s.tp_warmup_s, "duration_s": s.tp_duration_s,
           "settle": ctx.server_pids}
    result = ctx.loadgen(job, timeout=60 + 3 * (s.tp_warmup_s + s.tp_duration_s),
                         on_event=on_event)
    if result["requests"] and {"measuring", "measured"} <= set(cpu):
        used = cpu["measured"] - cpu["measuring"]
        result["cpu_us_per_request"] = round(used / result["requests"] * 1e6, 1)
    result["rss_kib"] = server.rss_kib()
    return result
