"""4. Concurrency capacity: N slow streams held open at once on one worker.

The mock sends each stream's first token and then holds it.  Once every
stream has its first token (the load generator says ``open``), the worker's
RSS is sampled and the mock releases them all; every stream must then
finish.  Memory per stream = (RSS with all open - RSS before) / N, on a
freshly started, warmed-up worker.

Each proxied stream costs the worker two sockets (client and upstream), so
N is capped by the open-file hard limit (``bench.limits``); a capped level
says so in its ``note``.
"""
from bench.limits import max_proxied_streams
from bench.procs import rss_kib
from bench.servers import mock_stats, release_mock

_WARMUP_STREAMS = 20


def run(ctx):
    if "switchyard" not in ctx.proxies:
        return {"skipped": "Switchyard is not running"}
    limit = max_proxied_streams()
    levels = [_level(ctx, asked, min(asked, limit)) for asked in ctx.scale.cap_levels]
    ctx.set_mock()
    return {"fd_limit_streams": limit, "levels": levels}


def _warm(ctx):
    ctx.set_mock(tokens=4)
    job = {"kind": "stream", "spec": ctx.spec("switchyard", "openai", stream=True),
           "warmup": 0, "count": _WARMUP_STREAMS}
    ctx.loadgen(job, timeout=60)


def _worker_rss(server):
    return sum(rss_kib(pid) for pid in server.worker_pids())


def _level(ctx, asked, count):
    server = ctx.restart("switchyard")
    _warm(ctx)
    ctx.set_mock(tokens=4, hold=True)
    sample = {"rss_before_kib": _worker_rss(server)}

    def on_open(event):
        sample["rss_open_kib"] = _worker_rss(server)
        sample["mock_streams_open"] = mock_stats(ctx.mock)["streams_open"]
        release_mock(ctx.mock)

    open_timeout = 30 + count / 100
    job = {"kind": "hold", "spec": ctx.spec("switchyard", "openai", stream=True),
           "count": count, "parallel_opens": 200, "open_timeout_s": open_timeout,
           "finish_timeout_s": open_timeout + 60}
    try:
        result = ctx.loadgen(job, timeout=2 * open_timeout + 120, on_event=on_open)
    finally:
        release_mock(ctx.mock)
    result.update(sample, asked=asked, rss_after_kib=_worker_rss(server))
    if count < asked:
        result["note"] = f"capped at {count}: two sockets per stream under the fd hard limit"
    if result["opened"] and "rss_open_kib" in sample:
        grown = sample["rss_open_kib"] - sample["rss_before_kib"]
        result["kib_per_stream"] = round(grown / result["opened"], 1)
    return result
