"""1. Sequential added latency: one request at a time, no upstream delay,
so every millisecond above ``direct`` is the proxy's own cost.

Pinned (``bench.placement``): the load generator on one core, every server
on another, so each target is measured in the same arrangement.
``after_idle`` repeats openai->openai with ``IDLE_GAP_MS`` of idleness
before each request (see the streaming scenario's paced first token);
``unpinned`` repeats it with the scheduler placing every process, for
information: that is the number the placement changes.

Targets are interleaved round by round (``bench.loadgen`` rotates their
order), so a slow moment of the machine hits them all alike; before each
target's batch the servers' core must be quiet (``bench.quiet``), so a
peer's work after its answers is not timed as the next target's latency
(*unsettled* counts the batches that started without).  Reported per
target: median of the round medians, p50 and p99 over all samples, and each
minus the direct call's.
"""
from bench import stats

# (client dialect, upstream dialect): the four pass-through paths, then one
# translated path.
CASES = (("openai", "openai"), ("responses", "responses"), ("claude", "claude"),
         ("gemini", "gemini"), ("claude", "openai"))
_METRICS = ("median_of_medians", "p50", "p99")
# The same openai->openai requests once more with this much idleness before
# each: what the machine does to a proxy's latency when its cores idle
# (as they do between the tokens of a paced stream).
IDLE_GAP_MS = 20


def run(ctx):
    ctx.set_mock()
    with ctx.pinned() as pinned:
        cases = {f"{client}->{upstream}": _case(ctx, client, upstream)
                 for client, upstream in CASES}
        after_idle = _case(ctx, "openai", "openai", gap_ms=IDLE_GAP_MS)
    return {"pinned": pinned, "cases": cases, "after_idle": after_idle,
            "unpinned": _case(ctx, "openai", "openai") if pinned else None}


def _case(ctx, client, upstream, gap_ms=0):
    s = ctx.scale
    job = {"kind": "sequential", "warmup": s.seq_warmup, "rounds": s.seq_rounds,
           "per_round": s.seq_per_round, "gap_ms": gap_ms, "settle": ctx.server_pids,
           "targets": {t: ctx.spec(t, client, upstream) for t in ctx.targets_for(client, upstream)}}
    requests = (s.seq_warmup + s.seq_rounds * s.seq_per_round) * len(job["targets"])
    result = ctx.loadgen(job, timeout=60 + requests * (0.5 + gap_ms / 1000))
    rows = {t: dict(row(rounds, result["errors"][t]), unsettled=result["unsettled"][t])
            for t, rounds in result["rounds"].items()}
    return with_added(rows)


def row(rounds, errors):
    samples = [x for r in rounds for x in r]
    if not samples:
        return {"median_of_medians": None, "p50": None, "p99": None, "n": 0, **errors}
    summary = stats.summary(samples)
    return {"median_of_medians": round(stats.median_of_medians(rounds), 3),
            "p50": summary["p50"], "p99": summary["p99"], "n": summary["n"], **errors}


def with_added(rows):
    """Each proxy row gains ``added``: its metrics minus the direct call's."""
    base = rows["direct"]
    for target, values in rows.items():
        if target != "direct" and values["p50"] is not None and base["p50"] is not None:
            values["added"] = {m: round(values[m] - base[m], 3) for m in _METRICS}
    return rows
