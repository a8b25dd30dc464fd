"""Keep-alives: SSE comments (Anthropic: ping events) while an upstream
stream is silent, and blank lines while a whole answer is awaited."""
import json
import threading

import pytest
import requests

from tests.integration.conftest import CLIENT_KEY, KEYS, MODELS, launch, standard_config
from tests.integration.fake_upstream import Fault


@pytest.fixture(scope="module")
def ka_gateway(fake, tmp_path_factory):
    config = standard_config(fake.url, streaming={"keepalive-seconds": 0.1},
                             **{"nonstream-keepalive-interval": 0.1})
    gw = launch(config, str(tmp_path_factory.mktemp("ka")))
    yield gw
    gw.stop()


def _held_stream(gw, upstream, path, key, body, headers):
    """Read a stream whose upstream pauses after its first event until the
    client has seen a keep-alive; returns every non-empty line."""
    gate = threading.Event()
    upstream.script(key, Fault(gate=gate))
    lines = []
    with requests.post(gw.url + path, json=body, headers=headers, stream=True, timeout=20) as resp:
        for line in resp.iter_lines():
            if line:
                lines.append(line)
            if line.startswith((b": keep-alive", b"event: ping")) and not gate.is_set():
                gate.set()
    return lines


def test_sse_keepalive_comment_while_upstream_is_silent(ka_gateway, upstream):
    lines = _held_stream(ka_gateway, upstream, "/v1/chat/completions", KEYS["openai"],
                         {"model": MODELS["openai"], "stream": True,
                          "messages": [{"role": "user", "content": "hi"}]},
                         {"Authorization": f"Bearer {CLIENT_KEY}"})
    assert b": keep-alive" in lines
    first_ka = lines.index(b": keep-alive")
    assert lines[first_ka - 1].startswith(b"data: {")     # between whole events
    assert lines[-1] == b"data: [DONE]"


def test_anthropic_clients_get_ping_events(ka_gateway, upstream):
    lines = _held_stream(ka_gateway, upstream, "/v1/messages", KEYS["claude"],
                         {"model": MODELS["claude"], "stream": True, "max_tokens": 10,
                          "messages": [{"role": "user", "content": "hi"}]},
                         {"x-api-key": CLIENT_KEY})
    pings = [i for i, line in enumerate(lines) if line == b"event: ping"]
    assert len(pings) >= 2            # the upstream's own ping, and ours
    assert lines[-1].startswith(b"data: {") and b"message_stop" in lines[-1]


def test_blank_lines_while_whole_answer_awaited(ka_gateway, upstream):
    gate = threading.Event()
    upstream.script(KEYS["openai"], Fault(gate=gate))     # the upstream answers late
    with requests.post(f"{ka_gateway.url}/v1/chat/completions", timeout=20, stream=True,
                       headers={"Authorization": f"Bearer {CLIENT_KEY}"},
                       json={"model": MODELS["openai"],
                             "messages": [{"role": "user", "content": "hi"}]}) as resp:
        assert resp.status_code == 200
        assert resp.raw.read(1) == b"\n"                  # kept alive while waiting
        gate.set()
        rest = resp.raw.read()
    assert json.loads(rest)["choices"][0]["message"]["content"] == "Hello from openai"
