"""The load generator's HTTP client: framing, keep-alive, reconnects."""
import pytest

from bench.http_client import Connection, encode_request
from bench.procs import free_port


class FakeSocket:
    """Hands out canned response bytes in the pieces given."""

    def __init__(self, pieces):
        self.pieces = list(pieces)
        self.sent = b""

    def sendall(self, data):
        self.sent += data

    def recv(self, _size):
        return self.pieces.pop(0) if self.pieces else b""

    def close(self):
        pass


def exchange(pieces):
    conn = Connection("127.0.0.1", 1)
    conn.sock = FakeSocket(pieces)
    body = []
    status = conn.exchange(b"GET / HTTP/1.1\r\n\r\n", body.append)
    return status, b"".join(body), conn


def test_content_length_split_anywhere():
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    for cut in range(1, len(raw)):
        assert exchange([raw[:cut], raw[cut:]])[:2] == (200, b"hello")


def test_chunked_body_with_trailers_split_anywhere():
    raw = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n")
    for cut in range(1, len(raw)):
        status, body, conn = exchange([raw[:cut], raw[cut:]])
        assert (status, body) == (200, b"abcde")
        assert not conn.buf


def test_interim_100_continue_is_skipped():
    raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    assert exchange([raw])[:2] == (404, b"")


def test_connection_close_and_close_delimited_body():
    raw = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"
    status, body, conn = exchange([raw])
    assert (status, body, conn.sock) == (200, b"until the end", None)


def test_encode_request_sets_length():
    raw = encode_request("POST", "/v1/x", "h:1", {"A": "b"}, b"{}")
    assert raw == b"POST /v1/x HTTP/1.1\r\nHost: h:1\r\nA: b\r\nContent-Length: 2\r\n\r\n{}"


def test_keep_alive_and_reconnect_after_server_close(mock):
    conn = Connection("127.0.0.1", mock.port, timeout=10)
    ask = encode_request("POST", "/v1/messages", "x", {}, b'{"model": "m"}')
    close = encode_request("POST", "/v1/messages", "x", {"Connection": "close"}, b'{"model": "m"}')
    assert conn.exchange(ask, lambda _: None) == 200
    first_socket = conn.sock
    assert conn.exchange(close, lambda _: None) == 200
    assert conn.sock is first_socket          # reused; the server closes after answering
    assert conn.exchange(ask, lambda _: None) == 200   # stale socket: reopened once
    assert conn.sock is not first_socket
    conn.close()


def test_refused_connection_raises():
    with pytest.raises(OSError):
        Connection("127.0.0.1", free_port(), timeout=2).exchange(b"", lambda _: None)
