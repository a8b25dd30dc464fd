"""Starting the servers of a run, and talking to the mock's controls."""
import json
import os
import sys

from bench import targets
from bench.node_peers import install as node_peers
from bench.procs import free_port, http_get, http_post

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
SWITCHYARD_PYTHON_BIN = os.path.join(REPO_DIR, ".venv", "bin")
LITELLM_BIN = os.path.join(BENCH_DIR, ".venv-litellm", "bin", "litellm")


def start_mock(supervisor):
    port = free_port()
    server = supervisor.start("mock", [sys.executable, "-m", "bench.mock_upstream",
                                       "--port", str(port)], port=port, cwd=REPO_DIR)
    server.wait_ready("/__mock__/stats", timeout=15)
    return server


def start_switchyard(supervisor, mock_port, workdir, workers, env=None):
    """gunicorn exactly as the project's Procfile runs it, on a free port
    (``env``: more environment, e.g. a diagnostic's switch)."""
    config_path = os.path.join(workdir, "switchyard.yaml")
    with open(config_path, "w") as f:
        f.write(targets.to_yaml(targets.switchyard_config(mock_port, workdir)))
    port = free_port()
    env = {"SWITCHYARD_CONFIG": config_path, "PORT": str(port),
           "SWITCHYARD_HOST": "127.0.0.1", "WEB_CONCURRENCY": str(workers), **(env or {})}
    argv = [os.path.join(SWITCHYARD_PYTHON_BIN, "gunicorn"), "-c", "gunicorn.conf.py", "app:app"]
    server = supervisor.start("switchyard", argv, port=port, env=env, cwd=REPO_DIR)
    server.wait_ready("/healthz", timeout=30)
    return server


def litellm_available():
    return os.path.exists(LITELLM_BIN)


def start_litellm(supervisor, mock_port, workdir, workers):
    """LiteLLM's proxy (uvicorn), offline: local cost map, no telemetry."""
    config_path = os.path.join(workdir, "litellm.yaml")
    with open(config_path, "w") as f:
        f.write(targets.to_yaml(targets.litellm_config(mock_port)))
    port = free_port()
    argv = [LITELLM_BIN, "--config", config_path, "--host", "127.0.0.1", "--port", str(port),
            "--num_workers", str(workers), "--telemetry", "False"]
    server = supervisor.start("litellm", argv, port=port, cwd=workdir,
                              env={"LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    server.wait_ready("/health/liveliness", timeout=120)
    return server


def start_portkey(supervisor, workdir):
    """Portkey's open-source gateway (Node, one process: one event loop), as
    its docs start it (``npx @portkey-ai/gateway``: build/start-server.js),
    without its web UI.  It holds no upstream config: each request names the
    provider, base URL and key in headers (``targets.via_portkey``).
    Raises ``PeerUnavailable`` when Node or the pinned package is missing."""
    script = node_peers.portkey_script()
    port = free_port()
    argv = [node_peers.node(), script, f"--port={port}", "--headless"]
    server = supervisor.start("portkey", argv, port=port, cwd=workdir)
    server.wait_ready("/", timeout=60)
    return server


def configure_mock(mock, **settings):
    status, body = http_post(mock.port, "/__mock__/config", json.dumps(settings).encode())
    if status != 200:
        raise RuntimeError(f"mock refused settings {settings}: {body!r}")


def release_mock(mock):
    http_post(mock.port, "/__mock__/release")


def mock_stats(mock):
    return json.loads(http_get(mock.port, "/__mock__/stats")[1])
