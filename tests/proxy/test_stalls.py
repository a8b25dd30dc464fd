"""proxy.http.stalls: the opt-in log of green threads holding the event loop."""
import json
import os
import subprocess
import sys
import time

import gevent
import greenlet
import pytest
import yaml

from proxy.http import stalls

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _spin(ms):
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        pass


@pytest.fixture
def watch():
    lines = []
    w = stalls.StallWatch(1.0, report=lines.append)
    w.lines = lines
    yield w
    w.uninstall()


@pytest.mark.parametrize("value, limit", [(None, None), ("", None), ("  ", None), ("abc", None),
                                          ("0", None), ("-3", None), ("2.5", 2.5), (" 10 ", 10.0)])
def test_the_threshold_comes_from_the_environment(value, limit):
    environ = {} if value is None else {stalls.ENV: value}
    assert stalls.threshold_ms(environ) == limit


def test_unset_installs_nothing():
    before = greenlet.gettrace()
    assert stalls.install_from_env({}) is None
    assert greenlet.gettrace() is before


@pytest.mark.parametrize("wall, run, wait, cause, parts", [
    (10_000_000, 9_000_000, 500_000, "cpu", {"cpu_ms": 9.0, "runqueue_ms": 0.5, "off_cpu_ms": 0.5}),
    (10_000_000, 1_000_000, 8_000_000, "runqueue",
     {"cpu_ms": 1.0, "runqueue_ms": 8.0, "off_cpu_ms": 1.0}),
    (10_000_000, 1_000_000, 0, "off_cpu", {"cpu_ms": 1.0, "runqueue_ms": 0.0, "off_cpu_ms": 9.0}),
    # no schedstat: CPU time and the rest
    (10_000_000, 7_000_000, None, "cpu", {"cpu_ms": 7.0, "off_cpu_ms": 3.0}),
])
def test_a_stretch_is_split_by_what_the_thread_was_doing(wall, run, wait, cause, parts):
    assert stalls.split(wall, run, wait) == (cause, parts)


def test_a_green_thread_that_spins_is_reported_where_it_yielded(watch):
    def spinner():
        _spin(20)
        gevent.sleep(0)

    watch.install()
    gevent.spawn(spinner).join()
    watch.uninstall()
    mine = [line for line in watch.lines if ":spinner" in line]
    assert len(mine) == 1
    assert mine[0].startswith("stall ms=")
    assert "cause=" in mine[0] and "cpu_ms=" in mine[0]


def test_the_hub_waiting_for_io_is_not_a_stall():
    lines = []
    watch = stalls.StallWatch(10.0, report=lines.append).install()
    try:
        gevent.sleep(0)
        gevent.sleep(0.05)        # the hub idles 50 ms in its loop
    finally:
        watch.uninstall()
    assert not [line for line in lines if "hub" in line]


def test_the_hub_busy_in_its_callbacks_is_a_stall(watch):
    watch.install()
    gevent.sleep(0)
    gevent.get_hub().loop.run_callback(_spin, 20)     # runs in the hub greenlet
    gevent.sleep(0)
    watch.uninstall()
    assert [line for line in watch.lines if 'where="hub (event-loop callbacks)"' in line]


def test_a_long_garbage_collection_pass_is_reported(watch):
    watch._collected("start", {"generation": 2})
    _spin(5)
    watch._collected("stop", {"generation": 2, "collected": 7})
    watch._collected("start", {"generation": 0})
    watch._collected("stop", {"generation": 0, "collected": 0})      # quick: not reported
    assert len(watch.lines) == 1
    assert watch.lines[0].startswith("gc ms=") and "generation=2 collected=7" in watch.lines[0]


def test_uninstall_restores_the_previous_tracer():
    seen = []
    previous = lambda event, args: seen.append(event)    # noqa: E731
    greenlet.settrace(previous)
    try:
        w = stalls.StallWatch(1000.0, report=lambda line: None).install()
        gevent.sleep(0)
        w.uninstall()
        assert greenlet.gettrace() is previous
        assert "switch" in seen            # chained while installed
    finally:
        greenlet.settrace(None)


def test_the_thread_clock_reads_this_thread():
    clock = stalls.ThreadClock()
    try:
        run, wait = clock.read()
        _spin(3)
        later, _ = clock.read()
        assert later > run
        if sys.platform.startswith("linux"):
            assert isinstance(wait, int)
    finally:
        clock.close()
    assert stalls.ThreadClock("/nonexistent/schedstat").read()[1] is None


def _probe(tmp_path, extra):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({}))
    environ = {k: v for k, v in os.environ.items()
               if k not in ("WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "PORT",
                            "SWITCHYARD_READY_FD", stalls.ENV)}
    probe = ("import greenlet, json, runpy, types; ns = runpy.run_path('gunicorn.conf.py'); "
             "ns['post_worker_init'](types.SimpleNamespace(pid=1, cfg=types.SimpleNamespace("
             "worker_connections=1))); print(json.dumps(greenlet.gettrace() is not None))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, text=True,
                         env=dict(environ, SWITCHYARD_CONFIG=str(path), **extra),
                         capture_output=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_a_worker_watches_only_when_asked(tmp_path):
    assert _probe(tmp_path, {}) is False
    assert _probe(tmp_path, {stalls.ENV: "5"}) is True
