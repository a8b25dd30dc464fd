"""The live request feed through a real gateway: a request finished by the
relay reaches an open SSE stream, and SIGTERM ends open streams at once
instead of holding the graceful stop for its whole timeout."""
import signal
import time

import pytest
import requests

from tests.integration.conftest import CLIENT_KEY, MODELS, launch, standard_config

SECRET = "live-feed-secret"


@pytest.fixture
def live_gateway(fake, tmp_path):
    gw = launch(standard_config(fake.url, **{"remote-management": {"secret-key": SECRET}}),
                str(tmp_path))
    yield gw
    gw.stop()


def _events(lines):
    """(id, data) of each SSE event from an iterator of lines."""
    event = {}
    for line in lines:
        if not line:
            if "data" in event:
                yield event.get("id"), event["data"]
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            event[name] = value


def test_live_stream_follows_requests_and_ends_on_sigterm(live_gateway, upstream):
    stream = requests.get(f"{live_gateway.url}/v0/management/requests/live",
                          headers={"Authorization": f"Bearer {SECRET}"}, stream=True, timeout=20)
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    assert stream.headers["Connection"] == "close"    # nothing idle left once it ends
    lines = stream.iter_lines(decode_unicode=True)
    assert next(lines) == "retry: 2000"
    answer = requests.post(f"{live_gateway.url}/v1/chat/completions",
                           # (closed after: an idle keep-alive would hold the stop)
                           headers={"Authorization": f"Bearer {CLIENT_KEY}",
                                    "X-Request-Id": "live-1", "Connection": "close"},
                           json={"model": MODELS["claude"],
                                 "messages": [{"role": "user", "content": "hi"}]}, timeout=20)
    assert answer.status_code == 200
    events = _events(lines)
    seq, data = next(events)
    assert seq == "1" and '"request_id":"live-1"' in data and '"provider":"claude"' in data
    started = time.monotonic()
    live_gateway.proc.send_signal(signal.SIGTERM)
    assert list(events) == []                   # the stream ends...
    live_gateway.proc.wait(15)
    assert time.monotonic() - started < 10      # ...well before graceful_timeout (30 s)
