"""Every request is finished exactly once, however it ends: an access-log
line with its outcome, and the in-flight gauge back to 0 (the module
fixture ``no_request_left_in_flight`` checks the gauge for every module)."""
import re
import socket
import threading
import time
import uuid

import pytest
import requests

from tests.integration.conftest import CLIENT_KEY, KEYS, MODELS, launch, standard_config
from tests.integration.fake_upstream import Fault

BEARER = {"Authorization": f"Bearer {CLIENT_KEY}"}
CHAT = {"model": MODELS["openai"], "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def gw(fake, tmp_path_factory):
    config = standard_config(fake.url, streaming={"keepalive-seconds": 0.1})
    gateway = launch(config, str(tmp_path_factory.mktemp("lifecycle")))
    yield gateway
    gateway.stop()


def access_line(gateway, request_id, timeout=10.0):
    """The access-log line of ``request_id`` (written just after the last byte)."""
    pattern = re.compile(rf"^.*request_id={re.escape(request_id)} .*$", re.M)
    deadline = time.monotonic() + timeout
    while True:
        match = pattern.search(gateway.log())
        if match or time.monotonic() > deadline:
            return match.group(0) if match else None
        time.sleep(0.05)


def _rid():
    return f"lc-{uuid.uuid4().hex[:12]}"


def _stream(gateway, request_id):
    return requests.post(f"{gateway.url}/v1/chat/completions", stream=True, timeout=20,
                         headers=dict(BEARER, **{"X-Request-Id": request_id}),
                         json=dict(CHAT, stream=True))


def test_abort_mid_stream_during_keepalive_is_accounted(gw, upstream):
    fault = Fault(gate=threading.Event())
    upstream.script(KEYS["openai"], fault)
    rid = _rid()
    resp = _stream(gw, rid)
    lines = resp.iter_lines()
    assert next(line for line in lines if line).startswith(b"data: {")
    assert next(line for line in lines if line) == b": keep-alive"   # silence kept alive
    resp.close()                              # the client leaves while we keep it alive
    line = access_line(gw, rid)
    assert line and "status=499" in line and "error_class=client_disconnect" in line
    assert fault.peer_closed.wait(10)         # the upstream call was closed too
    assert "reentrant call" not in gw.log() and "Traceback" not in gw.log()
    assert gw.settled_in_flight() == 0


def test_abort_mid_stream_while_events_flow_is_accounted(gw, upstream):
    fault = Fault(gate=threading.Event(), gate_at=3)
    upstream.script(KEYS["openai"], fault)
    rid = _rid()
    resp = _stream(gw, rid)
    resp.raw.read(20)
    resp.close()
    assert fault.peer_closed.wait(10)
    line = access_line(gw, rid)
    assert line and "status=499" in line
    assert gw.settled_in_flight() == 0


def test_abort_before_the_first_byte_cancels_the_upstream_call(gw, upstream):
    fault = Fault(hang=True, gate=threading.Event())
    upstream.script(KEYS["openai"], fault)
    rid = _rid()
    host, port = gw.url.removeprefix("http://").split(":")
    body = b'{"model":"%s","messages":[{"role":"user","content":"hi"}]}' % MODELS["openai"].encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer %s\r\nX-Request-Id: %s\r\n"
                     b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (CLIENT_KEY.encode(), rid.encode(), len(body), body))
        deadline = time.monotonic() + 10
        while not upstream.calls_for(KEYS["openai"]) and time.monotonic() < deadline:
            time.sleep(0.02)
    # the client is gone before any byte of the answer: the upstream call ends too
    assert fault.peer_closed.wait(10)
    line = access_line(gw, rid)
    assert line and "status=499" in line and "error_class=client_disconnect" in line
    assert gw.settled_in_flight() == 0


def _read_answer(sock):
    """One whole HTTP answer (Content-Length framed) off ``sock``: its head."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length: *(\d+)", head).group(1))
    while len(body) < length:
        body += sock.recv(65536)
    return head


def test_abort_before_the_first_byte_of_a_later_request_on_the_connection(gw, upstream):
    # the connection's hang-up watcher is kept between its requests: it
    # still notices the client leaving during the second one
    host, port = gw.url.removeprefix("http://").split(":")
    body = b'{"model":"%s","messages":[{"role":"user","content":"hi"}]}' % MODELS["openai"].encode()
    rid = _rid()

    def request(request_id):
        return (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Bearer %s\r\nX-Request-Id: %s\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (CLIENT_KEY.encode(), request_id.encode(), len(body), body))

    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request(_rid()))
        assert _read_answer(sock).startswith(b"HTTP/1.1 200")
        fault = Fault(hang=True, gate=threading.Event())
        upstream.script(KEYS["openai"], fault)
        calls = len(upstream.calls_for(KEYS["openai"]))
        sock.sendall(request(rid))
        deadline = time.monotonic() + 10
        while len(upstream.calls_for(KEYS["openai"])) == calls and time.monotonic() < deadline:
            time.sleep(0.02)
    assert fault.peer_closed.wait(10)
    line = access_line(gw, rid)
    assert line and "status=499" in line and "error_class=client_disconnect" in line
    assert gw.settled_in_flight() == 0


def test_upstream_error_is_accounted(gw, upstream):
    upstream.script(KEYS["openai"], Fault(status=400, body={"error": {
        "message": "bad thing", "type": "invalid_request_error"}}))
    rid = _rid()
    resp = requests.post(f"{gw.url}/v1/chat/completions", timeout=20, json=CHAT,
                         headers=dict(BEARER, **{"X-Request-Id": rid}))
    assert resp.status_code == 400
    line = access_line(gw, rid)
    assert line and "status=400" in line
    assert gw.settled_in_flight() == 0


@pytest.mark.parametrize("method,path,headers,body,status", [
    ("POST", "/v1/chat/completions", {}, b"{}", 401),
    ("GET", "/v1/chat/completions", BEARER, None, 405),
    ("POST", "/v1/messages", BEARER, b"{not json", 400),
    ("POST", "/v1/nothing-here", BEARER, b"{}", 404),
])
def test_rejected_requests_are_in_the_access_log(gw, method, path, headers, body, status):
    rid = _rid()
    resp = requests.request(method, gw.url + path, data=body, timeout=20,
                            headers=dict(headers, **{"X-Request-Id": rid}))
    assert resp.status_code == status
    line = access_line(gw, rid)
    assert line and f"status={status}" in line and f"path={path}" in line
    assert CLIENT_KEY not in gw.log()
