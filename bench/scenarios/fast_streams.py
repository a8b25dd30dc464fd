"""7. Fast token streams: streams of ``fs_tokens`` token events that the
mock sends as fast as it can (the whole stream in one write), first one at a
time (``fs_single_rounds`` times), then ``fs_concurrency`` at once.

Per target: token events per second relayed (one at a time: tokens over the
median stream's time; concurrent: all tokens over the round's time), and
the server's CPU time per token event over the measured streams (``/proc``;
for ``direct`` that is the mock's own cost).  The load generator splits every
stream into its SSE events and reads the token markers of each (see
``bench.loadgen``'s ``events`` job): ``lost`` counts tokens that never
arrived, ``batched`` events that carried more than one token, and a stream
whose tokens came out of order fails ``in order``.  Not pinned: the
concurrent phase needs every core.  A peer whose single-stream rate says the
concurrent phase would outlast ``fs_peer_budget_s`` skips it (the row says
why): LiteLLM relays a few hundred to a few thousand events a second.
"""
from bench import stats, wire

PEERS = ("litellm", "portkey")

CASES = (("openai", "openai"), ("claude", "claude"), ("responses", "responses"),
         ("claude", "openai"), ("openai", "claude"), ("responses", "claude"))


def run(ctx):
    s = ctx.scale
    ctx.set_mock(tokens=s.fs_tokens)
    cases = {f"{c}->{u}": {t: _target(ctx, t, c, u) for t in ctx.targets_for(c, u)}
             for c, u in CASES}
    ctx.set_mock()
    return {"tokens": s.fs_tokens, "concurrency": s.fs_concurrency, "cases": cases}


def _target(ctx, target, client, upstream):
    s = ctx.scale
    single = _phase(ctx, target, client, upstream, 1, s.fs_single_rounds, warmup=1)
    events = s.fs_concurrency * s.fs_concurrent_rounds * s.fs_tokens
    expected_s = events / single["events_per_s"] if single["events_per_s"] else None
    if target in PEERS and expected_s and expected_s > s.fs_peer_budget_s:
        # A peer relaying a few hundred events a second would take minutes
        # per case; its single-stream row already gives its rate and CPU.
        concurrent = {"skipped": f"{events} events at its single-stream rate "
                                 f"({single['events_per_s']}/s) would take ~{expected_s:.0f} s"}
    else:       # the single phase warmed this path up
        concurrent = _phase(ctx, target, client, upstream, s.fs_concurrency,
                            s.fs_concurrent_rounds, warmup=0)
    return {"single": single, "concurrent": concurrent}


def _phase(ctx, target, client, upstream, concurrency, rounds, warmup):
    s = ctx.scale
    server = ctx.server(target)
    cpu = {}

    def on_event(event):
        if event["event"] == "phase":
            cpu[event["phase"]] = server.cpu_seconds()

    received = upstream if target == "direct" else client
    job = {"kind": "events", "spec": ctx.spec(target, client, upstream, stream=True),
           "delta": wire.DELTAS[received].decode(), "tokens": s.fs_tokens,
           "concurrency": concurrency, "warmup": warmup, "rounds": rounds}
    result = ctx.loadgen(job, timeout=120 + rounds * concurrency * s.fs_tokens / 500,
                         on_event=on_event)
    used = cpu["measured"] - cpu["measuring"] if {"measuring", "measured"} <= set(cpu) else None
    return summarize(result["rounds"], s.fs_tokens, used)


def summarize(rounds, tokens, cpu_seconds):
    """Rate, CPU per token event and the no-loss / no-batching checks."""
    streams = [x for r in rounds for x in r["streams"]]
    complete = [x for x in streams if x["complete"]]
    relayed = sum(x["tokens"] for x in streams)
    if len(rounds) and all(len(r["streams"]) == 1 for r in rounds):
        seconds = stats.median([r["seconds"] for r in rounds])
        rate = tokens / seconds if seconds else None
    else:
        seconds = sum(r["seconds"] for r in rounds)
        rate = relayed / seconds if seconds else None
    failures = sorted({str(x["status"]) for x in streams if not x["complete"]})[:5]
    return {"streams": len(streams), "complete": len(complete),
            "events_per_s": None if rate is None else round(rate),
            "seconds": round(seconds, 4),
            "cpu_us_per_event": (round(cpu_seconds / relayed * 1e6, 2)
                                 if cpu_seconds is not None and relayed else None),
            "token_events": sum(x["token_events"] for x in streams),
            "expected_token_events": tokens * len(streams),
            "lost": sum(x["lost"] for x in streams),
            "batched": sum(x["batched_events"] for x in streams),
            "out_of_order": sum(1 for x in streams if not x["in_order"]),
            "events": sum(x["events"] for x in streams),
            "failures": failures}
