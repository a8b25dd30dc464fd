"""RESULTS.md rendering, the target verdicts, and the exit status."""
import json

from bench import report
from bench.run import KEEP_RUN_DIRS, prune_run_dirs, switchyard_failures, write


def _latency(p50, p99, errors=0):
    return {"median_of_medians": p50, "p50": p50, "p99": p99, "n": 10, "errors": errors,
            "error_samples": []}


def _closed(rps, errors=0):
    return {"requests": int(rps), "seconds": 1.0, "rps": rps, "errors": errors,
            "error_samples": [], "rss_kib": 80000, "cpu_us_per_request": 500.0,
            "latency_ms": {"n": 1, "p50": 50.0, "p99": 60.0, "mean": 50.0, "max": 70.0}}


def _stream(ttft, batched=0.0, complete=3):
    return {"streams": 3, "complete": complete, "failures": [], "batched": batched,
            "ttft_ms": {"n": 3, "p50": ttft, "p99": ttft, "mean": ttft, "max": ttft},
            "paced_ttft_ms": {"n": 3, "p50": ttft * 2, "p99": ttft * 2, "mean": ttft,
                              "max": ttft * 2},
            "gap_ms": {"p1": 9.9, "p50": 10.0, "p99": 10.2}}


def _agent_rows(added, peer_added=5.0):
    ours = dict(_latency(0.3 + added, 2.0), added={"median_of_medians": added, "p50": added,
                                                  "p99": added}, request_bytes=250000)
    theirs = dict(_latency(0.3 + peer_added, 9.0),
                  added={"median_of_medians": peer_added, "p50": peer_added, "p99": 9.0},
                  request_bytes=250000)
    return {"direct": dict(_latency(0.3, 1.0), request_bytes=250000), "switchyard": ours,
            "litellm": theirs}


def _agent(same=0.5, translated=1.2, big=1.4):
    sizes = {"250 KB": {"claude->claude": _agent_rows(same), "claude->openai":
                        _agent_rows(translated)},
             "1 MB": {"claude->claude": _agent_rows(big)}}
    return {"pinned": True, "answer_bytes": 100000, "sizes": sizes,
            "answers": {"claude->claude": _agent_rows(0.8)}, "session_window": 10}


def _events_phase(rate, cpu, lost=0, batched=0):
    return {"streams": 2, "complete": 2, "events_per_s": rate, "seconds": 0.1,
            "cpu_us_per_event": cpu, "token_events": 4000 - lost,
            "expected_token_events": 4000, "lost": lost, "batched": batched,
            "out_of_order": 0, "events": 4012, "failures": []}


def _fast(same_cpu=12.0, translated_cpu=30.0, lost=0):
    def rows(cpu):
        return {"direct": {"single": _events_phase(90000, 1.0),
                           "concurrent": _events_phase(90000, 1.0)},
                "switchyard": {"single": _events_phase(40000, cpu),
                               "concurrent": _events_phase(40000, cpu, lost=lost)},
                "portkey": {"single": _events_phase(10000, 80.0),
                            "concurrent": _events_phase(8000, 90.0)}}
    return {"tokens": 2000, "concurrency": 50,
            "cases": {"openai->openai": rows(same_cpu), "claude->openai": rows(translated_cpu)}}


def results(ours_rps=900.0, their_rps=300.0, capacity_count=10000, soak_errors=0):
    direct_stream = _stream(0.2)
    ours_stream = dict(_stream(0.9), ttft_added_ms={"p50": 0.7, "p99": 0.7},
                       paced_ttft_added_ms={"p50": 1.4, "p99": 1.4})
    seq_ours = dict(_latency(0.4, 1.5), added={"median_of_medians": 0.36, "p50": 0.36,
                                               "p99": 1.3})
    return {
        "meta": {"scale": "test", "cpu": "cpu", "cores": 2, "memory_gib": 1.0, "kernel": "k",
                 "python": "3", "switchyard_commit": "abc", "switchyard_packages": {"flask": "3"},
                 "litellm": "1", "workers": 1, "command": "bench/run.sh", "started": "now",
                 "duration_s": 1.0, "other_cores": 0.02},
        "notes": ["a note"],
        "scenarios": {
            "sequential": {"cases": {"openai->openai": {
                "direct": _latency(0.04, 0.2), "switchyard": seq_ours,
                "litellm": _latency(7.0, 9.0)}}},
            "throughput": {"upstream_latency_ms": 50, "mock_ceiling": _closed(50000.0),
                           "levels": {"50": {"direct": _closed(1000.0),
                                             "switchyard": _closed(ours_rps),
                                             "litellm": _closed(their_rps)},
                                      "200": {"direct": _closed(3000.0),
                                              "switchyard": dict(_closed(ours_rps),
                                                                 cpu_us_per_request=280.0),
                                              "litellm": _closed(their_rps)}}},
            "streaming": {"tokens": 6, "chunk_delay_ms": 10, "cases": {"openai->openai": {
                "direct": direct_stream, "switchyard": ours_stream}}},
            "capacity": {"fd_limit_streams": 9900, "levels": [{
                "asked": 10000, "count": capacity_count, "opened": capacity_count,
                "completed": capacity_count, "errors": 0, "error_samples": [],
                "rss_before_kib": 50000, "rss_open_kib": 600000, "rss_after_kib": 500000,
                "kib_per_stream": 55.0}]},
            "soak": {"requests": 100, "rps": 700.0, "errors": soak_errors, "error_samples": [],
                     "mix": ["openai->openai"], "rss_growth_kib": 100,
                     "rss": [{"done": 0, "rss_kib": 80000}, {"done": 100, "rss_kib": 80100}]},
            "agent": _agent(),
            "fast_streams": _fast(),
        },
    }


def verdicts(data):
    return {goal: passed for goal, _, passed in report.checks(data)}


def test_every_target_met():
    found = verdicts(results())
    info = {goal for goal in found if goal.startswith("(for information)")}
    assert info and all(found[goal] is None for goal in info)
    assert {found[goal] for goal in found if goal not in info} == {True}


def test_throughput_below_twice_litellm_fails():
    found = verdicts(results(ours_rps=500.0))
    assert found["throughput ≥ 2× LiteLLM, 0 errors (50 clients)"] is False


def test_capacity_short_of_10k_is_not_a_pass():
    found = verdicts(results(capacity_count=9900))
    assert found["10,000 streams on one worker < 1 GiB, all complete"] is None


def test_render_has_every_section_and_ratio():
    text = report.render(results(), "results.png")
    for heading in ("## Targets", "## 1.", "## 2.", "## 3.", "## 4.", "## 5.", "## 6.", "## 7.",
                    "## Notes", "## Machine and versions", "![results](results.png)"):
        assert heading in text
    assert "| 50 | switchyard | 900.00 |" in text
    assert "3.0× (900 vs 300 rps, 0 errors)" in text


def test_failed_scenario_is_rendered_and_fails_the_run():
    data = results(soak_errors=3)
    data["scenarios"]["streaming"] = {"failed": "load generator died"}
    assert "Failed: `load generator died`" in report.render(data)
    assert switchyard_failures(data["scenarios"]) == [
        "streaming: load generator died", "soak: 3 failed Switchyard requests"]
    assert switchyard_failures(results()["scenarios"]) == []


def test_write_produces_json_markdown_and_chart(tmp_path):
    write(results(), str(tmp_path))
    assert json.loads((tmp_path / "results.json").read_text())["meta"]["scale"] == "test"
    assert "## Targets" in (tmp_path / "RESULTS.md").read_text()


def test_prune_keeps_the_newest_run_dirs(tmp_path):
    for stamp in ("20260101-000000", "20260102-000000", "20260103-000000",
                  "20260104-000000", "20260105-000000"):
        (tmp_path / f"run-{stamp}").mkdir()
    (tmp_path / "quick").mkdir()
    prune_run_dirs(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quick"] + [
        f"run-2026010{d}-000000" for d in range(6 - KEEP_RUN_DIRS, 6)]


def test_agent_goals_take_the_worst_case_of_their_kind():
    data = results()
    data["scenarios"]["agent"] = _agent(same=0.7, translated=1.2, big=1.4)
    found = {goal: (measured, passed) for goal, measured, passed in report.checks(data)}
    assert found["agent-sized same-dialect added p50 ≤ 0.6 ms at 250 KB"] == \
        ("0.700 ms (worst: claude->claude)", False)
    assert found["agent-sized translated added p50 ≤ 1.5 ms at 250 KB"][1] is True
    assert found["agent-sized same-dialect added p50 ≤ 1.5 ms at 1 MB"][1] is True


def test_a_lost_event_fails_the_stream_goal_whatever_the_cpu():
    data = results()
    data["scenarios"]["fast_streams"] = _fast(same_cpu=5.0, lost=1)
    found = verdicts(data)
    assert found["fast streams: worker CPU per relayed event ≤ 15 µs same-dialect"] is False
    data["scenarios"]["fast_streams"] = _fast(same_cpu=16.0)
    assert verdicts(data)["fast streams: worker CPU per relayed event ≤ 15 µs same-dialect"] \
        is False


def test_new_sections_state_ratios_against_each_peer():
    text = report.render(results())
    # agent: our added p50 over LiteLLM's (0.5 / 5.0); no Portkey row there
    assert "| 250 KB | claude->claude | switchyard | 250000 | 0.80 | 2.00 | 0.50 | 0.50 | 0.10 | — | 0 |" \
        in text
    # fast streams: our events/s over Portkey's (40000 / 8000 at once)
    assert "| openai->openai | switchyard | 50 at once | 40000 | 12.00 | 4000/4000 | 0 | 0 | 0 " \
        "| 2/2 | — | 5.00 |" in text


def test_agent_section_says_its_requests_are_a_growing_session():
    prose = report.agent_section(_agent())[1]
    for said in ("growing session", "window of 10 requests", "then the first again",
                 "cache mark on their newest message", "the median body's length"):
        assert said in prose
    older = dict(_agent())
    del older["session_window"]           # results written before the growing session
    prose = report.agent_section(older)[1]
    assert "one body per size sent again and again" in prose
    assert "growing session" not in prose


def test_a_peer_that_skipped_the_concurrent_phase_says_why():
    data = results()
    skipped = {"skipped": "100000 events at its single-stream rate (800/s) would take ~125 s"}
    data["scenarios"]["fast_streams"]["cases"]["openai->openai"]["portkey"]["concurrent"] = skipped
    text = report.render(data)
    assert "| openai->openai | portkey | 50 at once | skipped: 100000 events" in text
    assert "| openai->openai | switchyard | 50 at once | 40000 | 12.00 | 4000/4000 | 0 | 0 | 0 " \
        "| 2/2 | — | — |" in text


def test_a_full_run_keeps_the_state_store_rows(tmp_path):
    from bench import state_store
    rows = state_store.render({"at": "now", "cpus": 2, "note": "", "sequential": {},
                               "throughput": {"1 credential": {"redis-2w": {
                                   "rps": 777.0, "p50": 1.0, "p99": 2.0, "errors": 0}}}})
    write(results(), str(tmp_path))
    path = tmp_path / "RESULTS.md"
    path.write_text(path.read_text() + "\n" + rows)
    write(results(ours_rps=950.0), str(tmp_path))
    text = path.read_text()
    assert "| 50 | switchyard | 950.00 |" in text and "| 900.00 |" not in text
    assert text.count(state_store.MARK_BEGIN) == 1 and text.endswith(rows)


def test_a_row_where_a_peer_is_ahead_is_named():
    goal = "every row ahead of both peers (latency p50, rps, events/s)"
    assert verdicts(results())[goal] is True
    data = results(ours_rps=200.0)          # LiteLLM does 300 rps
    found = {g: (m, p) for g, m, p in report.checks(data)}
    assert found[goal] == ("throughput 50: LiteLLM 300.0 vs 200.0; "
                           "throughput 200: LiteLLM 300.0 vs 200.0", False)


def test_agent_section_counts_the_batches_started_on_a_busy_core():
    data = _agent()
    assert "bench/quiet.py" not in report.agent_section(data)[1]     # an older run
    for cases in [*data["sizes"].values(), data["answers"]]:
        for targets in cases.values():
            for row in targets.values():
                row["unsettled"] = 1 if row is targets["litellm"] else 0
    prose = report.agent_section(data)[1]
    assert "starts once the servers' core is quiet (bench/quiet.py); " \
           "4 started without" in prose


def test_throughput_section_counts_the_runs_started_on_busy_cores():
    def run(rps, unsettled):
        return {"rps": rps, "latency_ms": {"p50": 52.0, "p99": 60.0}, "errors": 0,
                "cpu_us_per_request": 100.0, "rss_kib": 20480, "unsettled": unsettled}
    data = {"upstream_latency_ms": 50, "mock_ceiling": {"rps": 9000.0, "errors": 0},
            "levels": {"50": {"direct": run(900.0, False), "switchyard": run(890.0, True)}}}
    prose = report.throughput_section(data)[1]
    assert "once every server is quiet (bench/quiet.py); 1 started without" in prose
    for row in data["levels"]["50"].values():
        del row["unsettled"]
    assert "bench/quiet.py" not in report.throughput_section(data)[1]


def test_instruction_count_is_reported_for_information_only():
    data = results()
    data["scenarios"]["throughput"]["instructions"] = {
        "clients": 200, "requests": [400, 1400], "totals": {"400": 1, "1400": 2},
        "instructions_per_request": 594670}
    rows = {goal: (measured, passed) for goal, measured, passed in report.checks(data)}
    assert rows["(for information) worker instructions per small request at 200 clients "
                "(callgrind)"] == ("594,670", None)
    note = report.throughput_section(data["scenarios"]["throughput"])[-1]
    assert "**594,670 instructions per small request**" in note
    assert "400 and 1400 requests" in note


def test_instruction_count_skipped_or_absent():
    data = results()
    throughput = data["scenarios"]["throughput"]
    assert "nstructions" not in "\n".join(report.throughput_section(throughput))
    assert not any("instructions" in goal for goal, _, _ in report.checks(data))
    throughput["instructions"] = {"clients": 200, "skipped": "valgrind is not installed"}
    assert report.throughput_section(throughput)[-1] == \
        "Instructions per request not counted: valgrind is not installed."
