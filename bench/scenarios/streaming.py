"""3. Streaming: time to first token added, and whether the proxy keeps the
upstream's pacing (no batching of chunks).

Two phases per case, one stream at a time:

- *first token*: ``st_ttft_streams`` streams back to back, the mock sending
  each at once.  *added* = minus direct: the proxy's own cost before the
  first token, measured like the sequential scenario (the target).
- *paced*: the mock sends ``st_tokens`` tokens ``st_chunk_delay_ms`` apart;
  the load generator stamps each token's arrival.  A gap under half the
  upstream delay means two tokens arrived together: ``batched`` is the
  share of such gaps (0 when pacing is preserved).  Its first-token times
  are reported too: every process idles between tokens, and on a virtual
  machine a core that idled runs the next burst of work markedly slower
  (see RESULTS.md), which adds to each hop the proxy puts in the path.

The direct baseline of a translated case is the upstream dialect's own stream.
"""
from bench import stats

CASES = (("openai", "openai"), ("claude", "claude"), ("claude", "openai"))


def run(ctx):
    s = ctx.scale
    with ctx.pinned() as pinned:       # as the sequential scenario, bench.placement
        ctx.set_mock(tokens=s.st_tokens, chunk_delay_ms=0)
        first = {f"{c}->{u}": _first_token(ctx, c, u) for c, u in CASES}
        ctx.set_mock(tokens=s.st_tokens, chunk_delay_ms=s.st_chunk_delay_ms)
        cases = {f"{c}->{u}": _paced(ctx, c, u) for c, u in CASES}
    for name, rows in cases.items():
        for target, row in rows.items():
            row.update(first[name][target])
    return {"pinned": pinned, "tokens": s.st_tokens, "chunk_delay_ms": s.st_chunk_delay_ms,
            "ttft_streams": s.st_ttft_streams, "cases": cases}


def _first_token(ctx, client, upstream):
    """``{target: {"ttft_ms", "ttft_added_ms"}}`` from back-to-back streams."""
    s = ctx.scale
    rows = {}
    for target, streams in _streams(ctx, client, upstream, s.st_ttft_warmup,
                                    s.st_ttft_streams, per_stream_s=0.5):
        done = [x["ttft_ms"] for x in streams if x["complete"]]
        rows[target] = {"ttft_ms": stats.summary(done), "ttft_incomplete": len(streams) - len(done)}
    return _with_added(rows, "ttft_ms", "ttft_added_ms")


def _paced(ctx, client, upstream):
    s = ctx.scale
    rows = {}
    per_stream = (s.st_tokens * s.st_chunk_delay_ms / 1000) + 1
    for target, streams in _streams(ctx, client, upstream, s.st_warmup, s.st_streams,
                                    per_stream_s=per_stream):
        rows[target] = summarize(streams, s.st_chunk_delay_ms, s.st_tokens)
        rows[target]["paced_ttft_ms"] = rows[target].pop("ttft_ms")
    return _with_added(rows, "paced_ttft_ms", "paced_ttft_added_ms")


def _streams(ctx, client, upstream, warmup, count, *, per_stream_s):
    """``(target, per-stream results)`` for each target, one stream at a time."""
    for target in ctx.targets_for(client, upstream):
        job = {"kind": "stream", "spec": ctx.spec(target, client, upstream, stream=True),
               "warmup": warmup, "count": count}
        result = ctx.loadgen(job, timeout=60 + (warmup + count) * per_stream_s)
        yield target, result["streams"]


def _with_added(rows, key, added_key):
    base = rows["direct"][key]
    for target, row in rows.items():
        if target != "direct" and row[key]["p50"] is not None and base["p50"] is not None:
            row[added_key] = {k: round(row[key][k] - base[k], 3) for k in ("p50", "p99")}
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
