"""The harness end to end at its quick scale: every scenario runs against a
real Switchyard (gunicorn + gevent) and the mock, and the report is written.
LiteLLM and Portkey are left out (bench-only installs); ~30 s."""
import json
import os
import subprocess
import sys

from bench.scenarios import ORDER
from bench.servers import REPO_DIR


def test_quick_run_measures_every_scenario(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--no-litellm", "--no-portkey", "--soak", "500",
         "--out", str(tmp_path)], cwd=REPO_DIR, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    results = json.loads((tmp_path / "results.json").read_text())
    scenarios = results["scenarios"]
    assert list(scenarios) == list(ORDER)
    assert not [name for name, data in scenarios.items() if "failed" in data]

    sequential = scenarios["sequential"]
    ours = sequential["cases"]["openai->openai"]["switchyard"]
    assert ours["errors"] == 0 and ours["n"] > 0 and ours["added"]["p50"] is not None
    assert sequential["pinned"] == (len(os.sched_getaffinity(0)) > 1)
    stream = scenarios["streaming"]["cases"]["claude->openai"]["switchyard"]
    assert stream["complete"] == stream["streams"] > 0
    assert scenarios["capacity"]["levels"][0]["completed"] == 100
    assert scenarios["soak"]["errors"] == 0

    agent = scenarios["agent"]
    for size in ("50 KB", "250 KB", "1 MB"):
        ours = agent["sizes"][size]["responses->claude"]["switchyard"]
        assert ours["errors"] == 0 and ours["n"] > 0 and ours["added"]["p50"] is not None
    assert agent["answers"]["openai->claude"]["switchyard"]["errors"] == 0
    fast = scenarios["fast_streams"]["cases"]["claude->openai"]["switchyard"]["concurrent"]
    assert fast["complete"] == fast["streams"] > 1
    assert fast["token_events"] == fast["expected_token_events"] and fast["lost"] == 0

    report = (tmp_path / "RESULTS.md").read_text()
    assert "## Targets" in report and "## 5. Soak" in report and "## 7. Fast" in report
