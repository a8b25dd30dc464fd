"""The worker's plain-request path (a head read whole from the buffer)
against pywsgi's line-by-line path: same environ, same handler state, same
answers; every other head still takes the line-by-line path."""
import json
import re

import gevent
import pytest
from gevent import socket
from gevent.pywsgi import Input, WSGIServer

from proxy.http import worker
from proxy.http.receiver import Receiver
from proxy.http.disconnect import CONNECTION
from proxy.http.front import HEADER_KEYS, LOWER_HEADERS
from proxy.wire import http1


class Plain(worker.Handler):
    access_log = False
    plain = []              # whether each request took the plain path

    def _plain_environ(self, head):
        environ = super()._plain_environ(head)
        Plain.plain.append(environ is not None)
        return environ


class General(worker.Handler):
    """The handler with the plain path off: pywsgi's path and our overrides."""
    access_log = False

    def _plain_environ(self, head):
        return None


# objects, and the ports that differ from one server or connection to the next
_OBJECTS = ("wsgi.input", "wsgi.errors", "gunicorn.sock", CONNECTION, LOWER_HEADERS,
            "SERVER_PORT", "REMOTE_PORT")


def _recording_app(environ, start_response):
    """Answers with what the request looked like to the application."""
    handler = environ[CONNECTION]
    stream = environ["wsgi.input"]           # (an upgrade's is the socket's: not read)
    body = stream.read() if isinstance(stream, Input) else b""
    seen = {
        "environ": {k: v for k, v in environ.items() if k not in _OBJECTS},
        "order": [k for k in environ if k not in _OBJECTS],
        "input": type(environ["wsgi.input"]).__name__,
        "body": body.decode("latin-1"),
        "handler": [handler.requestline, handler.command, handler.path,
                    handler.request_version, handler.content_length,
                    handler.close_connection],
        "head": handler.headers.items(),
        "typeheader": handler.headers.typeheader,
    }
    out = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(out)))])
    return [out]


@pytest.fixture
def serve():
    servers = []

    def start(handler, app=_recording_app):
        server = WSGIServer(("127.0.0.1", 0), app, handler_class=handler, log=None,
                            error_log=None)
        server.start()
        servers.append(server)
        return server.server_port
    Plain.plain = []
    yield start
    for server in servers:
        server.stop()


def _exchange(port, *pieces, pause=0.0, responses=None, timeout=10):
    """Send ``pieces`` (``pause`` seconds apart); every byte until the
    server closes, or until ``responses`` whole responses came."""
    def run():
        sock = socket.create_connection(("127.0.0.1", port))
        for piece in pieces:
            sock.sendall(piece)
            gevent.sleep(pause)
        raw = b""
        while responses is None or len(_answers(raw)) < responses:
            chunk = sock.recv(65536)
            if not chunk:
                break
            raw += chunk
        sock.close()
        return raw
    return gevent.spawn(run).get(timeout=timeout)


def _answers(raw):
    """The status lines and bodies (parsed) of the whole responses in ``raw``."""
    out = []
    while b"\r\n\r\n" in raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0].decode()
        length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:")]
        size = length[0] if length else len(rest)
        if len(rest) < size:
            break
        body, raw = rest[:size], rest[size:]
        out.append((status, json.loads(body) if body.startswith(b"{") else body))
    return out


SDK = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:8317\r\n"
       b"Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\nAccept: application/json\r\n"
       b"Content-Type: application/json\r\nUser-Agent: OpenAI/Python 1.99.0\r\n"
       b"X-Stainless-Lang: python\r\nX-Stainless-Retry-Count: 0\r\n"
       b"Authorization: Bearer sk-test\r\nContent-Length: 2\r\n\r\n{}")

PLAIN_HEADS = [
    SDK,
    b"GET /healthz HTTP/1.1\r\n\r\n",
    b"GET /v1/models?key=abc&x=%41 HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /v1beta/models/gemini%2Dpro%3AgenerateContent?alt=sse HTTP/1.1\r\nHost: h\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: h\r\ncontent-TYPE: application/json\r\ncontent-type: text/x\r\n"
    b"Content-Length: 2\r\nX-Dup: one\r\nX-Dup: two \r\nCookie: a=1\r\nCookie: b=2\r\n"
    b"X_Under: dropped\r\nx-dup: three\r\n\r\n{}",
    b"POST /x HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Spaces: \t padded \t \r\n"
    b"X-Odd: \x0bvertical\x0c\r\nX-Latin: caf\xe9\xa0\r\nContent-Length:  2 \r\n\r\n{}",
    b"POST /x HTTP/1.1\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n",
    b"GET /x HTTP/1.0\r\nHost: h\r\n\r\n",
    b"GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
    b"HEAD /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    b"DELETE /x?y HTTP/1.1\r\nContent-Length: 0012\r\n\r\n" + b"z" * 12,
    b"GET /x  HTTP/1.1  \r\nHost: h\r\n\r\n",
    b"GET /x\tHTTP/1.1\r\n\r\n",           # whitespace, as pywsgi splits the line
]


@pytest.mark.parametrize("head", PLAIN_HEADS)
def test_a_plain_head_is_read_whole_and_seen_as_the_general_path_sees_it(serve, head):
    plain = _exchange(serve(Plain), head, responses=1)
    general = _exchange(serve(General), head, responses=1)
    assert Plain.plain == [True]
    ours, theirs = _answers(plain), _answers(general)
    assert ours == theirs and ours[0][0] == "HTTP/1.1 200 OK"
    assert ours[0][1]["input"] == "Input"


def test_every_plain_head_keeps_the_connection_as_the_general_path_does(serve):
    """Keep-alive or close, by version and Connection: all requests of one
    connection answered, in order, the same way by both paths."""
    kept = [head for head in PLAIN_HEADS if b"Close" not in head and b"HTTP/1.0" not in head]
    pipelined = b"".join(kept) + b"GET /last HTTP/1.1\r\nConnection: close\r\n\r\n"
    plain = _answers(_exchange(serve(Plain), pipelined))
    general = _answers(_exchange(serve(General), pipelined))
    assert plain == general and len(plain) == len(kept) + 1
    assert all(Plain.plain) and len(Plain.plain) == len(plain)


@pytest.mark.parametrize("head", [
    b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /y HTTP/1.0\r\n\r\n",
    b"GET /x HTTP/1.0\r\n\r\nGET /never HTTP/1.1\r\n\r\n",
    b"GET /x HTTP/1.1\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\n\r\n",
])
def test_http_1_0_and_close_end_the_connection_where_pywsgi_does(serve, head):
    plain = _answers(_exchange(serve(Plain), head))
    general = _answers(_exchange(serve(General), head))
    assert plain == general
    assert [body["environ"]["PATH_INFO"] for _, body in plain] == \
        (["/x", "/y"] if b"keep-alive" in head else ["/x"])


GENERAL_HEADS = [
    b"POST /x HTTP/1.1\r\nHost: h\r\nX-Folded: one\r\n two\r\nContent-Length: 0\r\n\r\n",
    b"POST /x HTTP/1.1\nHost: h\nContent-Length: 0\n\n",
    b"POST /x HTTP/1.1\r\nHost: h\nContent-Length: 0\r\n\r\n",
    b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n"
    b"2\r\n{}\r\n0\r\n\r\n",
    b"POST /x HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
    b"POST /x HTTP/1.1\r\nConnection: close\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    b"GET /x HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    b"POST /x HTTP/1.1\r\nContent-Length: +2\r\n\r\n{}",
    b"POST /x HTTP/1.1\r\nContent-Length: 0_0\r\n\r\n",
    b"POST /x HTTP/1.1\r\nContent-Length: \xb2\r\n\r\n{}",
    b"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    b"POST /x HTTP/1.1\r\nContent-Length:\r\n\r\n",
    b"HEAD /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost : h\r\n\r\n",
    b"POST /x HTTP/1.1\r\nNo colon here\r\n\r\n",
    b"POST /x HTTP/1.1\r\nA: b\rc\r\n\r\n",
    b"GET /x\r\n\r\n",
    b"GET /x HTTP/2.0\r\n\r\n",
    b"GET /x HTTP/1.1 extra\r\n\r\n",
    b"GET /\nHTTP/1.1\r\nHost: h\r\n\r\n",
    b"\r\nGET /x HTTP/1.1\r\n\r\n",
]


@pytest.mark.parametrize("head", GENERAL_HEADS)
def test_any_other_head_takes_the_general_path(serve, head):
    plain = _exchange(serve(Plain), head, responses=1)
    general = _exchange(serve(General), head, responses=1)
    assert Plain.plain in ([], [False])
    assert _answers(_strip_ids(plain)) == _answers(_strip_ids(general))


def _strip_ids(raw):
    """A refusal's request id and Date differ between two runs."""
    raw = re.sub(rb"(X-Request-Id: |\"request_id\": ?\"|request-id: )[0-9a-f]+", rb"\1-", raw)
    return re.sub(rb"Date: [^\r]+", b"Date: -", raw)


class Limited(Plain):
    limit_request_line = 30
    limit_request_fields = 3
    limit_request_field_size = 64


@pytest.mark.parametrize("head, status", [
    (b"GET /" + b"q" * 30 + b" HTTP/1.1\r\n\r\n", 414),
    (b"POST /v1/messages HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431),
    (b"POST /v1/messages HTTP/1.1\r\nA: " + b"x" * 70 + b"\r\n\r\n", 431),
    (b"POST /v1/messages HTTP/1.1\r\nA: 1\r\nB: 2\r\nConnection: close\r\n\r\n", 200),
])
def test_limits_hold_on_the_plain_path(serve, head, status):
    raw = _exchange(serve(Limited), head)
    assert raw.startswith(b"HTTP/1.1 %d " % status)
    assert Limited.plain == [True] if status == 200 else Limited.plain in ([], [False])


def test_a_head_split_across_reads_is_served(serve):
    port = serve(Plain)
    raw = _exchange(port, b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Le", b"ngth: 2\r\n",
                    b"Connection: close\r\n\r\n{", b"}", pause=0.05)
    [(status, body)] = _answers(raw)
    assert status == "HTTP/1.1 200 OK" and body["body"] == "{}"
    assert body["environ"]["CONTENT_LENGTH"] == "2"


def test_pipelined_requests_with_bodies_are_answered_in_order(serve):
    one = b"POST /1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
    two = b"POST /2 HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
    three = b"POST /3 HTTP/1.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n" \
            b"1\r\nd\r\n0\r\n\r\n"
    answers = _answers(_exchange(serve(Plain), one + two + three))
    assert [(b["environ"]["PATH_INFO"], b["body"]) for _, b in answers] == \
        [("/1", "abc"), ("/2", ""), ("/3", "d")]
    assert Plain.plain == [True, True, False]


def test_an_unread_body_is_discarded_before_the_next_request(serve):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "2")])
        return [environ["PATH_INFO"][1:].encode().ljust(2)]
    requests = (b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
                b"POST /b HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    raw = _exchange(serve(Plain, app), requests)
    assert raw.count(b"HTTP/1.1 200") == 2 and raw.endswith(b"b ")


def test_expect_100_continue_is_answered_before_the_body_is_read(serve):
    def run(port):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
                     b"Connection: close\r\n\r\n")
        interim = sock.recv(100)
        sock.sendall(b"{}")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
        return interim, raw
    interim, raw = gevent.spawn(run, serve(Plain)).get(timeout=10)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    [(status, body)] = _answers(raw)
    assert status == "HTTP/1.1 200 OK" and body["body"] == "{}"


class Idle(Plain):
    idle_timeout = 0.2


def test_an_idle_connection_is_closed_after_the_keep_alive_time(serve):
    def run(port):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"GET /x HTTP/1.1\r\n\r\n")
        raw = b""
        while chunk := sock.recv(65536):          # EOF: the idle timeout closed it
            raw += chunk
        return raw
    started = gevent.get_hub().loop.now()
    raw = gevent.spawn(run, serve(Idle)).get(timeout=10)
    assert raw.startswith(b"HTTP/1.1 200") and gevent.get_hub().loop.now() - started < 5


def test_a_body_that_stops_arriving_times_out_at_the_socket_timeout(serve):
    seen = []

    def app(environ, start_response):
        environ["gunicorn.sock"].settimeout(0.1)
        try:
            environ["wsgi.input"].read()
        except OSError as exc:
            seen.append(type(exc))
        start_response("200 OK", [("Content-Length", "0"), ("Connection", "close")])
        return [b""]

    def run(port):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nhalf")
        raw = sock.recv(65536)
        sock.close()
        return raw
    raw = gevent.spawn(run, serve(Idle, app)).get(timeout=10)
    assert raw.startswith(b"HTTP/1.1 200") and seen == [TimeoutError]


def test_the_receiver_keeps_one_timer_per_timeout_value():
    ours, theirs = socket.socketpair()
    try:
        receiver = Receiver(ours)
        buffer = bytearray(16)
        ours.settimeout(5)
        gevent.spawn_later(0.01, theirs.sendall, b"one")
        assert receiver.readinto(buffer) == 3 and buffer[:3] == b"one"
        timer = receiver._timer
        gevent.spawn_later(0.01, theirs.sendall, b"two")
        assert receiver.readinto(buffer) == 3 and receiver._timer is timer
        assert not timer.active
        theirs.close()
        assert receiver.readinto(buffer) == 0          # end of file
        receiver.close()
        assert receiver._timer is None and ours.fileno() >= 0    # the socket stays open
    finally:
        ours.close()


def test_after_a_timeout_every_read_fails_at_once_as_socketio_does():
    ours, theirs = socket.socketpair()
    try:
        receiver = Receiver(ours)
        buffer = bytearray(16)
        ours.settimeout(0.05)
        with pytest.raises(TimeoutError):
            receiver.readinto(buffer)
        assert not receiver._timer.active
        ours.settimeout(60)
        theirs.sendall(b"late")
        started = gevent.get_hub().loop.now()
        with pytest.raises(OSError, match="timed out object"):
            receiver.readinto(buffer)
        assert gevent.get_hub().loop.now() - started < 1
    finally:
        ours.close()
        theirs.close()


def test_a_socket_timeout_changed_between_waits_is_the_one_that_counts():
    ours, theirs = socket.socketpair()
    try:
        receiver = Receiver(ours)
        buffer = bytearray(16)
        ours.settimeout(60)
        gevent.spawn_later(0.01, theirs.sendall, b"one")
        assert receiver.readinto(buffer) == 3
        timer = receiver._timer
        ours.settimeout(None)
        gevent.spawn_later(0.01, theirs.sendall, b"three")
        assert receiver.readinto(buffer) == 5 and receiver._timer is timer
        ours.settimeout(0.05)
        with pytest.raises(TimeoutError):
            receiver.readinto(buffer)
        assert receiver._timer is not timer
    finally:
        ours.close()
        theirs.close()


@pytest.mark.parametrize("head", [
    "GET / HTTP/1.1",
    "GET / HTTP/1.1\r\nHost: x\r\nA:  b c \r\nX_Y:\r\nz:\t",
])
def test_split_request_head_reads_what_parse_headers_reads(head):
    import io
    line, fields = http1.split_request_head(head)
    rest = head[len(line):].removeprefix("\r\n")
    block = (rest + "\r\n\r\n" if rest else "\r\n").encode("latin-1")
    parsed = http1.parse_headers(io.BytesIO(block), strict=True)
    assert line == head.split("\r\n")[0]
    assert [(n, v.strip(" \t")) for n, v in fields] == parsed.items()


@pytest.mark.parametrize("head", [
    "GET / HTTP/1.1\r\nHost: x\r\n folded",
    "GET / HTTP/1.1\r\nHost : x",
    "GET / HTTP/1.1\r\nHost: x\rY: z",
    "GET / HTTP/1.1\r\nHost: x\nY: z",
    "GET /\nHTTP/1.1\r\nHost: x",
    "GET /\nHTTP/1.1",
    "GET / HTTP/1.1\r\n",
])
def test_split_request_head_leaves_other_shapes_to_parse_headers(head):
    assert http1.split_request_head(head) is None


def test_header_keys_list_the_fields_in_order(serve):
    head = b"GET /x HTTP/1.1\r\nB: 1\r\nA: 2\r\nB: 3\r\nContent-Type: t\r\nConnection: close\r\n\r\n"
    [(_, body)] = _answers(_exchange(serve(Plain), head))
    assert body["environ"][HEADER_KEYS] == ["HTTP_B", "HTTP_A", "HTTP_B", "HTTP_CONNECTION"]
    assert body["environ"]["HTTP_B"] == "1,3"


def test_field_names_are_remembered_up_to_a_bound(monkeypatch):
    monkeypatch.setattr(worker, "_ENV_KEYS", {})
    monkeypatch.setattr(worker, "_ENV_KEYS_MAX", 2)
    assert worker._env_key("X-One") == ("HTTP_X_ONE", worker._PLAIN, "x-one")
    assert worker._env_key("content-length") == ("CONTENT_LENGTH", worker._LENGTH,
                                                 "content-length")
    assert worker._env_key("X_Under") == ("", worker._DROPPED, "")
    assert worker._env_key("expect") == ("HTTP_EXPECT", worker._GENERAL, "expect")
    assert list(worker._ENV_KEYS) == ["X-One", "content-length"]


def test_a_plain_request_after_a_general_one_has_its_own_head(serve):
    folded = b"GET /1 HTTP/1.1\r\nX-Folded: one\r\n two\r\n\r\n"
    plain = b"GET /2 HTTP/1.1\r\nX-Plain: yes\r\nConnection: close\r\n\r\n"
    ours = _answers(_exchange(serve(Plain), folded + plain + folded))
    theirs = _answers(_exchange(serve(General), folded + plain + folded))
    assert ours == theirs and Plain.plain == [False, True]
    assert ours[1][1]["head"] == [["X-Plain", "yes"], ["Connection", "close"]]


def _start(handler_class, status, headers, version="HTTP/1.1", close=False):
    """``start_response`` on a bare handler: what it set, or the error it raised."""
    handler = handler_class.__new__(handler_class)
    handler.request_version, handler.close_connection = version, close
    try:
        handler.start_response(status, headers)
    except Exception as exc:                     # noqa: BLE001 -- compared below
        return type(exc).__name__
    return (handler.status, handler._orig_status, handler.response_headers, handler.code,
            handler.provided_date, handler.provided_content_length, handler.close_connection)


class PyWSGIStart(worker.Handler):
    """Our handler with pywsgi's own start_response."""
    start_response = worker.PyWSGIHandler.start_response


@pytest.mark.parametrize("status, headers, version, close", [
    ("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2"),
                ("X-Request-Id", "r1"), ("Access-Control-Allow-Origin", "*")], "HTTP/1.1", False),
    ("200 OK", [("content-length", "2"), ("Content-Length", "3"), ("DATE", "d")], "HTTP/1.1", False),
    ("200 OK", [("Connection", "close")], "HTTP/1.1", False),
    ("200 OK", [("Connection", "keep-alive")], "HTTP/1.1", True),
    ("200 OK", [], "HTTP/1.0", False),
    ("200 OK", [], "HTTP/1.0", True),
    ("200 OK", [("Connection", "close")], "HTTP/1.0", False),
    ("204 NO CONTENT", [("Content-Length", "0")], "HTTP/1.1", False),
    ("204 NO CONTENT", [("Content-Length", "5")], "HTTP/1.1", False),
    ("304 NOT MODIFIED", [], "HTTP/1.1", False),
    ("200 OK", [("X-Caf\u00e9", "\u00e9t\u00e9")], "HTTP/1.1", False),
    ("200 OK", [("X-Snow", "\u2603")], "HTTP/1.1", False),
    ("200 OK", [("X-Bad", "a\r\nSet-Cookie: x")], "HTTP/1.1", False),
    ("200 OK", [("X-Bad\n", "a")], "HTTP/1.1", False),
    ("200 OK\r\nX: y", [], "HTTP/1.1", False),
    ("200 OK", [(b"X-Bytes", "a")], "HTTP/1.1", False),
    ("200 OK", [("X-Int", 5)], "HTTP/1.1", False),
    (b"200 OK", [], "HTTP/1.1", False),
    ("OK 200", [], "HTTP/1.1", False),
    ("200 OK", [("X", "1", "2")], "HTTP/1.1", False),
])
def test_start_response_sets_and_refuses_what_pywsgis_does(status, headers, version, close):
    ours = _start(worker.Handler, status, list(headers), version, close)
    theirs = _start(PyWSGIStart, status, list(headers), version, close)
    assert ours == theirs


def test_start_response_with_exc_info_is_pywsgis():
    handler = worker.Handler.__new__(worker.Handler)
    handler.request_version, handler.close_connection = "HTTP/1.1", False
    handler.headers_sent = True
    try:
        raise KeyError("app failed")
    except KeyError:
        import sys
        with pytest.raises(KeyError):
            handler.start_response("500 X", [], sys.exc_info())


def test_plain_path_hands_the_doors_their_headers_as_a_scan_reads_them(serve):
    from proxy.http import doors
    from proxy.http.front import LOWER_HEADERS
    seen = []

    def app(environ, start_response):
        prebuilt = environ.get(LOWER_HEADERS)
        scanned = {k: v for k, v in environ.items() if k not in (HEADER_KEYS, LOWER_HEADERS)}
        seen.append((prebuilt is not None, list(doors.environ_headers(environ).items()),
                     list(doors.environ_headers(scanned).items()),
                     LOWER_HEADERS in environ))
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    port = serve(Plain, app)
    for head in PLAIN_HEADS:
        _exchange(port, head, responses=1)
    assert len(seen) == len(PLAIN_HEADS)
    for built, listed, scanned, left in seen:
        assert built and listed == scanned and not left     # handed over: taken from the environ
