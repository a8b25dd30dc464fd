"""Load-generator jobs, run as the harness runs them: a separate process
against the mock."""
import json
import subprocess
from unittest.mock import patch

from gevent.server import StreamServer

from bench import loadgen, quiet, targets
from bench.mock_upstream import MockUpstream
from bench.procs import run_loadgen
from bench.scenarios.streaming import summarize
from bench.servers import REPO_DIR, configure_mock, mock_stats, release_mock


def spec(mock, client="openai", stream=False, tokens=16):
    return targets.spec(mock.port, client, client, stream, tokens)


def run(job, on_event=None):
    return run_loadgen(job, timeout=60, on_event=on_event, cwd=REPO_DIR)


def test_sequential_rounds_per_target(mock):
    job = {"kind": "sequential", "warmup": 1, "rounds": 3, "per_round": 4,
           "targets": {"a": spec(mock), "b": spec(mock, "gemini")}}
    result = run(job)
    assert {name: [len(r) for r in rounds] for name, rounds in result["rounds"].items()} == \
        {"a": [4, 4, 4], "b": [4, 4, 4]}
    assert result["errors"]["a"]["errors"] == 0
    assert result["unsettled"] == {"a": 0, "b": 0}


def test_sequential_waits_for_quiet_servers_before_each_batch(mock):
    waits = []
    job = {"kind": "sequential", "warmup": 0, "rounds": 2, "per_round": 1,
           "settle": [4242], "targets": {"a": spec(mock), "b": spec(mock)}}
    with patch.object(quiet, "settle", lambda pids: waits.append(pids)):   # None: busy
        result = loadgen.sequential(job)
    assert waits == [[4242]] * 4                    # before each batch of each round
    assert result["unsettled"] == {"a": 2, "b": 2}
    assert [len(r) for r in result["rounds"]["a"]] == [1, 1]


def test_closed_loop_stops_at_total_and_reports_progress(mock):
    progress = []
    job = {"kind": "closed", "concurrency": 4, "total": 200, "progress_every": 50,
           "max_seconds": 30, "specs": [spec(mock), spec(mock, "claude", stream=True)]}
    result = run(job, lambda e: progress.append(e.get("done", e.get("phase"))))
    assert 200 <= result["requests"] < 210
    assert result["errors"] == 0
    assert progress == ["measuring", 50, 100, 150, 200, "measured"]


def test_closed_loop_counts_wrong_bodies_as_errors(mock):
    wrong = dict(spec(mock), expect="never in the body")
    result = run({"kind": "closed", "concurrency": 2, "total": 10, "max_seconds": 30,
                  "specs": [wrong]})
    assert result["errors"] == result["requests"] >= 10
    assert result["error_samples"] == ["status 200, expected bytes missing"]


def test_stream_job_times_every_token(mock):
    configure_mock(mock, tokens=5, chunk_delay_ms=10)
    result = run({"kind": "stream", "warmup": 1, "count": 2,
                  "spec": spec(mock, "claude", stream=True, tokens=5)})
    summary = summarize(result["streams"], delay_ms=10, tokens=5)
    assert summary["complete"] == 2
    assert summary["batched"] == 0
    assert summary["gap_ms"]["p1"] >= 5


def test_hold_job_reports_open_then_completes_after_release(mock):
    configure_mock(mock, tokens=3, hold=True)
    seen = {}

    def on_open(event):
        seen.update(event, mock_open=mock_stats(mock)["streams_open"])
        release_mock(mock)

    result = run({"kind": "hold", "count": 30, "parallel_opens": 10, "open_timeout_s": 20,
                  "finish_timeout_s": 30, "spec": spec(mock, stream=True, tokens=3)}, on_open)
    assert (seen["opened"], seen["mock_open"]) == (30, 30)
    assert (result["opened"], result["completed"], result["errors"]) == (30, 30, 0)


def test_event_counter_finds_batched_lost_and_reordered_tokens():
    from bench.loadgen import EventCounter
    stream = (b"data: {\"delta\": \"tok000 \"}\n\n"
              b"data: {\"delta\": \"tok001 tok002 \"}\r\n\r\n"      # two tokens: batched
              b"data: {\"delta\": \"tok004 \"}\n\n"
              b"data: {\"done\": \"tok000 tok001 tok002 tok004 \"}\n\n"  # no delta: not counted
              b"data: [DONE]\n\n")
    for cut in range(1, len(stream)):
        counter = EventCounter(b"[DONE]", b"delta")
        counter(stream[:cut])
        counter(stream[cut:])
        found = counter.result(200, 5, 0.1)
        assert (found["events"], found["token_events"], found["tokens"]) == (5, 3, 4)
        assert (found["batched_events"], found["lost"], found["in_order"]) == (1, 1, False)
        assert found["complete"]


def test_events_job_counts_every_event_of_concurrent_streams(mock):
    from bench import wire
    from bench.scenarios.fast_streams import summarize
    configure_mock(mock, tokens=300)
    phases = []
    job = {"kind": "events", "spec": spec(mock, "responses", stream=True, tokens=300),
           "delta": wire.DELTAS["responses"].decode(), "tokens": 300, "concurrency": 4,
           "warmup": 1, "rounds": 2}
    result = run(job, lambda e: phases.append(e["phase"]))
    assert phases == ["measuring", "measured"]
    summary = summarize(result["rounds"], 300, cpu_seconds=0.01)
    assert (summary["streams"], summary["complete"]) == (8, 8)
    assert summary["token_events"] == summary["expected_token_events"] == 2400
    assert (summary["lost"], summary["batched"], summary["out_of_order"]) == (0, 0, 0)
    # 4 preamble events, one per token, 4 closing ones
    assert summary["events"] == 8 * (4 + 300 + 4)
    assert summary["cpu_us_per_event"] == round(0.01 / 2400 * 1e6, 2)
    assert summary["events_per_s"] > 0


class _Recorder(MockUpstream):
    """The mock, in this process, remembering every request body by path."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def respond(self, sock, method, target, body):
        self.seen.append((target, body))
        super().respond(sock, method, target, body)


def test_sequential_sends_a_targets_bodies_in_turn_then_rewinds():
    recorder = _Recorder()
    server = StreamServer(("127.0.0.1", 0), recorder.handle)
    server.start()
    try:
        port = server.server_port
        bodies = [json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}] * n})
                  for n in (1, 2, 3)]
        session = dict(targets.spec(port, "openai", "openai", False, 16), bodies=bodies)
        del session["body"]
        job = {"kind": "sequential", "warmup": 1, "rounds": 3, "per_round": 2,
               "targets": {"session": session,
                           "single": targets.spec(port, "claude", "claude", False, 16)}}
        result = loadgen.sequential(job)
    finally:
        server.stop()
    assert result["errors"]["session"]["errors"] == result["errors"]["single"]["errors"] == 0
    sent = [body.decode() for path, body in recorder.seen if path == b"/v1/chat/completions"]
    assert sent == [bodies[i % 3] for i in range(7)]          # warm-up included, cycling
    single = {body for path, body in recorder.seen if path == b"/v1/messages"}
    assert len(single) == 1 and len(recorder.seen) == 14


def test_closed_loop_starts_once_the_servers_are_quiet(mock):
    idle = subprocess.Popen(["sleep", "60"])
    try:
        result = run({"kind": "closed", "concurrency": 2, "total": 10, "max_seconds": 30,
                      "settle": [idle.pid], "specs": [spec(mock)]})
    finally:
        idle.kill()
        idle.wait()
    assert result["unsettled"] is False
    assert result["quiet_wait_s"] >= 2 * quiet.WINDOW_S
    assert result["requests"] >= 10
