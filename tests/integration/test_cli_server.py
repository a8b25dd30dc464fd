"""`switchyard serve` starts the real server; `switchyard pool` reads a running one."""
import os
import select
import signal
import subprocess
import sys

import requests

from tests.integration.conftest import ROOT, _free_port, launch, standard_config


def test_serve_runs_gunicorn_with_the_flags(tmp_path):
    """From any directory: relative paths (here the usage store) are the caller's."""
    config = tmp_path / "c.yaml"
    config.write_text("usage: {store-path: ./here.db}\nwatch-config: false\n")
    port = _free_port()
    read_fd, write_fd = os.pipe()
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "SWITCHYARD_HOST",
                                                           "SWITCHYARD_CONFIG")}
    env["SWITCHYARD_READY_FD"] = str(write_fd)
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "proxy", "serve", "--port", str(port),
                                 "--config", str(config), "--workers", "2"],
                                cwd=str(tmp_path), env=env, stdout=out, stderr=subprocess.STDOUT,
                                pass_fds=(write_fd,))
    os.close(write_fd)
    try:
        readable, _, _ = select.select([read_fd], [], [], 60)
        assert readable and os.read(read_fd, 64).startswith(b"ready"), log.read_text()
        assert requests.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    finally:
        os.close(read_fd)
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    text = log.read_text()
    assert proc.returncode == 0 and "Traceback" not in text
    assert f"listening:   http://127.0.0.1:{port}" in text and "workers:     2" in text
    assert f"config:      {config}" in text
    assert (tmp_path / "here.db").exists()


def test_pool_prints_the_running_gateways_credentials(fake, tmp_path):
    gw = launch(standard_config(fake.url), str(tmp_path))
    try:
        proc = subprocess.run([sys.executable, "-m", "proxy", "pool", "--url", gw.url],
                              cwd=ROOT, capture_output=True, text=True, timeout=30)
    finally:
        gw.stop()
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:5] == ["id", "provider", "label", "key", "state"]
    rows = [line.split() for line in lines[2:]]
    assert sorted(r[1] for r in rows) == ["claude", "codex", "echo", "gemini", "openai-compat"]
    assert all("ready" in r for r in rows)
    assert "sk-up-claude-1" not in proc.stdout


def test_pool_without_a_gateway_says_so(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "proxy", "pool", "--url",
                           f"http://127.0.0.1:{_free_port()}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1 and "cannot reach the gateway" in proc.stderr
