"""A minimal HTTP/1.1 keep-alive client over gevent sockets.

The load generator needs thousands of concurrent connections, the arrival
time of every body piece, and as little per-request CPU as possible, so it
sends pre-encoded request bytes and parses only what it must: the status,
``Content-Length`` or chunked framing, and ``Connection: close``.
"""
import re

from gevent import socket

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)")


def encode_request(method, path, host, headers, body):
    """The request bytes, ready to send as many times as wanted."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


class Connection:
    """One keep-alive connection; reconnects lazily after a close."""

    def __init__(self, host, port, timeout=60.0):
        self.address = (host, port)
        self.timeout = timeout
        self.sock = None
        self.buf = bytearray()
        self.answered = False       # any byte of the current response seen

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def exchange(self, request, on_body):
        """Send ``request``; read the whole response, passing each body piece
        to ``on_body`` as it arrives.  Returns the status code.

        A reused connection the server closed while idle (uvicorn drops
        idle keep-alives after 5 s) is reopened once and the request resent,
        provided no byte of an answer had arrived.
        """
        reused = self.sock is not None
        try:
            return self._exchange(request, on_body)
        except (ConnectionError, EOFError):
            if not reused or self.answered:
                raise
        return self._exchange(request, on_body)

    def _exchange(self, request, on_body):
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buf.clear()
        self.answered = False
        try:
            self.sock.sendall(request)
            return self._read_response(on_body)
        except BaseException:
            self.close()
            raise

    def _fill(self):
        data = self.sock.recv(262144)
        if not data:
            raise EOFError("connection closed by peer")
        self.answered = True
        self.buf += data

    def _take(self, n):
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def _line(self):
        while (end := self.buf.find(b"\r\n")) < 0:
            self._fill()
        line = self._take(end)
        del self.buf[:2]
        return line

    def _read_head(self):
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            self._fill()
        head = self._take(end + 4)
        if head[9:10] == b"1":          # 100 Continue and friends: skip
            return self._read_head()
        return head

    def _read_response(self, on_body):
        head = self._read_head()
        status = int(head[9:12])
        lower = head.lower()
        if b"\r\ntransfer-encoding: chunked" in lower:
            self._read_chunked(on_body)
        elif match := _CONTENT_LENGTH.search(lower):
            self._read_length(int(match.group(1)), on_body)
        else:
            self._read_to_close(on_body)
        if b"\r\nconnection: close" in lower:
            self.close()
        return status

    def _read_length(self, remaining, on_body):
        while remaining:
            if not self.buf:
                self._fill()
            piece = self._take(min(remaining, len(self.buf)))
            remaining -= len(piece)
            on_body(piece)

    def _read_chunked(self, on_body):
        while size := int(self._line().split(b";")[0], 16):
            while len(self.buf) < size + 2:
                self._fill()
            on_body(self._take(size))
            del self.buf[:2]
        while self._line():             # trailers end with an empty line
            pass

    def _read_to_close(self, on_body):
        try:
            while True:
                if self.buf:
                    on_body(self._take(len(self.buf)))
                self._fill()
        except EOFError:
            self.close()
