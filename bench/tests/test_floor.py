"""bench/floor.py: its relay, run in Switchyard's worker, hands back exactly
what the mock answers; its table names every target's added p50."""
import tempfile

from bench import agent_session, floor, targets
from bench.procs import Supervisor, http_post


def test_relay_answers_what_the_mock_answers(mock):
    body = agent_session.body("openai", targets.model_for("openai"), 250_000, False).encode()
    direct = http_post(mock.port, "/v1/chat/completions", body)
    with tempfile.TemporaryDirectory() as logs, Supervisor(logs) as supervisor:
        for check in ("none", "top_level", "roundtrip"):
            relay = floor.start_relay(supervisor, mock.port, check)
            assert http_post(relay.port, "/v1/chat/completions", body) == direct
    assert direct[0] == 200 and b"choices" in direct[1]


def test_table_has_added_p50_per_target():
    rows = {"direct": {"p50": 0.3, "added": 0.0, "errors": 0},
            "relay": {"p50": 0.5, "added": 0.2, "errors": 0},
            "switchyard": {"p50": 0.9, "added": 0.6, "errors": 1}}
    text = floor.render({"at": "2026-12-03T09:00:00", "pinned": True, "samples": 105,
                         "rows": [((250_000, "openai"), rows)],
                         "cpu": {"relay": {"cpu_us": 180.5, "rps": 3000.0, "errors": 0}}}, ["relay", "switchyard"])
    assert "| 250 KB | openai | 0.300 | +0.200 | +0.600 | 1 |" in text
    assert "| relay | 180.5 | 3000.0 | 0 |" in text


def test_scan_costs_time_each_step_of_the_top_level_read(monkeypatch):
    monkeypatch.setattr(floor, "SCAN_SIZES", (30_000,))
    scan = floor.scan_costs(runs=1)
    assert set(scan) == {(30_000, d) for d in floor.DIALECTS}
    for row in scan.values():
        assert list(row) == ["one byte pass", "msgspec skip", "top_level", "orjson parse",
                             floor.RESUMED]
        assert all(us >= 0 for us in row.values())
    text = floor.render({"at": "x", "pinned": False, "samples": 1, "rows": [], "cpu": {},
                         "scan": {(250_000, "claude"): {"one byte pass": 100, "msgspec skip": 110,
                                                        "top_level": 150, "orjson parse": 400,
                                                        floor.RESUMED: 60}}},
                        [])
    assert "| 250 KB | claude | 100 | 110 | 150 | 400 | 60 | 1.50 | 0.40 |" in text
    assert "growing agent session" in text


def test_resumed_cost_reads_the_window_from_where_each_body_differs(monkeypatch):
    """The resumed step reads every request after the first from the one
    before (none of them whole), and leaves no body remembered."""
    from proxy.wire import json_resume, json_top
    whole = []
    real = json_top.top_level
    monkeypatch.setattr(json_top, "top_level",
                        lambda raw, *a, **k: whole.append(len(raw)) or real(raw, *a, **k))
    bodies = agent_session.window("openai", "m", 120_000)
    assert floor.resumed_cost("openai", 120_000, runs=2) >= 0
    # per run: the first body whole; the rest resumed (their tails are read
    # from synthetic documents far shorter than any body)
    assert sorted(whole)[-2:] == [len(bodies[0])] * 2
    assert not any(len(bodies[0]) < n for n in whole)
    assert not json_resume._recent


def test_agent_sized_rows_send_the_session_window():
    spec = floor.row_spec(8000, "claude", "openai", 250_000)
    assert "body" not in spec
    assert spec["bodies"] == agent_session.window("claude", targets.model_for("openai"),
                                                  250_000)
    assert len(set(spec["bodies"])) == agent_session.SESSION_WINDOW
    assert "body" in floor.row_spec(8000, "openai", "openai", None)
