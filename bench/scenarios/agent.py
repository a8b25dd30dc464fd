"""6. Agent-sized requests and answers: sequential added latency when the
request is a coding agent's late in a session (system prompt, 25 tool
schemas, tens to hundreds of tool round trips: ``bench.agent_session``) of
~50 KB, ~250 KB and ~1 MB, and when the answer is ~100 KB of text.

Measured like the sequential scenario (interleaved rounds, pinned, the
upstream answering at once; see ``sequential``), per body size, for the
pass-through paths and three translated ones.  A direct call sends the
upstream dialect's own body of the same size, so *added* compares like with
like.  Each row says how many bytes its target was sent.
"""
from bench import wire
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
            "answers": answers}


def _case(ctx, client, upstream, size=None):
    s = ctx.scale
    specs = {t: ctx.spec(t, client, upstream, size=size)
             for t in ctx.targets_for(client, upstream)}
    job = {"kind": "sequential", "warmup": s.agent_warmup, "rounds": s.agent_rounds,
           "per_round": s.agent_per_round, "targets": specs}
    requests = (s.agent_warmup + s.agent_rounds * s.agent_per_round) * len(specs)
    result = ctx.loadgen(job, timeout=60 + requests)
    rows = {t: dict(row(rounds, result["errors"][t]), request_bytes=len(specs[t]["body"]))
            for t, rounds in result["rounds"].items()}
    return with_added(rows)
