"""Hot reload: valid changes go live, invalid files are rejected, no sleeps."""
import logging
import os

import pytest

from proxy.admin import reload
from proxy import runtime
from proxy.errors import ConfigError


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch):
    monkeypatch.setitem(reload.SCRYPT, "n", 2 ** 4)


@pytest.fixture
def live(tmp_path):
    """A config file, loaded and live, as the server starts."""
    saved = runtime.current()
    path = tmp_path / "config.yaml"
    state = {"mtime": 1_700_000_000_000_000_000}

    def write(text):
        path.write_text(text, encoding="utf-8")
        # A distinct mtime per write, whatever the filesystem's clock granularity.
        state["mtime"] += 1_000_000_000
        os.utime(path, ns=(state["mtime"], state["mtime"]))

    write("port: 8001\n")
    reload.apply(reload.parse(path.read_bytes(), str(path)))
    watcher = reload.Watcher(str(path), interval=1.0)
    yield watcher, write
    runtime.install(saved)


def port():
    return runtime.current().config["port"]


def test_nothing_changed(live):
    watcher, _ = live
    assert watcher.check_once() == "unchanged"


def test_valid_change_applied_after_it_settles(live):
    watcher, write = live
    before = runtime.current()
    write("port: 8002\n")
    assert watcher.check_once() == "pending"
    assert port() == 8001
    assert watcher.check_once() == "applied"
    assert port() == 8002
    assert before.config["port"] == 8001      # a request holding the old snapshot keeps it
    assert watcher.check_once() == "unchanged"


def test_file_still_being_written_waits(live):
    watcher, write = live
    write("port: 80")
    assert watcher.check_once() == "pending"
    write("port: 8003\n")
    assert watcher.check_once() == "pending"
    assert watcher.check_once() == "applied"
    assert port() == 8003


def test_same_bytes_rewritten_do_not_reapply(live):
    watcher, write = live
    before = runtime.current()
    write("port: 8001\n")
    watcher.check_once()
    assert watcher.check_once() == "unchanged"
    assert runtime.current() is before


@pytest.mark.parametrize("text, reason", [
    ("port: [8002\n", "not valid YAML"),
    ("port: eighty\n", "port: expected int"),
    ("- a list\n", "top level must be a mapping"),
])
def test_invalid_file_rejected_and_old_config_kept(live, caplog, text, reason):
    watcher, write = live
    before = runtime.current()
    write(text)
    watcher.check_once()
    with caplog.at_level(logging.ERROR, logger="switchyard.config"):
        assert watcher.check_once() == "rejected"
    assert runtime.current() is before
    assert "rejected, keeping the current config" in caplog.text and reason in caplog.text
    caplog.clear()
    write(text + "\n")                       # still broken: judged, but logged once per content
    watcher.check_once()
    write("port: 8004\n")                     # fixed
    watcher.check_once()
    assert watcher.check_once() == "applied"
    assert port() == 8004


def test_deleted_file_keeps_config(live, tmp_path):
    watcher, _ = live
    before = runtime.current()
    os.unlink(tmp_path / "config.yaml")
    assert watcher.check_once() == "pending"
    assert watcher.check_once() == "missing"
    assert runtime.current() is before


def test_apply_keeps_only_a_hash_of_the_management_secret(live):
    watcher, write = live
    write("remote-management:\n  secret-key: hunter2-admin\n")
    watcher.check_once()
    watcher.check_once()
    secret = runtime.current().config["remote-management"]["secret-key"]
    assert isinstance(secret, reload.SecretHash)
    assert "hunter2" not in repr(runtime.current().config)
    assert secret.verify("hunter2-admin") and not secret.verify("hunter3-admin")


def test_reload_now_forces_and_raises_on_invalid(live):
    _, write = live
    watcher = reload.start_watcher(live[0].path, interval=3600)   # polls only when told
    try:
        before = runtime.current()
        assert reload.reload_now(watcher.path) == "applied"
        assert runtime.current() is not before
        write("port: 8005\n")
        assert reload.reload_now(watcher.path) == "applied"
        assert port() == 8005
        watcher.check_once()
        assert watcher.check_once() == "unchanged"   # the watcher saw those bytes applied
        write("port: nope\n")
        with pytest.raises(ConfigError, match="port"):
            reload.reload_now(watcher.path)
        assert port() == 8005
    finally:
        reload.stop_watcher()
