"""``RESULTS.md`` from a run's results dict: the targets we are judged on
first, then one table per scenario, then machine and versions."""
from bench.targets import TARGETS

SOAK_FLAT_KIB = 8 * 1024   # growth tolerated after warm-up before "flat" fails


def fmt(value, digits=2, unit=""):
    if value is None:
        return "—"
    if isinstance(value, float):
        value = f"{value:.{digits}f}"
    return f"{value}{unit}"


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |"
              for row in rows]
    return "\n".join(lines)


def _get(tree, *path):
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree


# --- the targets ---------------------------------------------------------------

def checks(results):
    """``(goal, measured, passed)`` rows; passed is None when not measured."""
    s = results["scenarios"]
    seq = _get(s, "sequential", "cases", "openai->openai", "switchyard", "added")
    rows = [("sequential added p50 ≤ 0.4 ms (pinned)", *_le(_get(seq, "p50"), 0.4, "ms")),
            ("sequential added p99 ≤ 2 ms", *_le(_get(seq, "p99"), 2.0, "ms"))]
    for clients, level in (_get(s, "throughput", "levels") or {}).items():
        rows.append((f"throughput ≥ 2× LiteLLM, 0 errors ({clients} clients)",
                     *_throughput_check(level)))
    cpu = _get(s, "throughput", "levels", "200", "switchyard", "cpu_us_per_request")
    rows.append(("worker CPU per small request at 200 clients ≤ 300 µs",
                 *_le(cpu, 300, "µs")))
    counted = _get(s, "throughput", "instructions", "instructions_per_request")
    if counted is not None:
        rows.append(("(for information) worker instructions per small request at "
                     f"{s['throughput']['instructions']['clients']} clients (callgrind)",
                     f"{counted:,}", None))
    stream = _get(s, "streaming", "cases", "openai->openai", "switchyard")
    rows.append(("streaming first token added ≤ 1 ms",
                 *_le(_get(stream, "ttft_added_ms", "p50"), 1.0, "ms")))
    paced = _get(stream, "paced_ttft_added_ms", "p50")
    rows.append(("(for information) first token added in paced streams",
                 fmt(paced, 3, " ms"), None))
    batched = _get(stream, "batched")
    rows.append(("chunk timing preserved (no batched gaps)",
                 fmt(batched), None if batched is None else batched == 0))
    rows.append(("10,000 streams on one worker < 1 GiB, all complete", *_capacity_check(s)))
    growth = _get(s, "soak", "rss_growth_kib")
    rows.append((f"flat RSS over the soak (growth ≤ {SOAK_FLAT_KIB // 1024} MiB)",
                 fmt(None if growth is None else growth / 1024, 1, " MiB"),
                 None if growth is None else growth <= SOAK_FLAT_KIB))
    rows += agent_checks(s.get("agent")) + fast_stream_checks(s.get("fast_streams"))
    behind = rows_behind_a_peer(s)
    rows.append(("every row ahead of both peers (latency p50, rps, events/s)",
                 "; ".join(behind[:6]) + (" …" if len(behind) > 6 else "") if behind
                 else "ahead everywhere measured", not behind if _peers_ran(s) else None))
    return rows


def _peers_ran(s):
    found = []
    for data in s.values():
        _walk_targets(data, lambda targets, where: found.extend(p for p in PEERS if p in targets))
    return bool(found)


def _walk_targets(data, visit, where=()):
    """Calls ``visit(targets, keys leading there)`` on every ``{target: row}``
    dict under ``data``."""
    if not isinstance(data, dict):
        return
    if "switchyard" in data and "direct" in data:
        visit(data, where)
        return
    for key, value in data.items():
        _walk_targets(value, visit, where + (str(key),))


# scenario -> (what to compare per row, higher is better?)
_AHEAD_METRICS = {
    "sequential": (lambda row: _get(row, "p50"), False),
    "throughput": (lambda row: _get(row, "rps"), True),
    "streaming": (lambda row: _get(row, "ttft_ms", "p50"), False),
    "agent": (lambda row: _get(row, "p50"), False),
    "fast_streams": (lambda row: _get(row, "concurrent", "events_per_s")
                     or _get(row, "single", "events_per_s"), True),
}


def rows_behind_a_peer(s):
    """``"<scenario> <where>: <peer>"`` for each row a peer beats Switchyard on."""
    behind = []
    for name, (metric, higher) in _AHEAD_METRICS.items():
        def visit(targets, where, name=name, metric=metric, higher=higher):
            ours = metric(targets.get("switchyard"))
            for peer in PEERS:
                theirs = metric(targets.get(peer))
                if ours is None or theirs is None:
                    continue
                if (ours < theirs) if higher else (ours > theirs):
                    place = " ".join(w for w in where if w not in ("cases", "levels", "sizes"))
                    behind.append(f"{name} {place}: {PEERS[peer]} {theirs} vs {ours}")
        _walk_targets(s.get(name), visit)
    return behind


# Agent-sized and fast-stream goals: (goal, request size, translated?, limit).
AGENT_GOALS = (("agent-sized same-dialect added p50 ≤ 0.6 ms at 250 KB", "250 KB", False, 0.6),
               ("agent-sized same-dialect added p50 ≤ 1.5 ms at 1 MB", "1 MB", False, 1.5),
               ("agent-sized translated added p50 ≤ 1.5 ms at 250 KB", "250 KB", True, 1.5))
STREAM_GOALS = (("fast streams: worker CPU per relayed event ≤ 15 µs same-dialect", False, 15),
                ("fast streams: worker CPU per relayed event ≤ 40 µs translated", True, 40))


def _translated(case):
    client, _, upstream = case.partition("->")
    return client != upstream


def _worst(rows):
    """``(value, case)`` of the largest measured value, or None."""
    measured = [(v, case) for case, v in rows if v is not None]
    return max(measured) if measured else None


def _worst_check(goal, rows, limit, unit, complete):
    worst = _worst(rows)
    if worst is None:
        return goal, "—", None
    value, case = worst
    digits = 3 if unit == "ms" else 1
    return (goal, f"{value:.{digits}f} {unit} (worst: {case})", value <= limit and complete)


def agent_checks(data):
    """Each goal over the worst case of its kind (pass-through or translated)."""
    if not data or "sizes" not in data:
        return []
    out = []
    for goal, size, translated, limit in AGENT_GOALS:
        cases = {c: t for c, t in (data["sizes"].get(size) or {}).items()
                 if _translated(c) == translated}
        rows = [(c, _added_p50(t.get("switchyard"))) for c, t in cases.items()]
        errors = sum(_get(t, "switchyard", "errors") or 0 for t in cases.values())
        out.append(_worst_check(goal, rows, limit, "ms", errors == 0))
    return out


def fast_stream_checks(data):
    """CPU per event of the concurrent phase (the most events), worst case;
    a lost or batched event fails the goal whatever the CPU."""
    if not data or "cases" not in data:
        return []
    out = []
    for goal, translated, limit in STREAM_GOALS:
        cases = {c: t for c, t in data["cases"].items() if _translated(c) == translated}
        rows = [(c, _get(t, "switchyard", "concurrent", "cpu_us_per_event"))
                for c, t in cases.items()]
        phases = [p for t in cases.values() for p in (t.get("switchyard") or {}).values()]
        clean = all(p["lost"] == 0 and p["batched"] == 0 and p["out_of_order"] == 0
                    and p["complete"] == p["streams"] for p in phases)
        out.append(_worst_check(goal, rows, limit, "µs", clean))
    out.append(("(for information) fast streams: events lost / batched / out of order",
                _stream_integrity(data), None))
    return out


def _stream_integrity(data):
    phases = [p for targets in data["cases"].values()
              for p in (targets.get("switchyard") or {}).values()]
    return " / ".join(str(sum(p[k] for p in phases)) for k in ("lost", "batched", "out_of_order"))


def _le(value, limit, unit):
    return fmt(value, 3, " " + unit), None if value is None else value <= limit


def _throughput_check(level):
    ours, theirs = _get(level, "switchyard", "rps"), _get(level, "litellm", "rps")
    errors = _get(level, "switchyard", "errors")
    r = ratio(ours, theirs)
    if r is None:
        return fmt(ours, 0, " rps"), None
    return f"{r}× ({ours:.0f} vs {theirs:.0f} rps, {errors} errors)", r >= 2 and errors == 0


def _capacity_check(s):
    levels = _get(s, "capacity", "levels") or []
    if not levels:
        return "—", None
    top = max(levels, key=lambda level: level["count"])
    rss = top.get("rss_open_kib")
    measured = (f"{top['count']} streams: {fmt(None if rss is None else rss / 1024, 0, ' MiB')}, "
                f"{top['completed']}/{top['count']} completed")
    held = rss is not None and rss < 1024 * 1024 and top["completed"] == top["count"]
    if top["count"] < 10000:       # a smaller level can fail the goal, never meet it
        return measured + " (10,000 not run)", None if held else False
    return measured, held


# --- scenario tables -------------------------------------------------------------

def _targets_in(rows):
    return [t for t in TARGETS if t in rows]


def sequential_section(data):
    out = ["## 1. Sequential added latency",
           "One request at a time, upstream answers instantly; ms. *added* = minus direct. "
           + _placement(data.get("pinned"))
           + _settled(data["cases"].values(), _BATCHES_SETTLED)]
    header = ["case", "target", "median of round medians", "p50", "p99", "added p50",
              "added p99", "÷ direct (p50)", "÷ LiteLLM (p50)", "÷ Portkey (p50)", "errors"]
    cases = dict(data["cases"])
    if data.get("after_idle"):
        cases["openai->openai, 20 ms idle before each"] = data["after_idle"]
    if data.get("unpinned"):
        cases["openai->openai, not pinned (for information)"] = data["unpinned"]
    rows = []
    for case, targets in cases.items():
        direct, litellm = _get(targets, "direct", "p50"), _get(targets, "litellm", "p50")
        portkey = _get(targets, "portkey", "p50")
        for t in _targets_in(targets):
            v = targets[t]
            rows.append([case, t, v["median_of_medians"], v["p50"], v["p99"],
                         _get(v, "added", "p50"), _get(v, "added", "p99"),
                         ratio(v["p50"], direct), ratio(v["p50"], litellm),
                         ratio(v["p50"], portkey), v["errors"]])
    return out + [table(header, rows)]


def _placement(pinned):
    if pinned:
        return ("Pinned: load generator on one core, every server on another "
                "(bench/placement.py).")
    return "Not pinned (one core, or an older run): the scheduler placed every process."


_BATCHES_SETTLED = "Each target's batch of a round starts once the servers' core is quiet"


def _settled(groups, started):
    """What the report says of ``bench.quiet``: ``started``, what waits for
    quiet servers, and how many of the rows' batches or runs (``unsettled``
    per group, per target: a count or a flag) started without; nothing for
    older runs, which did not wait."""
    counts = [row["unsettled"] for targets in groups for row in targets.values()
              if "unsettled" in row]
    if not counts:
        return ""
    return f" {started} (bench/quiet.py); {sum(counts)} started without (busy after 2 s)."


def throughput_section(data):
    ceiling = data["mock_ceiling"]
    out = ["## 2. Throughput at fixed concurrency",
           f"Upstream latency {data['upstream_latency_ms']} ms; closed loop, keep-alive. "
           f"Mock + load generator ceiling (no latency, 50 clients, direct): "
           f"**{ceiling['rps']:.0f} rps**, {ceiling['errors']} errors."
           + _settled(data["levels"].values(), "Each run starts once every server is quiet")]
    header = ["clients", "target", "rps", "p50 ms", "p99 ms", "errors", "CPU µs/req",
              "RSS MiB", "÷ direct (rps)", "÷ LiteLLM (rps)", "÷ Portkey (rps)"]
    rows = []
    for clients, level in data["levels"].items():
        direct, litellm = _get(level, "direct", "rps"), _get(level, "litellm", "rps")
        for t in _targets_in(level):
            v = level[t]
            rows.append([clients, t, v["rps"], v["latency_ms"]["p50"], v["latency_ms"]["p99"],
                         v["errors"], v.get("cpu_us_per_request"),
                         round(v["rss_kib"] / 1024, 1), ratio(v["rps"], direct),
                         ratio(v["rps"], litellm), ratio(v["rps"], _get(level, "portkey", "rps"))])
    return out + [table(header, rows)] + _instructions_note(data.get("instructions"))


def _instructions_note(counted):
    """The line under the throughput table on the worker's instruction count
    (nothing for a run that did not count)."""
    if not counted:
        return []
    if "skipped" in counted:
        return [f"Instructions per request not counted: {counted['skipped']}."]
    low, high = counted["requests"]
    return [f"CPU µs/req moves with the host this machine runs on (read it beside the "
            f"ceiling); instructions do not: a fresh Switchyard worker under callgrind "
            f"(bench/worker_instructions.py), {counted['clients']} clients, the mock answering "
            f"at once, spent **{counted['instructions_per_request']:,} instructions per small "
            f"request** (the difference of {low} and {high} requests' totals)."]


def streaming_section(data):
    out = ["## 3. Streaming",
           f"One stream at a time. *First token*: {data.get('ttft_streams', '?')} streams back "
           "to back, each sent at once by the mock; *added* = minus direct. *Paced*: "
           f"{data['tokens']} tokens, {data['chunk_delay_ms']} ms apart; *batched*: share of "
           "gaps under half the upstream delay (0 = pacing kept). ms. "
           + _placement(data.get("pinned"))]
    header = ["case", "target", "first token p50", "added p50", "added p99", "complete",
              "paced first token p50", "added p50", "gap p1", "gap p50", "gap p99", "batched"]
    rows = []
    for case, targets in data["cases"].items():
        for t in _targets_in(targets):
            v = targets[t]
            rows.append([case, t, _get(v, "ttft_ms", "p50"), _get(v, "ttft_added_ms", "p50"),
                         _get(v, "ttft_added_ms", "p99"), f"{v['complete']}/{v['streams']}",
                         _get(v, "paced_ttft_ms", "p50"), _get(v, "paced_ttft_added_ms", "p50"),
                         v["gap_ms"]["p1"], v["gap_ms"]["p50"], v["gap_ms"]["p99"],
                         v["batched"]])
    failures = [f"- {case} / {t}: {', '.join(v['failures'])}"
                for case, targets in data["cases"].items() for t, v in targets.items()
                if v["failures"]]
    return out + [table(header, rows)] + (["Failures:"] + failures if failures else [])


def capacity_section(data):
    out = ["## 4. Concurrent streams on one Switchyard worker",
           "Streams held open together (first token received), then released; worker RSS."]
    if "skipped" in data:
        return out + [f"Skipped: {data['skipped']}"]
    header = ["asked", "held", "opened", "completed", "RSS before MiB", "RSS all open MiB",
              "KiB / stream", "RSS after MiB", "errors", "note"]
    rows = [[lv["asked"], lv["count"], lv["opened"], lv["completed"],
             _mib(lv.get("rss_before_kib")), _mib(lv.get("rss_open_kib")),
             lv.get("kib_per_stream"), _mib(lv.get("rss_after_kib")), lv["errors"],
             lv.get("note", "")] for lv in data["levels"]]
    return out + [table(header, rows)]


def soak_section(data):
    out = ["## 5. Soak"]
    if "skipped" in data:
        return out + [f"Skipped: {data['skipped']}"]
    out.append(f"{data['requests']} requests, mix: {', '.join(data['mix'])}; "
               f"{data['rps']:.0f} rps, {data['errors']} errors. RSS of gunicorn master + "
               f"worker every tenth; growth after the first tenth: "
               f"**{data['rss_growth_kib'] / 1024:.1f} MiB**.")
    rows = [[p["done"], _mib(p["rss_kib"])] for p in data["rss"]]
    return out + [table(["requests done", "RSS MiB"], rows)]


def _mib(kib):
    return None if kib is None else round(kib / 1024, 1)


PEERS = {"litellm": "LiteLLM", "portkey": "Portkey"}


def _peer_ratios(rows, metric):
    """Switchyard's ``metric`` over each peer's, for the peers in ``rows``:
    ``{peer: ratio}`` (None where either is missing)."""
    ours = metric(rows.get("switchyard"))
    return {peer: ratio(ours, metric(rows.get(peer))) for peer in PEERS}


def _added_p50(row):
    return _get(row, "added", "p50")


def agent_section(data):
    out = ["## 6. Agent-sized requests and answers",
           "Sequential, one request at a time, the upstream answering at once; ms. Requests "
           "shaped like a coding agent's late in a session (system prompt, 25 tool schemas, "
           "tool round trips of code-sized text; bench/agent_session.py), in the client's "
           f"dialect, {_session_prose(data.get('session_window'))}. Then a "
           f"~{data['answer_bytes'] // 1000} KB whole answer. *added* = minus direct (which "
           "sends the upstream dialect's own requests of the same sizes). "
           "*added ÷ peer*: our added p50 over the peer's (below 1 = ahead). "
           + _placement(data.get("pinned"))
           + _settled([targets for cases in [*data["sizes"].values(), data["answers"]]
                       for targets in cases.values()], _BATCHES_SETTLED)]
    header = ["request", "case", "target", "bytes sent", "p50", "p99", "added p50",
              "added p99", "added ÷ LiteLLM", "added ÷ Portkey", "errors"]
    groups = [(size, cases) for size, cases in data["sizes"].items()]
    groups.append((f"{data['answer_bytes'] // 1000} KB answer", data["answers"]))
    rows = []
    for size, cases in groups:
        for case, targets in cases.items():
            ratios = _peer_ratios(targets, _added_p50)
            for t in _targets_in(targets):
                v = targets[t]
                ours = t == "switchyard"
                rows.append([size, case, t, v.get("request_bytes"), v["p50"], v["p99"],
                             _added_p50(v), _get(v, "added", "p99"),
                             ratios["litellm"] if ours else None,
                             ratios["portkey"] if ours else None, v["errors"]])
    return out + [table(header, rows)]


def _session_prose(window):
    """How the agent rows' requests follow each other (results written
    before the growing session say one body repeated)."""
    if not window:
        return "one body per size sent again and again; *bytes sent*: its length"
    return (f"as a growing session: each target sends a window of {window} requests in "
            "turn, each the one before plus a tool call and its result, the last of the "
            "labelled size (the ~50 KB session holds fewer), then the first again (a "
            "rewind), never one body twice in a row; Claude requests carry the cache mark "
            "on their newest message's last block, so it moves every request. *bytes "
            "sent*: the median body's length")


def fast_streams_section(data):
    out = ["## 7. Fast token streams",
           f"Streams of {data['tokens']} token events sent by the mock as fast as it can: "
           f"one at a time, then {data['concurrency']} at once. *events/s*: token events "
           "relayed per second; *CPU µs/event*: the server's CPU time (/proc) per token event "
           "(direct: the mock's); *received*: token events the client counted / sent; "
           "*lost*: tokens never received; *batched*: events carrying more than one token; "
           "*÷ peer*: our events/s over the peer's (above 1 = ahead). Not pinned."]
    header = ["case", "target", "phase", "events/s", "CPU µs/event", "received", "lost",
              "batched", "out of order", "complete", "÷ LiteLLM", "÷ Portkey"]
    rows = []
    for case, targets in data["cases"].items():
        for phase in ("single", "concurrent"):
            ratios = _peer_ratios(targets, lambda row: _get(row, phase, "events_per_s"))
            for t in _targets_in(targets):
                v = targets[t][phase]
                ours = t == "switchyard"
                if "skipped" in v:
                    rows.append([case, t, f"{data['concurrency']} at once",
                                 f"skipped: {v['skipped']}"] + [""] * 8)
                    continue
                rows.append([case, t, "one" if phase == "single" else f"{data['concurrency']} at once",
                             v["events_per_s"], v["cpu_us_per_event"],
                             f"{v['token_events']}/{v['expected_token_events']}", v["lost"],
                             v["batched"], v["out_of_order"], f"{v['complete']}/{v['streams']}",
                             ratios["litellm"] if ours else None,
                             ratios["portkey"] if ours else None])
    failures = [f"- {case} / {t} / {phase}: {', '.join(v[phase]['failures'])}"
                for case, targets in data["cases"].items() for t, v in targets.items()
                for phase in ("single", "concurrent") if v[phase].get("failures")]
    return out + [table(header, rows)] + (["Failures:"] + failures if failures else [])


_SECTIONS = {"sequential": sequential_section, "throughput": throughput_section,
             "streaming": streaming_section, "capacity": capacity_section,
             "soak": soak_section, "agent": agent_section,
             "fast_streams": fast_streams_section}


def machine_section(meta):
    packages = ", ".join(f"{k} {v}" for k, v in meta["switchyard_packages"].items())
    rows = [["CPU", f"{meta['cpu']} ({meta['cores']} cores)"],
            ["memory", f"{meta['memory_gib']} GiB"], ["kernel", meta["kernel"]],
            ["python", meta["python"]], ["Switchyard commit", meta["switchyard_commit"]],
            ["Switchyard stack", packages], ["LiteLLM", fmt(meta["litellm"])],
            ["Portkey", fmt(meta.get("portkey"))],
            ["workers", f"{meta['workers']} each (gunicorn gevent / uvicorn); Portkey: "
                        "one Node process"],
            ["load generator", "bench/loadgen.py: gevent, raw keep-alive HTTP/1.1, own process"],
            ["CPU used by other processes during the run",
             f"{meta['other_cores']:.2f} cores on average (0 = the run had the machine)"],
            ["command", f"`{meta['command']}`"], ["started", meta["started"]],
            ["wall time", f"{meta['duration_s']:.0f} s"]]
    return ["## Machine and versions", table(["", ""], rows)]


def render(results, chart_name=None):
    lines = [f"# Switchyard benchmark ({results['meta']['scale']} run)", "",
             "Same run, same machine, same mock upstream: direct calls vs Switchyard vs "
             "LiteLLM's proxy vs Portkey's gateway (on the paths it serves). See README.md "
             "for what each scenario measures.", "",
             "## Targets", table(["goal", "measured", "met"],
                                 [[g, m, {True: "yes", False: "**no**", None: "—"}[p]]
                                  for g, m, p in checks(results)]), ""]
    if chart_name:
        lines += [f"![results]({chart_name})", ""]
    for name, render_section in _SECTIONS.items():
        data = results["scenarios"].get(name)
        if data is None:
            continue
        if "failed" in data:
            lines += [f"## {name}", f"Failed: `{data['failed']}`", ""]
            continue
        lines += render_section(data) + [""]
    if results["notes"]:
        lines += ["## Notes"] + [f"- {n}" for n in results["notes"]] + [""]
    return "\n".join(lines + machine_section(results["meta"])) + "\n"
