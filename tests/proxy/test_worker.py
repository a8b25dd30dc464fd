"""The gunicorn worker's pywsgi handler: how responses are written."""
import http.client
import io
import json
import logging
import re
from types import SimpleNamespace

import gevent
import pytest
from gevent import socket
from gevent.pywsgi import WSGIHandler, WSGIServer

from proxy.http import worker
from proxy.wire import gather


class RecordingHandler(worker.Handler):
    writes = []
    access_log = False

    def _sendall(self, data):
        RecordingHandler.writes.append(bytes(data))
        super()._sendall(data)

    def _send_gathered(self, head, data):
        RecordingHandler.writes.append(("gathered", bytes(head), bytes(data)))
        super()._send_gathered(head, data)


def _chunks(*chunks):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter(chunks)          # no len(): pywsgi answers chunked
    return app


def _whole(body):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    return app


@pytest.fixture
def serve():
    servers = []

    def start(app, handler=RecordingHandler, log=None):
        RecordingHandler.writes = []
        server = WSGIServer(("127.0.0.1", 0), app, handler_class=handler, log=log, error_log=None)
        server.start()
        servers.append(server)
        return server.server_port
    yield start
    for server in servers:
        server.stop()


def _exchange(port, head):
    """Send ``head`` over a gevent socket; every byte until the server closes."""
    def run():
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(head)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
        sock.close()
        return raw
    return gevent.spawn(run).get(timeout=10)


def _get(port):
    """One GET; the parsed ``http.client`` response and the raw bytes."""
    raw = _exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    response = http.client.HTTPResponse(SimpleNamespace(makefile=lambda *a: io.BytesIO(raw)))
    response.begin()
    return response, raw


def test_whole_answer_leaves_in_one_write(serve):
    response, raw = _get(serve(_whole(b'{"ok":true}')))
    assert response.status == 200 and response.read() == b'{"ok":true}'
    assert RecordingHandler.writes == [raw]
    assert re.search(rb"\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n", raw)


def test_chunked_head_shares_the_first_chunk_and_frames_it(serve):
    response, raw = _get(serve(_chunks(b"data: one\n\n", b"data: two\n\n")))
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.read() == b"data: one\n\ndata: two\n\n"
    first, second, terminator = RecordingHandler.writes
    assert first.endswith(b"\r\n\r\nb\r\ndata: one\n\n\r\n")
    assert second == b"b\r\ndata: two\n\n\r\n" and terminator == b"0\r\n\r\n"


def test_empty_body_sends_the_head_alone(serve):
    response, raw = _get(serve(_chunks()))
    assert response.status == 200 and response.read() == b""
    assert RecordingHandler.writes[0].endswith(b"\r\n\r\n")


def test_large_first_chunk_is_not_copied_into_the_head(serve):
    body = b"x" * (worker._COALESCE_LIMIT + 1)
    response, raw = _get(serve(_whole(body)))
    assert response.read() == body
    assert RecordingHandler.writes[-1] == body and len(RecordingHandler.writes) == 2


def test_a_large_whole_answer_is_gathered_behind_the_head(serve):
    body = b"x" * gather.GATHER_FROM
    response, raw = _get(serve(_whole(body)))
    assert response.status == 200 and response.read() == body
    [(kind, head, data)] = RecordingHandler.writes
    assert kind == "gathered" and head.endswith(b"\r\n\r\n") and data == body
    assert raw == head + body


def test_a_smaller_answer_is_joined_to_the_head(serve):
    body = b"x" * (gather.GATHER_FROM - 1)
    response, raw = _get(serve(_whole(body)))
    assert response.read() == body and RecordingHandler.writes == [raw]


def test_date_is_formatted_once_a_second():
    assert worker._http_date(784111777.2) == b"Sun, 06 Nov 1994 08:49:37 GMT"
    assert worker._http_date(784111777.9) is worker._http_date(784111777.5)
    assert worker._http_date(784111778.0) == b"Sun, 06 Nov 1994 08:49:38 GMT"


class AccessLogged(RecordingHandler):
    access_log = True


@pytest.mark.parametrize("handler, lines", [(RecordingHandler, 0), (AccessLogged, 1)])
def test_gunicorn_access_record_only_when_its_log_is_on(serve, handler, lines):
    logged = []
    log = SimpleNamespace(access=lambda resp, req, environ, took: logged.append(resp.status),
                          write=lambda text: None)
    response, _ = _get(serve(_whole(b"{}"), handler, log))
    assert response.status == 200
    assert logged == ["200 OK"] * lines


def _gunicorn_log(enabled, handler):
    access = logging.Logger("gunicorn.access.test", logging.INFO)    # not in the registry
    access.propagate = False
    if handler:
        access.addHandler(logging.NullHandler())
    return SimpleNamespace(access_log_enabled=enabled, access_log=access)


@pytest.mark.parametrize("enabled, handler, writes", [
    (True, False, False),     # a logconfig_dict alone (Switchyard's): gunicorn says on, writes nowhere
    (True, True, True),       # --access-logfile / accesslog
    (False, True, False)])
def test_gunicorn_access_log_counts_as_on_only_when_it_writes(enabled, handler, writes):
    assert worker.access_log_writes(_gunicorn_log(enabled, handler)) is writes


def _settings(*args):
    from gunicorn.config import Config
    cfg = Config()
    for name, value in zip(args[::2], args[1::2]):
        cfg.set(name, value)
    return worker.handler_settings(cfg)


def test_gunicorn_settings_reach_the_handler():
    assert _settings() == {"idle_timeout": 2, "limit_request_line": 4094,
                           "limit_request_fields": 100, "limit_request_field_size": 8190}
    unlimited = _settings("keepalive", 0, "limit_request_line", 0,
                          "limit_request_fields", 0, "limit_request_field_size", 0)
    assert unlimited == {"idle_timeout": None, "limit_request_line": 8192,
                         "limit_request_fields": 32768, "limit_request_field_size": 65536}


class Limited(RecordingHandler):
    limit_request_line = 60
    limit_request_fields = 3
    limit_request_field_size = 30


@pytest.mark.parametrize("head, status, shape", [
    (b"GET /v1/chat/completions?" + b"q" * 60 + b" HTTP/1.1\r\n\r\n", 414, "openai"),
    (b"POST /v1/messages HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431, "claude"),
    (b"POST /v1beta/models/m:generateContent HTTP/1.1\r\nA: " + b"x" * 40 + b"\r\n\r\n",
     431, "gemini"),
])
def test_limits_answer_in_the_dialect_of_the_path(serve, head, status, shape):
    raw = _exchange(serve(_whole(b"{}"), Limited), head)
    top, _, body = raw.partition(b"\r\n\r\n")
    assert top.startswith(b"HTTP/1.1 %d " % status) and b"Connection: close" in top
    error = json.loads(body)
    request_id = re.search(rb"\r\nX-Request-Id: (\w+)\r\n", top).group(1).decode()
    if shape == "claude":     # quoted where the Anthropic SDK reads it, too
        assert error["type"] == "error" and error["error"]["message"]
        assert error["request_id"] == request_id and f"\r\nrequest-id: {request_id}\r\n" \
            in top.decode()
    elif shape == "gemini":
        assert error["error"]["code"] == status and error["error"]["status"]
    else:
        assert set(error) == {"error"} and error["error"]["message"] and "type" in error["error"]
    assert RecordingHandler.writes == []     # nothing reached the application's writer


def test_within_limits_is_served_and_malformed_is_400(serve):
    port = serve(_whole(b"{}"), Limited)
    assert _exchange(port, b"GET / HTTP/1.1\r\nA: 1\r\nConnection: close\r\n\r\n") \
        .startswith(b"HTTP/1.1 200")
    assert _exchange(port, b"GET / HTTP/1.1\r\nA : 1\r\n\r\n").startswith(b"HTTP/1.1 400")


def _environ_echo(environ, start_response):
    body = json.dumps({"headers": {k: v for k, v in environ.items() if k.startswith("HTTP_")
                                   or k in ("CONTENT_TYPE", "CONTENT_LENGTH")},
                       "body": environ["wsgi.input"].read().decode()}).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


class PlainPyWSGI(WSGIHandler):
    """gevent's own handler: what the environ must look like."""


@pytest.mark.parametrize("head", [
    b"POST /x HTTP/1.1\r\nHost: h\r\ncontent-TYPE: application/json\r\nContent-Length: 2\r\n"
    b"X-Dup: one\r\nX-Dup: two \r\nCookie: a=1\r\nCookie: b=2\r\nX_Under: dropped\r\n"
    b"Authorization: Bearer k\r\nConnection: close\r\n\r\n{}",
    # chunked wins over Content-Length (pywsgi deletes it from the head)
    b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n"
    b"Connection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n"])
def test_environ_and_framing_as_pywsgi_builds_them(serve, head):
    ours = _exchange(serve(_environ_echo), head)
    plain = _exchange(serve(_environ_echo, PlainPyWSGI), head)
    ours_body, plain_body = (json.loads(raw.partition(b"\r\n\r\n")[2]) for raw in (ours, plain))
    assert ours_body == plain_body and ours_body["body"] == "{}"
    assert "HTTP_X_UNDER" not in ours_body["headers"]


def test_request_head_lookups_follow_changes():
    head = worker.RequestHead()
    head.set_raw("Content-Length", "5")
    head.set_raw("X-Dup", "one")
    head.set_raw("x-dup", "two")
    assert head.get("content-length") == "5" and head.get("X-DUP") == "one"
    assert head.get("missing", "d") == "d" and head.typeheader is None
    del head["content-length"]
    head["Content-Type"] = "application/json"
    assert head.get("Content-Length") is None and head.typeheader == "application/json"


@pytest.mark.parametrize("head", [
    b"POST /x HTTP/1.1\r\nHost: h\r\ncontent-TYPE: application/json\r\nContent-Length: 2\r\n"
    b"X-Dup: one\r\nX-Dup: two \r\nCookie: a=1\r\nCookie: b=2\r\nX_Under: dropped\r\n"
    b"Authorization: Bearer k\r\nX-API-Key: sk\r\nConnection: close\r\n\r\n{}",
    b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n"
    b"Connection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    b"POST /x HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"])
def test_front_door_headers_from_the_listed_keys_equal_an_environ_scan(serve, head):
    from proxy.http import doors
    from proxy.http.front import HEADER_KEYS
    seen = []

    def app(environ, start_response):
        environ["wsgi.input"].read()
        scanned = {k: v for k, v in environ.items() if k != HEADER_KEYS}
        seen.append((list(doors.environ_headers(environ).items()),
                     list(doors.environ_headers(scanned).items())))
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    assert _exchange(serve(app), head).startswith(b"HTTP/1.1 200")
    listed, scanned = seen[0]
    assert listed == scanned and ("host" in dict(listed)) == (b"Host" in head)


def test_request_head_from_fields_is_the_head_set_raw_builds():
    fields = [("Host", "h"), ("X-Dup", "one"), ("x-dup", "two"), ("Content-Length", "5")]
    built, by_set = worker.RequestHead.from_fields(list(fields)), worker.RequestHead()
    for name, value in fields:
        by_set.set_raw(name, value)
    assert built.items() == by_set.items() and built.get("X-DUP") == by_set.get("x-dup") == "one"
    assert built.get("content-length") == "5" and built.keys() == by_set.keys()
