"""gunicorn.conf.py: how many workers, and metrics shared between them."""
import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_PROBE = ("import json, os, runpy; ns = runpy.run_path('gunicorn.conf.py'); "
          "print(json.dumps([ns['workers'], os.environ.get('PROMETHEUS_MULTIPROC_DIR')])); "
          "ns['on_exit'](None)")


def settings(tmp_path, config, **env):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    environ = {k: v for k, v in os.environ.items()
               if k not in ("WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "PORT")}
    environ.update(SWITCHYARD_CONFIG=str(path), **env)
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, env=environ, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_one_worker_without_a_shared_store(tmp_path):
    assert settings(tmp_path, {}) == [1, None]


def test_one_worker_per_core_with_a_shared_store(tmp_path):
    workers, metrics_dir = settings(tmp_path, {"state": {"redis-url": "redis://127.0.0.1:1/0"}})
    assert workers == (os.cpu_count() or 1)
    if workers > 1:
        assert metrics_dir and not os.path.exists(metrics_dir)   # made, then removed on exit


@pytest.mark.parametrize("count", ["1", "3"])
def test_web_concurrency_wins(tmp_path, count):
    workers, metrics_dir = settings(tmp_path, {}, WEB_CONCURRENCY=count)
    assert workers == int(count)
    assert (metrics_dir is not None) == (count != "1")


def test_a_serving_worker_collects_garbage_less_often_and_skips_what_it_loaded(tmp_path):
    # post_worker_init: the loaded objects frozen (never walked again), the
    # young generation collected every GC_THRESHOLDS[0] net allocations
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({}))
    environ = {k: v for k, v in os.environ.items()
               if k not in ("WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "PORT",
                            "SWITCHYARD_READY_FD")}
    probe = ("import gc, json, runpy, types; ns = runpy.run_path('gunicorn.conf.py'); "
             "before = gc.get_threshold(); "
             "ns['post_worker_init'](types.SimpleNamespace(pid=1, cfg=types.SimpleNamespace("
             "worker_connections=1))); "
             "print(json.dumps([before, gc.get_threshold(), ns['GC_THRESHOLDS'], "
             "gc.get_freeze_count()]))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, text=True,
                         env=dict(environ, SWITCHYARD_CONFIG=str(path)),
                         capture_output=True).stdout
    before, after, wanted, frozen = json.loads(out.strip().splitlines()[-1])
    assert after == wanted and after[0] > before[0]
    assert frozen > 10_000
