"""Integration fixtures: a fake upstream and real gunicorn+gevent gateways."""
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest
import requests
import yaml

from tests.integration.fake_upstream import FakeUpstream

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENT_KEY = "sk-client-test-0123456789"
MODELS = {"openai": "gpt-fake", "responses": "codex-fake", "claude": "claude-fake",
          "gemini": "gemini-fake"}
KEYS = {"openai": "sk-up-openai-1", "responses": "sk-up-codex-1", "claude": "sk-up-claude-1",
        "gemini": "up-gemini-1"}


def standard_config(fake_url, **overrides):
    """One credential per upstream dialect, each serving one model."""
    config = {
        "api-keys": [CLIENT_KEY],
        "openai-compatibility": [{"name": "fakeopenai", "base-url": f"{fake_url}/v1",
                                  "api-key-entries": [{"api-key": KEYS["openai"]}],
                                  "models": [{"name": MODELS["openai"]}]}],
        "codex-api-key": [{"api-key": KEYS["responses"], "base-url": f"{fake_url}/v1",
                           "models": [{"name": MODELS["responses"]}]}],
        "claude-api-key": [{"api-key": KEYS["claude"], "base-url": fake_url,
                            "models": [{"name": MODELS["claude"]}]}],
        "gemini-api-key": [{"api-key": KEYS["gemini"], "base-url": fake_url,
                            "models": [{"name": MODELS["gemini"]}]}],
        "usage": {"enabled": False},
        "watch-config": False,
    }
    config.update(overrides)
    return config


@dataclass
class Gateway:
    url: str
    proc: subprocess.Popen
    log_path: str
    config_path: str

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def in_flight(self):
        """The gateway's ``switchyard_requests_in_flight`` gauge (None when
        its metrics are off or keyed)."""
        try:
            resp = requests.get(f"{self.url}/metrics", timeout=5)
        except requests.RequestException:
            return None
        for line in resp.text.splitlines() if resp.status_code == 200 else ():
            if line.startswith("switchyard_requests_in_flight "):
                return float(line.split()[1])
        return None

    def settled_in_flight(self, timeout=5.0):
        """The in-flight gauge once it reaches 0, or its value at ``timeout``
        (requests are accounted just after their last byte is sent)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.in_flight()
            if not value or time.monotonic() > deadline:
                return value
            time.sleep(0.05)

    def stop(self):
        """Quick shutdown (SIGINT): a graceful SIGTERM would wait out the
        SDK clients' idle keep-alive connections.  A request still counted
        in flight then is a leak: recorded for ``no_request_left_in_flight``."""
        if self.proc.poll() is None:
            leaked = self.settled_in_flight()
            if leaked:
                LEAKS.append(f"{self.url}: switchyard_requests_in_flight = {leaked}")
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(config, tmp_dir, env_extra=None):
    """Start gunicorn with ``config``; returns once a worker serves."""
    config_path = os.path.join(tmp_dir, "config.yaml")
    with open(config_path, "w") as f:
        yaml.safe_dump(config, f)
    port = _free_port()
    read_fd, write_fd = os.pipe()
    log_path = os.path.join(tmp_dir, "gateway.log")
    env = dict(os.environ, SWITCHYARD_CONFIG=config_path, PORT=str(port),
               SWITCHYARD_HOST="127.0.0.1", SWITCHYARD_READY_FD=str(write_fd))
    env.update(env_extra or {})
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                 "app:app"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, pass_fds=(write_fd,))
    os.close(write_fd)
    readable, _, _ = select.select([read_fd], [], [], 30)
    ready = readable and os.read(read_fd, 64).startswith(b"ready")  # EOF: it died
    os.close(read_fd)
    gateway = Gateway(f"http://127.0.0.1:{port}", proc, log_path, config_path)
    if not ready:
        gateway.stop()
        raise RuntimeError("gateway did not start:\n" + gateway.log())
    return gateway


LEAKS = []   # gateways stopped with requests still counted in flight


@pytest.fixture(scope="module", autouse=True)
def no_request_left_in_flight():
    """Every request a module's gateways served was finished (accounted)
    exactly once: each gateway's in-flight gauge is 0 when it stops."""
    del LEAKS[:]
    yield
    leaks, LEAKS[:] = list(LEAKS), []
    assert not leaks, leaks


@pytest.fixture(scope="session")
def fake():
    upstream = FakeUpstream().start()
    yield upstream
    upstream.stop()


@pytest.fixture
def upstream(fake):
    """The fake upstream, with no scripts or recorded calls left over."""
    fake.reset_state()
    yield fake
    fake.release.set()


@pytest.fixture(scope="module")
def gateway(fake, tmp_path_factory):
    """A gateway with ``standard_config`` (one credential per dialect)."""
    gw = launch(standard_config(fake.url), str(tmp_path_factory.mktemp("gw")))
    yield gw
    gw.stop()
