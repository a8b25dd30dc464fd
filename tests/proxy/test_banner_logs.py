"""The startup banner's content, the shared log format, the port check."""
import logging
import os
import re
import socket
import subprocess
import sys

from proxy.telemetry import access_log
from proxy.http import banner, portcheck
from proxy import config as config_mod, logs

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_banner_without_a_config_file():
    lines = banner.lines(config_mod.build({}), config_file=None,
                         addresses=["http://127.0.0.1:8317"], workers=1)
    text = "\n".join(lines)
    assert lines[0].startswith("Switchyard ")
    assert "config:      none: built-in echo only" in text
    assert "auth:        off (no api-keys; loopback only)" in text
    assert "credentials: none" in text and "models:      echo" in text
    assert "usage store: ./usage.db (SQLite)" in text
    assert "management:  off" in text
    assert "dashboard:   http://127.0.0.1:8317/dashboard" in text


def test_banner_counts_credentials_and_lists_models_never_keys():
    built = config_mod.build({
        "api-keys": ["sk-client-0123456789"],
        "claude-api-key": [{"api-key": "sk-ant-real-0001", "models": [{"name": "claude-x", "alias": "cx"}]},
                           {"api-key": "sk-ant-real-0002", "prefix": "team"}],
        "remote-management": {"secret-key": "admin-secret"}, "echo": False})
    text = "\n".join(banner.lines(built, config_file="/etc/switchyard.yaml",
                                  addresses=["http://0.0.0.0:8317"], workers=4))
    assert "config:      /etc/switchyard.yaml" in text
    assert "auth:        on (1 client key)" in text
    assert "credentials: claude 2" in text
    assert "models:      cx, claude-x, team/claude-*" in text
    assert "management:  on (loopback only)" in text and "workers:     4" in text
    assert "sk-" not in text and "admin-secret" not in text


def test_one_timestamp_format_utc_with_milliseconds():
    record = logging.LogRecord("switchyard.access", logging.INFO, __file__, 1, "status=%d", (200,), None)
    record.created = 1_800_000_000.5
    record.msecs = 500.0
    assert logs.Formatter().format(record) == \
        "2027-01-15T08:00:00.500Z INFO switchyard.access status=200"


def test_timestamp_follows_each_line_within_and_across_seconds():
    formatter = logs.Formatter()

    def stamp(created):
        record = logging.LogRecord("switchyard", logging.INFO, __file__, 1, "x", None, None)
        record.created, record.msecs = created, (created % 1) * 1000
        return formatter.format(record).split(" ")[0]
    assert stamp(1_800_000_000.25) == "2027-01-15T08:00:00.250Z"
    assert stamp(1_800_000_000.75) == "2027-01-15T08:00:00.750Z"
    assert stamp(1_800_000_061.0) == "2027-01-15T08:01:01.000Z"
    assert stamp(1_800_000_000.5) == "2027-01-15T08:00:00.500Z"     # a late line


def test_format_without_process_field_survives_log_processes_off():
    """gunicorn's default format named %(process)d; app.py turns logProcesses off."""
    assert "process" not in logs.FORMAT
    assert "process" not in str(logs.gunicorn_logconfig())


def test_native_handler_locks_after_gevent_patching_serve_greenlets_and_threads(tmp_path):
    # a worker's handlers get green locks from gevent's patching; app.py
    # gives them native ones back: every line of green threads and OS
    # threads writing at once still arrives whole
    script = tmp_path / "lines.py"
    script.write_text("""
from gevent import monkey; monkey.patch_all()
import logging, sys, threading, gevent
from proxy import logs
out = open(sys.argv[1], "w")
handler = logging.StreamHandler(out)
handler.setFormatter(logs.Formatter())
logging.getLogger().addHandler(handler)
logging.getLogger().setLevel("INFO")
green = type(handler.lock).__module__
logs.native_locks()
native = type(handler.lock).__module__
log = logging.getLogger("switchyard.access")
finished = []
def lines(tag):
    for i in range(200):
        log.info("%s line %d %s", tag, i, "x" * 100)
        if i % 50 == 0 and tag.startswith("g"):
            gevent.sleep(0)
    finished.append(tag)
for n in range(2):
    monkey.get_original("_thread", "start_new_thread")(lines, (f"t{n}",))
gevent.joinall([gevent.spawn(lines, f"g{n}") for n in range(20)])
with gevent.Timeout(30):
    while len(finished) < 22:
        gevent.sleep(0.01)
out.flush()
print(green, native)
""")
    result = subprocess.run([sys.executable, str(script), str(tmp_path / "out.log")],
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["threading", "_thread"]
    written = (tmp_path / "out.log").read_text().splitlines()
    assert len(written) == 22 * 200
    assert all(line.endswith(" " + "x" * 100) and " INFO switchyard.access " in line
               for line in written)


def test_log_level_any_case(monkeypatch):
    monkeypatch.setenv("SWITCHYARD_LOG_LEVEL", "debug")
    assert logs.level() == "DEBUG"
    monkeypatch.setenv("SWITCHYARD_LOG_LEVEL", "chatty")
    assert logs.level() == "INFO"


def test_text_access_lines_leave_empty_fields_out_json_keeps_them():
    fields = {"request_id": "r1", "status": 200, "actor": "", "ttft_ms": None, "client_label": "t"}
    assert access_log.format_line(fields, "text") == "request_id=r1 status=200 client_label=t"
    assert '"actor":""' in access_log.format_line(fields, "json")


def test_busy_message_names_the_holder():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        message = portcheck.busy_message("127.0.0.1", port)
    assert re.search(rf"port {port} on 127.0.0.1 is already in use by pid \d+ \(", message)
    assert portcheck.busy_message("127.0.0.1", port) is None         # closed: free again


def test_banner_names_shared_stores_without_passwords():
    built = config_mod.build({"usage": {"database-url": "postgresql://sy:pw-secret@db:5432/usage"},
                          "state": {"redis-url": "redis://:redis-secret@cache:6379/0"}})
    text = "\n".join(banner.lines(built, config_file=None, addresses=[], workers=2))
    assert "usage store: postgresql://sy:***@db:5432/usage (PostgreSQL)" in text
    assert "pool state:  redis://:***@cache:6379/0 (Redis, shared)" in text
    assert "pw-secret" not in text and "redis-secret" not in text
