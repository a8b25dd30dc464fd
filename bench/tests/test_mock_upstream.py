"""The mock's routing, HTTP handling and control endpoints."""
import http.client
import json
import time

import pytest

from bench import wire
from bench.mock_upstream import route
from bench.servers import configure_mock, mock_stats, release_mock


@pytest.mark.parametrize("path, body, expected", [
    (b"/v1/chat/completions", b'{"model": "a", "stream": true, '
     b'"stream_options": {"include_usage": true}}', ("openai", "a", True, True)),
    (b"/chat/completions", b'{"model": "a"}', ("openai", "a", False, False)),
    (b"/v1/responses", b'{"model": "r", "stream": true}', ("responses", "r", True, False)),
    (b"/v1/messages", b'{"model": "c"}', ("claude", "c", False, False)),
    (b"/v1beta/models/gemini%2Dx:streamGenerateContent", b"{}", ("gemini", "gemini-x", True, False)),
    (b"/v1beta/models/g:generateContent", b"{}", ("gemini", "g", False, False)),
    (b"/v1/embeddings", b"{}", None),
])
def test_route(path, body, expected):
    assert route(path, b"", body) == expected


def _post(port, path, body, headers=None, encode_chunked=False):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", path, body, headers or {}, encode_chunked=encode_chunked)
    return conn, conn.getresponse()


def test_chunked_request_body_is_read(mock):
    parts = iter([b'{"model": ', b'"m"}'])
    conn, response = _post(mock.port, "/v1/messages", parts,
                           {"Transfer-Encoding": "chunked"}, encode_chunked=True)
    assert response.status == 200
    assert json.loads(response.read())["model"] == "m"
    conn.close()


def test_keep_alive_serves_many_requests_on_one_connection(mock):
    conn = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=10)
    for _ in range(3):
        conn.request("POST", "/v1/chat/completions", b'{"model": "m"}')
        assert json.loads(conn.getresponse().read())["usage"]["completion_tokens"] == 16
    conn.close()


def test_unknown_route_and_setting(mock):
    assert _post(mock.port, "/v2/nothing", b"{}")[1].status == 404
    assert _post(mock.port, "/__mock__/config", b'{"speed": 1}')[1].status == 400


def test_latency_delays_the_answer(mock):
    configure_mock(mock, latency_ms=30)
    started = time.perf_counter()
    _post(mock.port, "/v1/messages", b'{"model": "m"}')[1].read()
    assert time.perf_counter() - started >= 0.03


def test_token_count_is_configurable(mock):
    configure_mock(mock, tokens=3)
    body = _post(mock.port, "/v1/messages", b'{"model": "m"}')[1].read()
    assert json.loads(body)["content"][0]["text"] == wire.full_text(3)


def test_held_stream_waits_for_release(mock):
    configure_mock(mock, hold=True, tokens=3)
    conn, response = _post(mock.port, "/v1/chat/completions", b'{"model": "m", "stream": true}')
    first = response.read1(65536)
    while b"tok000" not in first:
        first += response.read1(65536)
    assert b"tok001" not in first
    assert mock_stats(mock)["streams_open"] == 1
    release_mock(mock)
    rest = response.read()
    assert b"tok002" in rest and rest.rstrip().endswith(b"data: [DONE]")
    assert mock_stats(mock)["streams_open"] == 0
    conn.close()


def test_agent_sized_bodies_are_answered_and_their_route_remembered(mock):
    from bench import agent_session, mock_upstream
    text = agent_session.body("claude", "bench-claude", 1_000_000).encode()
    conn, response = _post(mock.port, "/v1/messages", text)
    assert response.status == 200
    assert json.loads(response.read())["model"] == "bench-claude"
    conn.close()
    found = route(b"/v1/messages", b"", text)
    assert found == ("claude", "bench-claude", False, False)
    assert (b"/v1/messages", text) in mock_upstream._routes      # this process's cache
    assert route(b"/v1/messages", b"", text) is found


def test_whole_answer_of_a_hundred_kilobytes(mock):
    configure_mock(mock, tokens=wire.tokens_for_text(100_000))
    body = _post(mock.port, "/v1/chat/completions", b'{"model": "m"}')[1].read()
    assert len(json.loads(body)["choices"][0]["message"]["content"]) >= 100_000
