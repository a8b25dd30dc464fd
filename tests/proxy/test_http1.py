"""proxy.wire.http1: the response head parser must read what http.client reads."""
import http.client
import io

import pytest

from proxy.wire import http1


class _Sock:
    def __init__(self, data):
        self._data = data

    def makefile(self, mode):
        return io.BytesIO(self._data)


def _both(raw, method="POST"):
    """(ours, stdlib's) responses to the same bytes, heads read."""
    ours = http1.Response(_Sock(raw), method=method)
    theirs = http.client.HTTPResponse(_Sock(raw), method=method)
    ours.begin()
    theirs.begin()
    return ours, theirs


def _same(ours, theirs):
    for attr in ("status", "reason", "version", "chunked", "length", "will_close"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours.msg.items() == theirs.msg.items()


@pytest.mark.parametrize("raw", [
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nSet-Cookie: a=1\r\n"
    b"Set-Cookie: b=2\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody to close",
    b"HTTP/1.1 200 OK\r\n\r\nno length: read to close",
    b"HTTP/1.1 204 No Content\r\nX-Request-Id: r1\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
])
def test_reads_the_head_as_http_client_does(raw):
    ours, theirs = _both(raw)
    _same(ours, theirs)
    assert ours.read() == theirs.read()


def test_header_lookups_are_case_insensitive_and_repeat():
    ours, _ = _both(b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n"
                    b"Content-Length: 0\r\n\r\n")
    assert ours.msg.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert ours.getheader("content-length") == "0"


def test_value_whitespace_is_trimmed_and_folds_become_one_space():
    headers = http1.parse_headers(io.BytesIO(
        b"X-A:   padded \t\r\nX-Folded: one\r\n two\r\n\tthree\r\nbroken line\r\n\r\n"))
    assert headers.items() == [("X-A", "padded"), ("X-Folded", "one two three")]


def test_a_head_over_the_limits_is_refused():
    many = b"".join(b"X-%d: v\r\n" % i for i in range(http1.MAX_HEADERS + 1))
    with pytest.raises(http.client.HTTPException):
        http1.parse_headers(io.BytesIO(many + b"\r\n"))
    with pytest.raises(http.client.LineTooLong):
        http1.parse_headers(io.BytesIO(b"X-Big: " + b"v" * http1.MAX_LINE + b"\r\n\r\n"))


def test_unknown_protocol_is_refused():
    with pytest.raises(http.client.UnknownProtocol):
        http1.Response(_Sock(b"HTTP/2.0 200 OK\r\n\r\n")).begin()


@pytest.mark.parametrize("line", [b"Host : example.test", b"no colon here", b"Bad Name: v"])
def test_strict_mode_refuses_malformed_request_lines(line):
    with pytest.raises(ValueError):
        http1.parse_headers(io.BytesIO(b"Accept: */*\r\n" + line + b"\r\n\r\n"), strict=True)
    lenient = http1.parse_headers(io.BytesIO(b"Accept: */*\r\n" + line + b"\r\n\r\n"))
    assert lenient.items() == [("Accept", "*/*")]
