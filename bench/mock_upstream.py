"""A fast mock LLM upstream: one gevent process answering pre-built bytes.

It serves OpenAI Chat Completions, OpenAI Responses, Anthropic Messages and
Gemini generateContent / streamGenerateContent?alt=sse (see ``bench.wire``),
whole or streamed, after a configurable latency and with a configurable
delay between streamed tokens.  A raw ``StreamServer`` with a hand-rolled
HTTP/1.1 loop keeps it well ahead of the proxies it feeds (the harness
measures that: the "direct" rows are this server's own rate).

Control endpoints (used by the harness between scenarios)::

    POST /__mock__/config   {"latency_ms", "chunk_delay_ms", "tokens", "hold"}
    POST /__mock__/release  let every held stream finish
    GET  /__mock__/stats    {"requests", "streams_open", "streams_done"}

With ``hold`` on, each stream sends its first token and then waits for
``/__mock__/release`` (at most ``HOLD_MAX_S``), so the capacity scenario can
count open streams and release them all at once.

Run: ``python -m bench.mock_upstream --port 9000``.
"""
import argparse
import json
import socket
from urllib.parse import unquote

import gevent
from gevent.event import Event
from gevent.server import StreamServer

from bench import wire
from bench.limits import raise_fd_limit

HOLD_MAX_S = 600
DEFAULTS = {"latency_ms": 0.0, "chunk_delay_ms": 0.0, "tokens": 16, "hold": False}

_STREAM_HEAD = (b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n")


def http_response(status, body, content_type=b"application/json"):
    reason = {200: b"OK", 400: b"Bad Request", 404: b"Not Found"}.get(status, b"Error")
    return (b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n\r\n"
            % (status, reason, content_type, len(body)) + body)


def chunk(data):
    """``data`` framed as one HTTP/1.1 chunk."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def route(path, query, body):
    """``(dialect, model, stream, include_usage)`` for a request, or None.

    Paths are matched by suffix so any base-url layout a proxy builds
    (``/v1/chat/completions``, ``/chat/completions``...) lands.
    """
    if len(body) < _ROUTE_CACHE_MIN:
        return _route(path, body)
    key = (path, body)
    if key not in _routes:
        if len(_routes) >= _ROUTE_CACHE_SIZE:
            _routes.pop(next(iter(_routes)))      # the oldest
        _routes[key] = _route(path, body)
    return _routes[key]


# Agent-sized bodies (up to 1 MB) are sent again and again byte for byte;
# parsing each anew would cost the mock milliseconds per request and blur the
# proxies' sub-millisecond differences.  Hashing the bytes costs ~0.1 ms/MB.
_ROUTE_CACHE_MIN = 16 * 1024
_ROUTE_CACHE_SIZE = 64
_routes = {}


def _route(path, body):
    if b":generateContent" in path or b":streamGenerateContent" in path:
        name, _, method = path.rpartition(b"/")[2].partition(b":")
        return "gemini", unquote(name.decode()), method.startswith(b"stream"), False
    for suffix, dialect in ((b"/chat/completions", "openai"), (b"/responses", "responses"),
                            (b"/messages", "claude")):
        if path.endswith(suffix):
            request = json.loads(body or b"{}")
            include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
            return dialect, request.get("model", ""), bool(request.get("stream")), include_usage
    return None


class RequestReader:
    """Reads HTTP/1.1 requests off one keep-alive connection."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def _fill(self):
        data = self.sock.recv(65536)
        self.buf += data
        return bool(data)

    def _line(self):
        while (end := self.buf.find(b"\r\n")) < 0:
            if not self._fill():
                raise EOFError
        line = bytes(self.buf[:end])
        del self.buf[:end + 2]
        return line

    def _exactly(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise EOFError
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def _chunked_body(self):
        parts = []
        while size := int(self._line().split(b";")[0], 16):
            parts.append(self._exactly(size))
            self._line()
        while self._line():      # trailers end with an empty line
            pass
        return b"".join(parts)

    def read(self):
        """``(method, target, headers, body)``; None when the peer closed."""
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            if not self._fill():
                return None
        lines = bytes(self.buf[:end]).split(b"\r\n")
        del self.buf[:end + 4]
        method, target, _ = lines[0].split(b" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            body = self._chunked_body()
        else:
            body = self._exactly(int(headers.get(b"content-length", 0)))
        return method, target, headers, body


class MockUpstream:
    """The connection handler plus its settings and counters."""

    def __init__(self):
        self.settings = dict(DEFAULTS)
        self.released = Event()
        self.stats = {"requests": 0, "streams_open": 0, "streams_done": 0}
        self._cache = {}

    def handle(self, sock, _address):
        # Without it Nagle holds a small token frame back until the previous
        # one is ACKed, and delayed ACKs turn that into 40 ms gaps.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = RequestReader(sock)
        try:
            while request := reader.read():
                method, target, headers, body = request
                self.respond(sock, method, target, body)
                if headers.get(b"connection", b"").lower() == b"close":
                    return
        except (OSError, EOFError):
            return      # the client went away; nothing to clean up

    def respond(self, sock, method, target, body):
        path, _, query = target.partition(b"?")
        if path.startswith(b"/__mock__/"):
            sock.sendall(self.control(method, path, body))
            return
        found = route(path, query, body)
        if found is None:
            error = {"error": {"message": f"mock: no route {path.decode()}",
                               "type": "invalid_request_error"}}
            sock.sendall(http_response(404, json.dumps(error).encode()))
            return
        self.stats["requests"] += 1
        if self.settings["latency_ms"]:
            gevent.sleep(self.settings["latency_ms"] / 1000)
        dialect, model, streaming, include_usage = found
        if streaming:
            self.stream(sock, dialect, model, include_usage)
        else:
            sock.sendall(self._whole(dialect, model))

    def _whole(self, dialect, model):
        key = ("whole", dialect, model, self.settings["tokens"])
        if key not in self._cache:
            self._cache[key] = http_response(200, wire.whole(dialect, model, key[3]))
        return self._cache[key]

    def _frames(self, dialect, model, include_usage):
        """Pre-framed ``(head + first token, [later tokens], closing)``."""
        key = ("stream", dialect, model, self.settings["tokens"], include_usage)
        if key not in self._cache:
            preamble, tokens, closing = wire.stream(dialect, model, key[3], include_usage)
            first = _STREAM_HEAD + b"".join(chunk(e) for e in preamble + tokens[:1])
            later = [chunk(e) for e in tokens[1:]]
            self._cache[key] = (first, later, b"".join(map(chunk, closing)) + b"0\r\n\r\n")
        return self._cache[key]

    def stream(self, sock, dialect, model, include_usage):
        first, later, closing = self._frames(dialect, model, include_usage)
        delay = self.settings["chunk_delay_ms"] / 1000
        self.stats["streams_open"] += 1
        try:
            if not delay and not self.settings["hold"]:
                sock.sendall(first + b"".join(later) + closing)
                return
            sock.sendall(first)
            if self.settings["hold"]:
                self.released.wait(HOLD_MAX_S)
            for frame in later:
                gevent.sleep(delay)
                sock.sendall(frame)
            sock.sendall(closing)
        finally:
            self.stats["streams_open"] -= 1
            self.stats["streams_done"] += 1

    def control(self, method, path, body):
        if path == b"/__mock__/config" and method == b"POST":
            update = json.loads(body or b"{}")
            unknown = set(update) - set(DEFAULTS)
            if unknown:
                return http_response(400, json.dumps({"unknown": sorted(unknown)}).encode())
            self.settings.update(update)
            if update.get("hold"):
                self.released = Event()
            return http_response(200, json.dumps(self.settings).encode())
        if path == b"/__mock__/release" and method == b"POST":
            self.released.set()
            return http_response(200, b"{}")
        if path == b"/__mock__/stats":
            return http_response(200, json.dumps(self.stats).encode())
        return http_response(404, b'{"error": "unknown control path"}')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    raise_fd_limit()
    server = StreamServer((args.host, args.port), MockUpstream().handle, backlog=4096)
    server.serve_forever()


if __name__ == "__main__":
    main()
