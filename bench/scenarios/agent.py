"""6. Agent-sized requests and answers: sequential added latency when the
request is a coding agent's late in a session (system prompt, 25 tool
schemas, tens to hundreds of tool round trips: ``bench.agent_session``) of
~50 KB, ~250 KB and ~1 MB, and when the answer is ~100 KB of text.

Measured like the sequential scenario (interleaved rounds, pinned, the
upstream answering at once; see ``sequential``), per body size, for the
pass-through paths and three translated ones, each target's batch starting
on a quiet server core (``bench.quiet``).  Each target sends the
requests of one growing session in turn, not one body again and again
(``agent_session.SESSION_WINDOW`` of them, the last of the labelled size,
Claude's cache mark moving to the newest message; after the last, the first
again, as an agent's rewind or retry): a gateway that reuses work from a
session's previous request is measured on what agents send, not flattered
by identical bytes.  A direct call sends the upstream dialect's own session
of the same sizes, so *added* compares like with like.  Each row says how
many bytes its target was sent (the median body's length).
"""
import statistics

from bench import agent_session, wire
from bench.scenarios.sequential import row, with_added

CASES = (("claude", "claude"), ("openai", "openai"), ("responses", "responses"),
         ("claude", "openai"), ("openai", "claude"), ("responses", "claude"))
ANSWER_CASES = (("claude", "claude"), ("openai", "openai"), ("claude", "openai"),
                ("openai", "claude"))


def size_label(size):
    return f"{size // 1000} KB" if size < 1_000_000 else f"{size / 1_000_000:g} MB"


def run(ctx):
    s = ctx.scale
    ctx.set_mock()
    with ctx.pinned() as pinned:
        sizes = {size_label(size): {f"{c}->{u}": _case(ctx, c, u, size) for c, u in CASES}
                 for size in s.agent_sizes}
        ctx.set_mock(tokens=wire.tokens_for_text(s.answer_bytes))
        answers = {f"{c}->{u}": _case(ctx, c, u) for c, u in ANSWER_CASES}
    ctx.set_mock()
    return {"pinned": pinned, "sizes": sizes, "answer_bytes": s.answer_bytes,
            "answers": answers, "session_window": agent_session.SESSION_WINDOW}


def _case(ctx, client, upstream, size=None):
    s = ctx.scale
    specs = {t: ctx.spec(t, client, upstream, size=size)
             for t in ctx.targets_for(client, upstream)}
    job = {"kind": "sequential", "warmup": s.agent_warmup, "rounds": s.agent_rounds,
           "per_round": s.agent_per_round, "targets": specs,
           "settle": ctx.server_pids}
    requests = (s.agent_warmup + s.agent_rounds * s.agent_per_round) * len(specs)
    result = ctx.loadgen(job, timeout=60 + requests)
    rows = {t: dict(row(rounds, result["errors"][t]), request_bytes=_median_bytes(specs[t]),
                    unsettled=result["unsettled"][t])
            for t, rounds in result["rounds"].items()}
    return with_added(rows)


def _median_bytes(spec):
    """The length of the spec's median body (the lower one of an even count)."""
    return statistics.median_low(len(b) for b in spec.get("bodies") or [spec["body"]])
