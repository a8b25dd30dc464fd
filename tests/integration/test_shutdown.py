"""SIGTERM with streams open: each still-open stream gets its dialect's
error event before the graceful timeout runs out, its usage is recorded,
then the worker exits."""
import signal
import sqlite3
import threading
import time

import requests

from tests.integration.conftest import CLIENT_KEY, KEYS, MODELS, launch, standard_config
from tests.integration.fake_upstream import Fault


def test_sigterm_ends_open_streams_with_an_error_event_and_records_them(fake, upstream,
                                                                        tmp_path):
    db = tmp_path / "usage.db"
    gw = launch(standard_config(fake.url, usage={"enabled": True, "store-path": str(db)}),
                str(tmp_path), env_extra={"GUNICORN_CMD_ARGS": "--graceful-timeout 3"})
    try:
        gate = threading.Event()
        upstream.script(KEYS["claude"], Fault(gate=gate, gate_at=2))
        with requests.post(f"{gw.url}/v1/messages", stream=True, timeout=20,
                           headers={"x-api-key": CLIENT_KEY, "X-Request-Id": "term-1",
                                    "Connection": "close"},
                           json={"model": MODELS["claude"], "max_tokens": 20, "stream": True,
                                 "messages": [{"role": "user", "content": "hi"}]}) as resp:
            lines = resp.iter_lines()
            assert next(line for line in lines if line) == b"event: message_start"
            gw.proc.send_signal(signal.SIGTERM)
            started = time.monotonic()
            rest = [line for line in lines if line]
        assert time.monotonic() - started < 3
        assert rest[-2] == b"event: error" and b"shutting down" in rest[-1]
        assert b"message_stop" not in b"".join(rest)
        assert gw.proc.wait(15) == 0
        with sqlite3.connect(db) as conn:
            row = conn.execute("SELECT status, error_class FROM requests WHERE request_id = ?",
                               ("term-1",)).fetchone()
        assert row == (200, "shutdown")
    finally:
        gate.set()
        gw.stop()
