"""proxy.providers.direct_transport: the gateway's own HTTP/1.1 client, over
real loopback sockets against a scripted gevent server in this process."""
import gzip
import shutil
import socket
import ssl
import struct
import subprocess
import zlib
from types import SimpleNamespace

import gevent
import gevent.ssl
import pytest
from gevent.event import Event
from gevent.server import StreamServer

import proxy
from proxy.errors import (UpstreamConnectError, UpstreamError, UpstreamStatusError,
                          UpstreamStreamError, UpstreamTimeout)
from proxy.providers import direct_transport
from proxy.providers.direct_transport import DirectTransport
from proxy.providers.upstream import Request, UpstreamClient
from proxy.wire import http1
from proxy.wire.gather import GATHER_FROM

CRED = SimpleNamespace(id="c1", proxy_url="", display_name="'fake' (127.0.0.1:1)",
                       short_name="'fake'")
TIMEOUTS = (2, 5)
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class Upstream:
    """A loopback server: ``answer(sock, request, n)`` writes the answer to
    each request (``n``: the connection's number, from 1); returning False
    closes the connection.  ``requests`` lists ``(n, head, body)``."""

    def __init__(self, answer, *, tls=None):
        self.answer, self.requests, self.connections, self.sent = answer, [], 0, []
        kwargs = {"ssl_context": tls} if tls else {}
        self.server = StreamServer(("127.0.0.1", 0), self._serve, **kwargs)
        self.server.start()
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_port}/v1/x?k=1"

    def _serve(self, sock, _):
        self.connections += 1
        n, buf = self.connections, b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = sock.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length:")))
                while len(buf) < length:
                    buf += sock.recv(65536)
                body, buf = buf[:length], buf[length:]
                self.requests.append((n, head, body))
                if self.answer(sock, self, n) is False:
                    return
        finally:
            sock.close()

    def write(self, sock, data):
        self.sent.append(data)
        sock.sendall(data)

    def stop(self):
        self.server.stop()


@pytest.fixture
def serve():
    started = []

    def start(answer, **kwargs):
        started.append(Upstream(answer, **kwargs))
        return started[-1]
    yield start
    for upstream in started:
        upstream.stop()


def _send(transport, upstream, body=b'{"n":1}', timeouts=TIMEOUTS, headers=None):
    headers = {"content-type": "application/json"} if headers is None else headers
    return transport.send(Request(upstream.url, headers, body, CRED, timeouts))


def _fixed(data):
    def answer(sock, upstream, n):
        upstream.write(sock, data)
    return answer


def test_content_length_answer_and_the_request_as_sent(serve):
    upstream = serve(_fixed(b"HTTP/1.1 201 Created\r\nX-Request-Id: r1\r\nX-Dup: a\r\n"
                            b"x-dup: b\r\nContent-Length: 5\r\n\r\nhello"))
    resp = _send(DirectTransport(), upstream, headers={"content-type": "application/json",
                                                       "x-custom": "v"})
    assert resp.status == 201
    assert resp.headers["x-request-id"] == resp.headers.get("X-REQUEST-ID") == "r1"
    assert "x-dup" in resp.headers and resp.headers["x-dup"] == "a, b"
    assert ("X-Dup", "a") in resp.headers.items() and ("x-dup", "b") in resp.headers.items()
    assert resp.read() == b"hello"
    (_, head, body), = upstream.requests
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /v1/x?k=1 HTTP/1.1"
    assert f"host: 127.0.0.1:{upstream.server.server_port}" in lines
    assert "content-length: 7" in lines and "x-custom: v" in lines
    assert body == b'{"n":1}'


class _RecordingSocket:
    def __init__(self, sock):
        self.sock, self.writes = sock, []

    def send(self, data):
        self.writes.append(bytes(data))
        return len(data)

    def recv(self, size):
        return self.sock.recv(size)

    def close(self):
        self.sock.close()


def test_head_and_small_body_leave_in_one_write():
    ours, theirs = socket.socketpair()
    recording = _RecordingSocket(ours)
    transport = DirectTransport()
    transport._connect = lambda *args: direct_transport._Connection(recording, "http://example.test")
    theirs.sendall(OK)
    resp = transport.send(Request("http://example.test/v1/x", {"a": "b"}, b"{}", CRED, TIMEOUTS))
    assert resp.read() == b"{}"
    (write,) = recording.writes
    assert write == (b"POST /v1/x HTTP/1.1\r\nhost: example.test\r\nuser-agent: switchyard/"
                     + proxy.__version__.encode() + b"\r\ncontent-length: 2\r\na: b\r\n\r\n{}")
    theirs.close()


def test_one_connection_serves_many_requests(serve):
    upstream = serve(_fixed(OK))
    transport = DirectTransport()
    for _ in range(5):
        assert _send(transport, upstream).read() == b"{}"
    assert upstream.connections == 1 and len(upstream.requests) == 5


def test_chunks_reach_the_consumer_as_they_arrive(serve):
    """Each chunk (and each piece of a chunk split across writes) comes out
    before the upstream has sent the next: SSE events are never held back."""
    go_on = Event()

    def answer(sock, upstream, n):
        upstream.write(sock, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"9\r\ndata: 1\n\n\r\n")
        go_on.wait()
        go_on.clear()
        upstream.write(sock, b"10\r\ndata: two")       # a chunk split across writes
        go_on.wait()
        go_on.clear()
        upstream.write(sock, b"-part\n\n\r\n0\r\nX-Trailer: t\r\n\r\n")

    upstream = serve(answer)
    transport = DirectTransport()
    resp = _send(transport, upstream)
    pieces = resp.iter_bytes()
    assert next(pieces) == b"data: 1\n\n"
    assert len(upstream.sent) == 1
    go_on.set()
    assert next(pieces) == b"data: two"
    assert len(upstream.sent) == 2
    go_on.set()
    assert next(pieces) == b"-part\n\n"
    assert list(pieces) == []
    assert _send(transport, upstream).iter_bytes is not None     # trailers skipped: reused
    assert upstream.connections == 1


def test_chunked_decoder_takes_any_split():
    wire = b"4;ext=1\r\nabcd\r\n0A\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT"
    for size in (1, 2, 3, 7, len(wire)):
        decoder, out = http1.ChunkedDecoder(), []
        for at in range(0, len(wire), size):
            out.append(decoder.feed(wire[at:at + size]))
        assert b"".join(out) == b"abcd0123456789" and decoder.done
        assert decoder.leftover.endswith(b"NEXT") or size < len(wire)


@pytest.mark.parametrize("wire", [b"zz\r\nab\r\n", b"+2\r\nab\r\n", b"0x2\r\nab\r\n",
                                  b"2\r\nabc\r\n", b" \r\n"])
def test_chunked_decoder_refuses_malformed_chunks(wire):
    with pytest.raises(ValueError):
        http1.ChunkedDecoder().feed(wire)


def test_body_until_close(serve):
    def answer(sock, upstream, n):
        upstream.write(sock, b"HTTP/1.1 200 OK\r\n\r\nall of ")
        upstream.write(sock, b"it")
        return False

    upstream = serve(answer)
    transport = DirectTransport()
    assert _send(transport, upstream).read() == b"all of it"
    assert _send(transport, upstream).read() == b"all of it"
    assert upstream.connections == 2                  # never reused


def test_connection_close_and_http10_answers_are_not_reused(serve):
    answers = iter([b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
                    b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}", OK, OK])
    upstream = serve(lambda sock, up, n: up.write(sock, next(answers)))
    transport = DirectTransport()
    for _ in range(4):
        assert _send(transport, upstream).read() == b"{}"
    assert upstream.connections == 3


def _abort(sock):
    """Close with RST, as a TCP peer does when it closes with bytes unread."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_a_pooled_connection_reset_before_answering_is_retried_once(serve):
    """The idle-close race: the upstream drops a kept-alive connection as the
    next request arrives, unread (it answers RST); sent again, once."""
    def answer(sock, upstream, n):
        if len(upstream.requests) == 2:
            _abort(sock)                   # the second request: reset unanswered
            return False
        upstream.write(sock, OK)

    upstream = serve(answer)
    transport = DirectTransport()
    assert _send(transport, upstream).read() == b"{}"
    assert _send(transport, upstream).read() == b"{}"
    assert [n for n, _, _ in upstream.requests] == [1, 1, 2]


def test_a_pooled_connection_whose_write_fails_is_retried_once(serve):
    upstream = serve(_fixed(OK))
    transport = DirectTransport()
    assert _send(transport, upstream).read() == b"{}"
    (pooled,) = transport._idle[upstream.url.split("/v1")[0]]
    pooled.sock.shutdown(socket.SHUT_WR)          # a write now fails (EPIPE)
    assert _send(transport, upstream).read() == b"{}"
    assert [n for n, _, _ in upstream.requests] == [1, 2]


def test_a_clean_close_after_the_request_is_not_retried(serve):
    """A FIN after our request went out: the upstream may have read the POST
    and acted on it, so it is not sent again (the relay fails over)."""
    def answer(sock, upstream, n):
        if len(upstream.requests) == 2:
            return False                   # read, then closed cleanly
        upstream.write(sock, OK)

    upstream = serve(answer)
    transport = DirectTransport()
    assert _send(transport, upstream).read() == b"{}"
    with pytest.raises(UpstreamConnectError) as caught:
        _send(transport, upstream)
    assert caught.value.cause == "connection_reset"
    assert [n for n, _, _ in upstream.requests] == [1, 1]


def test_a_fresh_connection_closed_before_answering_is_not_retried(serve):
    upstream = serve(lambda sock, up, n: _abort(sock))
    with pytest.raises(UpstreamConnectError) as caught:
        _send(DirectTransport(), upstream)
    assert caught.value.cause == "connection_reset"
    assert len(upstream.requests) == 1                # a POST is not sent twice


def test_closed_idle_connections_are_not_reused(serve):
    upstream = serve(lambda sock, up, n: (up.write(sock, OK), False)[1])
    transport = DirectTransport()
    assert _send(transport, upstream).read() == b"{}"
    gevent.idle()
    assert _send(transport, upstream).read() == b"{}"
    assert [n for n, _, _ in upstream.requests] == [1, 2]     # polled closed: no retry needed


def test_both_transfer_encoding_and_content_length_is_refused(serve):
    upstream = serve(_fixed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                            b"Content-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
    with pytest.raises(UpstreamStreamError) as caught:
        _send(DirectTransport(), upstream)
    assert caught.value.cause == "bad_response"


def test_a_malformed_chunk_size_is_a_stream_error(serve):
    upstream = serve(_fixed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"5\r\nhello\r\nnope\r\n"))
    resp = _send(DirectTransport(), upstream)
    with pytest.raises(UpstreamStreamError) as caught:
        resp.read()
    assert caught.value.cause == "bad_response"


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
])
def test_a_truncated_body_is_stream_truncated(serve, answer):
    upstream = serve(lambda sock, up, n: (up.write(sock, answer), False)[1])
    resp = _send(DirectTransport(), upstream)
    with pytest.raises(UpstreamStreamError) as caught:
        resp.read()
    assert caught.value.cause == "stream_truncated"
    assert "127.0.0.1" not in caught.value.brief


def test_a_silent_upstream_times_out(serve):
    release = Event()
    upstream = serve(lambda sock, up, n: release.wait())
    with pytest.raises(UpstreamTimeout) as caught:
        _send(DirectTransport(), upstream, timeouts=(2, 0.05))
    release.set()
    assert caught.value.cause == "read_timeout"
    assert "0.05 s (read-timeout-seconds)" in caught.value.message


def test_an_upstream_silent_mid_body_times_out(serve):
    release = Event()

    def answer(sock, upstream, n):
        upstream.write(sock, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
        release.wait()

    upstream = serve(answer)
    resp = _send(DirectTransport(), upstream, timeouts=(2, 0.05))
    with pytest.raises(UpstreamTimeout) as caught:
        resp.read()
    release.set()
    assert caught.value.cause == "read_timeout"


def test_the_first_byte_deadline_closes_the_connection(serve):
    release = Event()

    def answer(sock, upstream, n):
        if n == 1:
            release.wait()
            return False
        upstream.write(sock, OK)

    upstream = serve(answer)
    client = UpstreamClient(DirectTransport())
    with pytest.raises(UpstreamTimeout) as caught:
        client.send(CRED, upstream.url, {}, b"{}", timeouts=(2, 5, 0.05))
    release.set()
    assert caught.value.cause == "first_byte_timeout"
    assert client.send(CRED, upstream.url, {}, b"{}", timeouts=TIMEOUTS).read() == b"{}"
    assert upstream.connections == 2


def test_refused_connection():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UpstreamConnectError) as caught:
        DirectTransport().send(Request(f"http://127.0.0.1:{port}/v1/x?key=secret", {}, b"{}",
                                       CRED, TIMEOUTS))
    assert caught.value.cause == "connection_refused"
    assert "secret" not in caught.value.message


@pytest.mark.parametrize("exc, cause", [
    (socket.gaierror(-2, "Name or service not known"), "dns_failure"),
    (TimeoutError("timed out"), "connect_timeout"),
    (ssl.SSLCertVerificationError(1, "certificate verify failed"), "tls_error"),
    (OSError(101, "Network is unreachable"), "connect_failed"),
])
def test_connect_failures_keep_their_causes(exc, cause):
    error = direct_transport._connect_failure(exc, CRED, 3)
    assert error.cause == cause
    if cause == "connect_failed":
        assert error.message.endswith("could not be reached (Network is unreachable)")
    if cause == "connect_timeout":
        assert "timed out after 3 s connecting" in error.message


def test_non_2xx_is_raised_with_its_body_and_the_connection_kept(serve):
    upstream = serve(_fixed(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\n"
                            b"Content-Length: 6\r\n\r\nslower"))
    client = UpstreamClient(DirectTransport())
    for _ in range(2):
        with pytest.raises(UpstreamStatusError) as caught:
            client.send(CRED, upstream.url, {}, b"{}", timeouts=TIMEOUTS)
        assert caught.value.headers["retry-after"] == "3" and caught.value.body == b"slower"
    assert upstream.connections == 1


@pytest.mark.parametrize("encoding, encode", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda data: zlib.compress(data)[2:-4]),        # raw deflate, no wrapper
])
def test_compressed_bodies_are_decoded(serve, encoding, encode):
    body = encode(b'{"text":"' + b"x" * 5000 + b'"}')
    upstream = serve(_fixed(b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n"
                            b"\r\n%s" % (encoding.encode(), len(body), body)))
    assert _send(DirectTransport(), upstream).read() == b'{"text":"' + b"x" * 5000 + b'"}'


def test_interim_answers_are_skipped(serve):
    upstream = serve(_fixed(b"HTTP/1.1 100 Continue\r\n\r\n" + OK))
    assert _send(DirectTransport(), upstream).read() == b"{}"


@pytest.mark.parametrize("headers", [{"x-evil": "a\r\nInjected: 1"}, {"x:y": "v"},
                                     {"x-evil": "a\nb"}, {"x-bad": "ü€"}])
def test_headers_cannot_smuggle_a_line(serve, headers):
    upstream = serve(_fixed(OK))
    with pytest.raises(UpstreamConnectError) as caught:
        _send(DirectTransport(), upstream, headers=headers)
    assert caught.value.cause == "bad_request_line"
    assert upstream.connections == 0


def test_a_closed_response_drops_its_connection(serve):
    upstream = serve(_fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000))
    transport = DirectTransport()
    resp = _send(transport, upstream)
    next(resp.iter_bytes())
    resp.close()
    assert _send(transport, upstream).read() == b"x" * 100000
    assert upstream.connections == 2


def _self_signed(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("no openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-addext",
                    "basicConstraints=critical,CA:TRUE", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    server = gevent.ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    return cert, server


def test_tls_verifies_the_upstream_certificate(serve, tmp_path):
    cert, server_tls = _self_signed(tmp_path)
    upstream = serve(_fixed(OK), tls=server_tls)
    with pytest.raises(UpstreamConnectError) as caught:      # not in the system's trust store
        _send(DirectTransport(), upstream)
    assert caught.value.cause == "tls_error"
    trusting = gevent.ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    trusting.load_verify_locations(cert)
    transport = DirectTransport(tls=trusting)
    assert _send(transport, upstream).read() == b"{}"
    assert _send(transport, upstream).read() == b"{}"
    assert upstream.connections == 1          # (the refused one never got past the handshake)


@pytest.mark.parametrize("origin, address", [
    ("https://api.test", ("https", "api.test", 443, "api.test")),
    ("https://api.test:443", ("https", "api.test", 443, "api.test")),
    ("http://api.test:8080", ("http", "api.test", 8080, "api.test:8080")),
    ("http://[::1]:8080", ("http", "::1", 8080, "[::1]:8080")),
    ("https://user:pw@api.test", ("https", "api.test", 443, "api.test")),
    ("https://bücher.test", ("https", "bücher.test", 443, "xn--bcher-kva.test")),
])
def test_origins(origin, address):
    assert direct_transport._address(origin) == address


@pytest.mark.parametrize("url", ["ftp://api.test/x", "http://api.test:port/x", "http:///x"])
def test_unusable_urls_are_refused_before_connecting(url):
    with pytest.raises(UpstreamConnectError) as caught:
        DirectTransport().send(Request(url, {}, b"{}", CRED, TIMEOUTS))
    assert caught.value.cause == "bad_request_line"


def test_a_partial_send_is_finished_by_sendall():
    calls = []
    fake = SimpleNamespace(send=lambda data: calls.append(("send", bytes(data))) or 3,
                           sendall=lambda data: calls.append(("sendall", bytes(data))))
    direct_transport._Connection(fake, "http://x").send_all(b"POST / HTTP/1.1")
    assert calls == [("send", b"POST / HTTP/1.1"), ("sendall", b"T / HTTP/1.1")]


def test_a_large_body_crosses_whole(serve):
    upstream = serve(_fixed(OK))
    body = b'{"x":"' + b"y" * (3 * 1024 * 1024) + b'"}'            # past the one-write limit
    assert _send(DirectTransport(), upstream, body=body).read() == b"{}"
    assert upstream.requests[0][2] == body


@pytest.mark.parametrize("size", [GATHER_FROM - 1, GATHER_FROM, 300 * 1024])
def test_a_large_body_is_gathered_behind_the_head_not_joined(serve, size, monkeypatch):
    upstream = serve(_fixed(OK))
    gathered = []
    real = direct_transport.gather.send_gathered
    monkeypatch.setattr(direct_transport.gather, "send_gathered",
                        lambda sock, head, body: gathered.append(len(body)) or real(sock, head, body))
    body = b'{"x":"' + b"y" * (size - 8) + b'"}'
    assert _send(DirectTransport(), upstream, body=body).read() == b"{}"
    assert upstream.requests[0][2] == body
    assert gathered == ([] if size < GATHER_FROM else [size])


def test_a_large_body_over_tls_is_written_through_tls(serve, tmp_path):
    cert, server_tls = _self_signed(tmp_path)
    upstream = serve(_fixed(OK), tls=server_tls)
    trusting = gevent.ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    trusting.load_verify_locations(cert)
    for size in (GATHER_FROM, 300 * 1024):
        body = b'{"x":"' + b"y" * (size - 8) + b'"}'
        assert _send(DirectTransport(tls=trusting), upstream, body=body).read() == b"{}"
        assert upstream.requests[-1][2] == body


def test_an_idle_connection_is_checked_again_at_each_reuse():
    ours, theirs = socket.socketpair()
    conn = direct_transport._Connection(ours, "http://x")
    assert conn.is_open() and conn.is_open()          # the kept poller, asked twice
    theirs.sendall(b"junk")
    assert not conn.is_open()
    ours.recv(4)
    assert conn.is_open()
    theirs.close()
    assert not conn.is_open()
    ours.close()


@pytest.mark.parametrize("pending, usable", [(0, True), (5, False)])
def test_tls_bytes_pending_make_an_idle_connection_unusable(pending, usable):
    ours, theirs = socket.socketpair()
    tls = SimpleNamespace(fileno=ours.fileno, pending=lambda: pending)
    assert direct_transport._Connection(tls, "https://x").is_open() is usable
    ours.close()
    theirs.close()


# --- a body that came with its head; the head wait under the first-byte deadline ---

@pytest.mark.parametrize("answer, limit", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", None),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 5),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 4),            # over the limit
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, more", None),   # more than declared
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello", None),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", None),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", None),
    # mtime=0: the bytes (and so the test's id) must not depend on the clock, or
    # pytest-xdist's workers collect different ids and refuse to run
    (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
     + str(len(gzip.compress(b"hello", mtime=0))).encode() + b"\r\n\r\n"
     + gzip.compress(b"hello", mtime=0), None),
    (b"HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", 4),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", None),
])
def test_a_body_that_came_with_its_head_reads_as_one_still_arriving(serve, answer, limit):
    """``DirectResponse.read`` hands over a body already in without the
    generator layers; what it returns or raises, and whether the
    connection is kept, are what the general read gives."""
    outcomes = []
    for general in (False, True):
        upstream = serve(_fixed(answer))
        transport = DirectTransport()
        resp = _send(transport, upstream)
        read = super(direct_transport.DirectResponse, resp).read if general else resp.read
        try:
            outcome = read(limit)
        except UpstreamError as exc:
            outcome = (type(exc), exc.cause)
        outcomes.append((outcome, sum(map(len, transport._idle.values())), resp._conn))
    assert outcomes[0] == outcomes[1]


def test_the_head_is_awaited_under_the_first_byte_deadline_and_the_body_under_the_read_timeout(
        serve):
    """With the first-byte deadline due before the read timeout, the head
    wait needs no socket timeout of its own; the body's waits get the read
    timeout back (and a reused connection keeps it)."""
    release = Event()

    def answer(sock, upstream, n):
        upstream.write(sock, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
        release.wait()

    upstream = serve(answer)
    client = UpstreamClient(DirectTransport())
    seen = []
    real = DirectTransport._head

    def head(self, conn, sock, request):
        seen.append(sock.timeout)
        return real(self, conn, sock, request)

    with gevent.Timeout(5):
        direct_transport.DirectTransport._head = head
        try:
            resp = client.send(CRED, upstream.url, {}, b"{}", timeouts=(2, 0.2, 0.1))
        finally:
            direct_transport.DirectTransport._head = real
        assert seen == [None] and resp._conn.sock.timeout == 0.2
        with pytest.raises(UpstreamTimeout) as caught:
            resp.read()
    release.set()
    assert caught.value.cause == "read_timeout"


def test_a_read_timeout_due_first_still_bounds_the_head(serve):
    release = Event()
    upstream = serve(lambda sock, up, n: release.wait())
    with pytest.raises(UpstreamTimeout) as caught:
        UpstreamClient(DirectTransport()).send(CRED, upstream.url, {}, b"{}",
                                               timeouts=(2, 0.05, 5))
    release.set()
    assert caught.value.cause == "read_timeout"


def test_the_request_head_as_written():
    head = direct_transport._request_head("/v1/x", "h.test", {"a": "b", "x-n": 5}, 2)
    assert head == (b"POST /v1/x HTTP/1.1\r\nhost: h.test\r\nuser-agent: switchyard/"
                    + proxy.__version__.encode() + b"\r\ncontent-length: 2\r\na: b\r\nx-n: 5\r\n\r\n")
    assert direct_transport._request_head("/", "h", {"host": "o", "user-agent": "u",
                                                     "content-length": "9"}, 2) \
        == b"POST / HTTP/1.1\r\nhost: o\r\nuser-agent: u\r\ncontent-length: 9\r\n\r\n"
    assert direct_transport._request_head("/", "h", {}, 0).endswith(
        b"content-length: 0\r\n\r\n")
    for bad in ({"a\r\nb": "c"}, {"a": "b\nc"}, {"a:b": "c"}, {"a": 5, "b": "\r"}):
        with pytest.raises(ValueError):
            direct_transport._request_head("/", "h", bad, 0)


def test_a_url_is_split_and_checked_once():
    where = direct_transport._where("http://h.test:81/v1/x?k=1")
    assert where == ("http://h.test:81", ("http", "h.test", 81, "h.test:81"), "/v1/x?k=1")
    assert direct_transport._where("http://h.test:81/v1/x?k=1") is where
    for _ in range(2):      # a refused one is refused every time
        with pytest.raises(ValueError):
            direct_transport._where("http://h.test/v1/a b")
