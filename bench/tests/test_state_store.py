"""bench/state_store.py: its table, and that a rerun replaces its section of
RESULTS.md rather than appending another."""
from bench import state_store


def results(rps):
    row = {"p50": 0.5, "p99": 1.5, "added_p50": 0.4, "errors": 0}
    return {"at": "2026-12-02 18:00 UTC", "cpus": 2, "note": "shared machine.",
            "sequential": {"1 credential": {"direct": row, "redis-2w": row}},
            "throughput": {"1 credential": {"redis-2w": {"rps": rps, "p50": 2.0, "p99": 9.0,
                                                         "errors": 0}}}}


def test_rerun_replaces_its_section(tmp_path, monkeypatch):
    monkeypatch.setattr(state_store, "BENCH_DIR", str(tmp_path))
    (tmp_path / "RESULTS.md").write_text("# Switchyard benchmark\n\nrows of the full run\n")
    state_store.publish(state_store.render(results(1234.5)))
    state_store.publish(state_store.render(results(999.0)))
    text = (tmp_path / "RESULTS.md").read_text()
    assert text.startswith("# Switchyard benchmark\n\nrows of the full run\n")
    assert text.count(state_store.MARK_BEGIN) == 1 and "| 999.0 |" in text
    assert "1234.5" not in text
    assert "| 1 credential | direct | 0.5 | 1.5 | — | 0 |" in text
    assert (tmp_path / "STATE.md").read_text() in text
