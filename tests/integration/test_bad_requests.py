"""Requests refused before the relay: a clear answer in the client's
dialect, never an empty body, a wrong status or a connection held open."""
import json
import socket
import time

import pytest
import requests

from tests.integration.conftest import CLIENT_KEY, MODELS, launch, standard_config
from tests.integration.test_gateway_basics import _raw_exchange


@pytest.fixture(scope="module")
def small_gateway(fake, tmp_path_factory):
    config = standard_config(fake.url, **{"request-body-limit-mb": 1})
    gw = launch(config, str(tmp_path_factory.mktemp("bad")))
    yield gw
    gw.stop()


def test_get_on_a_post_route_is_405(small_gateway):
    resp = requests.get(f"{small_gateway.url}/v1beta/models/{MODELS['gemini']}:generateContent",
                        headers={"x-goog-api-key": CLIENT_KEY}, timeout=10)
    assert resp.status_code == 405 and resp.headers["Allow"] == "POST"
    assert resp.json()["error"]["code"] == 405


def test_request_line_over_8k_is_414_with_a_dialect_body(small_gateway):
    answer = _raw_exchange(small_gateway.url, b"GET /v1/messages?q=" + b"a" * 9000 +
                           b" HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414")
    assert json.loads(body)["type"] == "error"


def test_malformed_header_is_400_with_a_dialect_body(small_gateway):
    answer = _raw_exchange(small_gateway.url, b"POST /v1/chat/completions HTTP/1.1\r\n"
                                              b"Host: x\r\nX-Smuggle : 1\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert "Malformed request" in json.loads(body)["error"]["message"]


def test_chunked_body_over_the_limit_is_413(small_gateway):
    def chunks():
        for _ in range(40):
            yield b"x" * 65536          # 2.5 MB against a 1 MB limit
    resp = requests.post(f"{small_gateway.url}/v1/chat/completions", data=chunks(), timeout=20,
                         headers={"Authorization": f"Bearer {CLIENT_KEY}",
                                  "Content-Type": "application/json"})
    assert resp.status_code == 413
    assert "request-body-limit-mb" in resp.json()["error"]["message"]


def test_a_body_shorter_than_its_content_length_does_not_hold_the_connection(small_gateway):
    host, port = small_gateway.url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer " + CLIENT_KEY.encode() +
                     b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert time.monotonic() - started < 20
    assert answer.startswith(b"HTTP/1.1 400") and b"Content-Length" in answer
