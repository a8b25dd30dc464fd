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
    rows = [("sequential added p50 ≤ 0.5 ms", *_le(_get(seq, "p50"), 0.5, "ms")),
            ("sequential added p99 ≤ 2 ms", *_le(_get(seq, "p99"), 2.0, "ms"))]
    for clients, level in (_get(s, "throughput", "levels") or {}).items():
        rows.append((f"throughput ≥ 2× LiteLLM, 0 errors ({clients} clients)",
                     *_throughput_check(level)))
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
    return rows


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
           + _placement(data.get("pinned"))]
    header = ["case", "target", "median of round medians", "p50", "p99", "added p50",
              "added p99", "÷ direct (p50)", "÷ LiteLLM (p50)", "errors"]
    cases = dict(data["cases"])
    if data.get("after_idle"):
        cases["openai->openai, 20 ms idle before each"] = data["after_idle"]
    if data.get("unpinned"):
        cases["openai->openai, not pinned (for information)"] = data["unpinned"]
    rows = []
    for case, targets in cases.items():
        direct, litellm = _get(targets, "direct", "p50"), _get(targets, "litellm", "p50")
        for t in _targets_in(targets):
            v = targets[t]
            rows.append([case, t, v["median_of_medians"], v["p50"], v["p99"],
                         _get(v, "added", "p50"), _get(v, "added", "p99"),
                         ratio(v["p50"], direct), ratio(v["p50"], litellm), v["errors"]])
    return out + [table(header, rows)]


def _placement(pinned):
    if pinned:
        return ("Pinned: load generator on one core, every server on another "
                "(bench/placement.py).")
    return "Not pinned (one core, or an older run): the scheduler placed every process."


def throughput_section(data):
    ceiling = data["mock_ceiling"]
    out = ["## 2. Throughput at fixed concurrency",
           f"Upstream latency {data['upstream_latency_ms']} ms; closed loop, keep-alive. "
           f"Mock + load generator ceiling (no latency, 50 clients, direct): "
           f"**{ceiling['rps']:.0f} rps**, {ceiling['errors']} errors."]
    header = ["clients", "target", "rps", "p50 ms", "p99 ms", "errors", "CPU µs/req",
              "RSS MiB", "÷ direct (rps)", "÷ LiteLLM (rps)"]
    rows = []
    for clients, level in data["levels"].items():
        direct, litellm = _get(level, "direct", "rps"), _get(level, "litellm", "rps")
        for t in _targets_in(level):
            v = level[t]
            rows.append([clients, t, v["rps"], v["latency_ms"]["p50"], v["latency_ms"]["p99"],
                         v["errors"], v.get("cpu_us_per_request"),
                         round(v["rss_kib"] / 1024, 1), ratio(v["rps"], direct),
                         ratio(v["rps"], litellm)])
    return out + [table(header, rows)]


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


_SECTIONS = {"sequential": sequential_section, "throughput": throughput_section,
             "streaming": streaming_section, "capacity": capacity_section,
             "soak": soak_section}


def machine_section(meta):
    packages = ", ".join(f"{k} {v}" for k, v in meta["switchyard_packages"].items())
    rows = [["CPU", f"{meta['cpu']} ({meta['cores']} cores)"],
            ["memory", f"{meta['memory_gib']} GiB"], ["kernel", meta["kernel"]],
            ["python", meta["python"]], ["Switchyard commit", meta["switchyard_commit"]],
            ["Switchyard stack", packages], ["LiteLLM", fmt(meta["litellm"])],
            ["workers", f"{meta['workers']} each (gunicorn gevent / uvicorn)"],
            ["load generator", "bench/loadgen.py: gevent, raw keep-alive HTTP/1.1, own process"],
            ["CPU used by other processes during the run",
             f"{meta['other_cores']:.2f} cores on average (0 = the run had the machine)"],
            ["command", f"`{meta['command']}`"], ["started", meta["started"]],
            ["wall time", f"{meta['duration_s']:.0f} s"]]
    return ["## Machine and versions", table(["", ""], rows)]


def render(results, chart_name=None):
    lines = [f"# Switchyard benchmark ({results['meta']['scale']} run)", "",
             "Same run, same machine, same mock upstream: direct calls vs Switchyard vs "
             "LiteLLM proxy. See README.md for what each scenario measures.", "",
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
