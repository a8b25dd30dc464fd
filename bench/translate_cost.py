"""CPU cost of one translated request's body work, in process.

``.venv/bin/python -m bench.translate_cost [--sizes 250000,1000000] [--runs 7]
[--profile CASE]`` times, per translated case of the agent scenario
(``bench.agent_session`` bodies), the steps a worker runs on a translated
request's body -- parse (orjson), deep validation (``proxy.validation``),
``translators.translate_request``, serialise (orjson) -- and, for the
~100 KB whole answer, parse, usage, ``translate_response`` and serialise.  ``path`` is all of them in one go, on a body parsed afresh
each time, as a worker parses it (the steps say where it goes).
``roundtrip`` is the least any translation does (parse and serialise the
body, nothing between), ``short`` the same for the body with every string
longer than ``LONG`` characters cut to a few: their difference is what the
long strings (tool output, file text) cost in being read into Python
strings and escaped again, the share a translator that passed them through
as raw JSON would save.

Every run of ``path`` sends the same body: what the gateway remembers
from one request for the next (the body itself, parsed again only where it
differs, ``proxy.wire.json_resume``; the tool list's translation,
``translators.tool_memo``; the turns found valid,
``proxy.validation.seen_turns``; the rounds rendered,
``translators.turn_memo``) is all reused, so ``validate`` and ``path`` are
the ceiling of that reuse.  In a real session each request brings a round
trip more (two new turns to parse, walk and translate): ``next`` is that
request's path, after the session's request before it (the same
conversation one round trip shorter) filled the memos.  ``next`` is the
number to compare.

Each step is timed with ``time.process_time`` over a loop of iterations; a
case reports the minimum per-request µs of ``--runs`` runs, so a busy
neighbour on a shared machine inflates a run, not the result.  No sockets,
no gunicorn: the number is the translation work the bench's *added* latency
carries on top of a same-dialect request.  ``--profile claude->openai@250000``
prints a cProfile of that case's request path instead (``@answer`` for the
answer direction).
"""
import argparse
import cProfile
import pstats
import time

import orjson

import translators
from bench import agent_session, wire
from proxy import validation
from proxy.http.front import parse_body
from proxy.validation import seen_turns
from proxy.wire import json_resume
from translators import turn_memo

REQUEST_CASES = (("claude", "openai"), ("openai", "claude"), ("responses", "claude"))
ANSWER_CASES = (("claude", "openai"), ("openai", "claude"))
ANSWER_BYTES = 100_000


def request_steps(client, upstream, size):
    """The request path's steps over the case's body, ``([(name, thunk)], path)``."""
    raw = agent_session.body(client, f"bench-{upstream}", size).encode()
    body = orjson.loads(raw)

    def translate():
        return translators.translate_request(client, upstream, body,
                                             model=f"bench-{upstream}", stream=False)
    translated = translate()

    def path(data=raw):
        fresh = json_resume.parsed(data, parse_body, turns=seen_turns.TURNS[client])
        validation.check_deep(client, fresh)
        return turn_memo.dumps(translators.translate_request(
            client, upstream, fresh, model=f"bench-{upstream}", stream=False))
    before = agent_session.previous(client, f"bench-{upstream}", size).encode()

    def session_before():
        turn_memo.forget()
        seen_turns.forget()
        json_resume.forget()
        path(before)

    def session_next():
        session_before()
        path()
    short = orjson.dumps(_cut(body))
    return [("parse", lambda: orjson.loads(raw)),
            ("validate", lambda: validation.check_deep(client, body)),
            ("translate", translate),
            ("serialise", lambda: turn_memo.dumps(translated)),
            ("roundtrip", lambda: orjson.dumps(orjson.loads(raw))),
            ("short", lambda: orjson.dumps(orjson.loads(short))),
            (_BEFORE, session_before), (_NEXT, session_next)], path


# The path of a session's next request (its memos filled by the request
# before, one round trip shorter), timed as both requests less the first.
_BEFORE, _NEXT = "before", "next"


LONG = 64


def _cut(value):
    """``value`` with every string longer than ``LONG`` characters cut to 8."""
    if type(value) is dict:
        return {key: _cut(item) for key, item in value.items()}
    if type(value) is list:
        return [_cut(item) for item in value]
    if type(value) is str and len(value) > LONG:
        return value[:8]
    return value


def answer_steps(client, upstream):
    """The whole answer's steps, ``([(name, thunk)], path)``: the upstream's
    ~100 KB answer back to the client."""
    raw = wire.whole(upstream, f"bench-{upstream}", wire.tokens_for_text(ANSWER_BYTES))
    request = orjson.loads(agent_session.body(client, f"bench-{upstream}", 1000))
    data = orjson.loads(raw)
    module = translators.dialect(upstream)

    def translate():
        return translators.translate_response(upstream, client, data,
                                              model=f"bench-{upstream}", request=request)
    translated = translate()

    def path():
        fresh = orjson.loads(raw)
        module.parse_usage(fresh)
        return orjson.dumps(translators.translate_response(
            upstream, client, fresh, model=f"bench-{upstream}", request=request))
    return [("parse", lambda: orjson.loads(raw)),
            ("usage", lambda: module.parse_usage(data)),
            ("translate", translate),
            ("serialise", lambda: orjson.dumps(translated))], path


def _iterations(steps, budget=0.2):
    """Enough iterations for one run of ``steps`` to take about ``budget`` s."""
    start = time.process_time()
    for _, thunk in steps:
        thunk()
    once = max(time.process_time() - start, 1e-6)
    return max(3, int(budget / once))


def measure(case, runs):
    """{step: min µs per call over ``runs`` runs}, then ``path``: the whole
    path in one go on a freshly parsed body each time (what a worker does:
    the steps alone reuse one parsed body, which stays in the CPU caches)."""
    steps, path = case
    steps = steps + [("path", path)]
    n = _iterations(steps)
    best = {}
    for _ in range(runs):
        for name, thunk in steps:
            start = time.process_time()
            for _ in range(n):
                thunk()
            us = (time.process_time() - start) / n * 1e6
            best[name] = min(best.get(name, us), us)
    if _NEXT in best:
        best[_NEXT] -= best.pop(_BEFORE)
    return best


def _line(label, result):
    cells = "  ".join(f"{name} {us:8.0f}" for name, us in result.items())
    print(f"{label:<28} {cells}", flush=True)


def profile(case, runs):
    pair, _, size = case.partition("@")
    client, upstream = pair.split("->")
    _, path = answer_steps(client, upstream) if size == "answer" \
        else request_steps(client, upstream, int(size))
    n = _iterations([("path", path)]) * runs
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        path()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="250000,1000000")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", metavar="CASE")
    args = parser.parse_args(argv)
    if args.profile:
        return profile(args.profile, args.runs)
    print("µs per request, min of", args.runs, "runs (process CPU time)")
    for size in (int(s) for s in args.sizes.split(",")):
        for client, upstream in REQUEST_CASES:
            _line(f"{size // 1000} KB {client}->{upstream}",
                  measure(request_steps(client, upstream, size), args.runs))
    for client, upstream in ANSWER_CASES:
        _line(f"100 KB answer {upstream}->{client}",
              measure(answer_steps(client, upstream), args.runs))


if __name__ == "__main__":
    main()
