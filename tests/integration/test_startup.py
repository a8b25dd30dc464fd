"""Startup and shutdown as an operator sees them: the banner, one line per
worker, one timestamp format, clean exits, refusals that say what to do."""
import os
import re
import signal
import socket
import subprocess
import sys

import pytest
import requests

from tests.integration.conftest import CLIENT_KEY, ROOT, launch, standard_config

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def run_gunicorn(env_extra, timeout=30):
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "SWITCHYARD_HOST")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_banner_worker_lines_and_a_clean_shutdown(fake, tmp_path, sig):
    config = standard_config(fake.url, **{"api-keys": [CLIENT_KEY, "sk-second-key-0123"],
                                          "debgu": True})
    gw = launch(config, str(tmp_path), env_extra={"WEB_CONCURRENCY": "2"})
    try:
        assert requests.post(f"{gw.url}/v1/chat/completions",
                             headers={"Authorization": f"Bearer {CLIENT_KEY}"},
                             json={"model": "echo", "messages": [{"role": "user", "content": "x"}]}
                             ).status_code == 200
    finally:
        gw.proc.send_signal(sig)
        gw.proc.wait(30)
    log = gw.log()
    lines = log.splitlines()
    assert gw.proc.returncode == 0
    assert "Traceback" not in log and "Logging error" not in log
    assert all(TIMESTAMP.match(line) for line in lines), log
    assert log.count("Switchyard 0.1.0") == 1
    assert f"config:      {gw.config_path}" in log
    assert f"listening:   {gw.url}" in log
    assert "auth:        on (2 client keys)" in log
    assert "credentials: claude 1, gemini 1, codex 1, openai-compat 1" in log
    assert "usage store: off" in log and "management:  off" in log
    assert f"dashboard:   {gw.url}/dashboard" in log
    assert len(re.findall(r"worker \d+ serving", log)) == 2
    # config warnings once (master), not once per worker
    assert log.count("unknown key debgu ignored (did you mean debug?)") == 1
    # the text access line leaves out empty fields (no actor, no client label)
    access = next(line for line in lines if "switchyard.access" in line)
    assert "actor=" not in access and "client_label=" not in access and "status=200" in access


def test_port_alone_refusal_says_what_to_do(tmp_path):
    (tmp_path / "c.yaml").write_text("debug: false\n")
    proc = run_gunicorn({"SWITCHYARD_CONFIG": str(tmp_path / "c.yaml"), "PORT": "0"})
    assert proc.returncode != 0
    assert "PORT is set, so Switchyard listens on 0.0.0.0" in proc.stderr
    assert "api-keys" in proc.stderr and "SWITCHYARD_HOST=127.0.0.1" in proc.stderr


def test_busy_port_names_the_process_holding_it(tmp_path):
    (tmp_path / "c.yaml").write_text("")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = run_gunicorn({"SWITCHYARD_CONFIG": str(tmp_path / "c.yaml"), "PORT": str(port),
                             "SWITCHYARD_HOST": "127.0.0.1"})
    assert proc.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use by pid {os.getpid()}" in proc.stderr
    assert f"--port {port + 1}" in proc.stderr


def test_named_config_file_missing_is_an_error(tmp_path):
    proc = run_gunicorn({"SWITCHYARD_CONFIG": str(tmp_path / "nope.yaml"), "PORT": "0",
                         "SWITCHYARD_HOST": "127.0.0.1"})
    assert proc.returncode != 0
    assert "nope.yaml: no such file" in proc.stderr


def test_near_miss_of_api_keys_refuses_to_start(tmp_path):
    (tmp_path / "c.yaml").write_text("api-key:\n  - sk-real-0123456789\n")
    proc = run_gunicorn({"SWITCHYARD_CONFIG": str(tmp_path / "c.yaml"), "PORT": "0",
                         "SWITCHYARD_HOST": "127.0.0.1"})
    assert proc.returncode != 0
    assert "unknown key api-key (did you mean api-keys?)" in proc.stderr


def test_lower_case_log_level_boots(tmp_path):
    gw = launch({}, str(tmp_path), env_extra={"SWITCHYARD_LOG_LEVEL": "debug"})
    try:
        assert requests.get(f"{gw.url}/healthz").status_code == 200
    finally:
        gw.stop()
