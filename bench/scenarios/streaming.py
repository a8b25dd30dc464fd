"""3. Streaming: time to first token added, and whether the proxy keeps the
upstream's pacing (no batching of chunks).

The mock sends ``st_tokens`` tokens ``st_chunk_delay_ms`` apart; the load
generator stamps each token's arrival, one stream at a time.  A gap under
half the upstream delay means two tokens arrived together: ``batched`` is
the share of such gaps (0 when pacing is preserved).  The direct baseline of
a translated case is the upstream dialect's own stream.
"""
from bench import stats

CASES = (("openai", "openai"), ("claude", "claude"), ("claude", "openai"))


def run(ctx):
    s = ctx.scale
    ctx.set_mock(tokens=s.st_tokens, chunk_delay_ms=s.st_chunk_delay_ms)
    cases = {f"{c}->{u}": _case(ctx, c, u) for c, u in CASES}
    return {"tokens": s.st_tokens, "chunk_delay_ms": s.st_chunk_delay_ms, "cases": cases}


def _case(ctx, client, upstream):
    s = ctx.scale
    rows = {}
    for target in ctx.targets:
        job = {"kind": "stream", "spec": ctx.spec(target, client, upstream, stream=True),
               "warmup": s.st_warmup, "count": s.st_streams}
        per_stream = (s.st_tokens * s.st_chunk_delay_ms / 1000) + 1
        result = ctx.loadgen(job, timeout=60 + (s.st_warmup + s.st_streams) * per_stream)
        rows[target] = summarize(result["streams"], s.st_chunk_delay_ms, s.st_tokens)
    base = rows["direct"]["ttft_ms"]
    for target, row in rows.items():
        if target != "direct" and row["ttft_ms"]["p50"] is not None and base["p50"] is not None:
            row["ttft_added_ms"] = {k: round(row["ttft_ms"][k] - base[k], 3)
                                    for k in ("p50", "p99")}
    return rows


def summarize(streams, delay_ms, tokens):
    """Completion, first-token time and inter-token gaps over the streams."""
    complete = [s for s in streams if s["complete"] and s["tokens"] == tokens]
    gaps = [g for s in complete for g in s["gaps_ms"]]
    batched = sum(1 for g in gaps if g < delay_ms / 2)
    failures = [str(s["status"]) for s in streams if s not in complete]
    return {"streams": len(streams), "complete": len(complete),
            "failures": sorted(set(failures))[:5],
            "ttft_ms": stats.summary([s["ttft_ms"] for s in complete]),
            "gap_ms": {"p1": _round(stats.percentile(gaps, 1)),
                       "p50": _round(stats.percentile(gaps, 50)),
                       "p99": _round(stats.percentile(gaps, 99))},
            "batched": round(batched / len(gaps), 4) if gaps else None}


def _round(value):
    return None if value is None else round(value, 3)
