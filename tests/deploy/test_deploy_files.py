"""deploy/: what can be checked without Docker or root.

The Dockerfile's steps themselves run in ``make test-deploy``
(deploy/check_dockerfile.py, a minute of pip installs); here its shape is
checked, the compose file parsed, and the systemd unit verified by
``systemd-analyze verify`` when the machine has it.
"""
import importlib.util
import os
import shutil
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")


def _check_script():
    spec = importlib.util.spec_from_file_location(
        "check_dockerfile", os.path.join(DEPLOY, "check_dockerfile.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def steps():
    return _check_script().instructions(os.path.join(DEPLOY, "Dockerfile"))


def _all(steps, keyword):
    return [arg for kw, arg in steps if kw == keyword]


def test_slim_base_and_non_root_user_for_the_server(steps):
    assert steps[0][0] == "FROM" and steps[0][1].endswith("-slim")
    keywords = [kw for kw, _ in steps]
    user_at = keywords.index("USER")
    assert _all(steps, "USER") == ["switchyard"]
    assert "RUN" not in keywords[user_at:] and keywords[-1] == "CMD"


def test_healthcheck_volume_and_working_directory(steps):
    (healthcheck,) = _all(steps, "HEALTHCHECK")
    assert "/healthz" in healthcheck
    assert _all(steps, "VOLUME") == ['["/data"]']
    assert _all(steps, "WORKDIR")[-1] == "/data"      # ./config.yaml and ./usage.db on the volume
    assert _check_script().exec_form(_all(steps, "CMD")[0]) == [
        "gunicorn", "-c", "/app/gunicorn.conf.py", "app:app"]


def test_every_copied_path_exists_and_the_runtime_is_complete(steps):
    copied = set()
    for arg in _all(steps, "COPY"):
        *sources, _ = arg.split()
        copied.update(sources)
    for source in copied:
        assert os.path.exists(os.path.join(ROOT, source)), source
    assert {"requirements.txt", "pyproject.toml", "app.py", "gunicorn.conf.py", "proxy",
            "translators"} <= copied


def test_compose_runs_the_gateway_alone_and_shared_state_behind_a_profile():
    with open(os.path.join(DEPLOY, "compose.yaml")) as f:
        compose = yaml.safe_load(f)
    gateway = compose["services"]["switchyard"]
    build = gateway["build"]
    assert os.path.exists(os.path.join(DEPLOY, build["context"], build["dockerfile"]))
    assert any(v.endswith(":/data") for v in gateway["volumes"])
    assert "profiles" not in gateway
    for name in ("redis", "postgres"):
        assert compose["services"][name]["profiles"] == ["shared-state"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_unit_verifies(tmp_path):
    """Verified with this checkout standing in for /opt/switchyard (verify
    checks that ExecStart is executable)."""
    with open(os.path.join(DEPLOY, "switchyard.service")) as f:
        unit = f.read().replace("/opt/switchyard", ROOT)
    assert os.path.exists(os.path.join(ROOT, ".venv", "bin", "gunicorn"))
    path = tmp_path / "switchyard.service"
    path.write_text(unit)
    proc = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
