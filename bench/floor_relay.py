"""The least a gateway on Switchyard's stack can do: a WSGI app that reads
the request body and sends it, unread, to the mock upstream, then hands the
upstream's answer back.

It runs in the same gunicorn + gevent pywsgi worker as Switchyard
(``proxy.http.worker.Worker``), so the difference between its latency and
a direct call is what the stack itself costs a body of that size: two more
trips over loopback, pywsgi's request handling, the body read into one
buffer and written out again.  ``bench.floor`` compares it with Switchyard.

``FLOOR_UPSTREAM_PORT``: the mock's port.  ``FLOOR_CHECK``: what to do with
the body before sending it -- ``none``; ``top_level``, a whole read of the
body's top level (``proxy.wire.json_top.top_level``, the whole-document JSON
check), the floor for a read of every byte of each body (Switchyard reads a
session's next body only from where it differs from the last one,
``proxy.wire.json_resume``, so it can go under this); ``orjson``, a full parse; ``roundtrip``, a full
parse and the parsed body serialised again and sent instead, the least any
translating gateway does (without the translation).  The C heap is set up
as in Switchyard's workers (``proxy.http.heap``).
"""
import os
import socket

import orjson

from proxy.http import heap
from proxy.wire import json_top

_UPSTREAM = ("127.0.0.1", int(os.environ.get("FLOOR_UPSTREAM_PORT", "0")))


def _checked(read):
    """The body sent on unread once ``read`` has looked at it."""
    def prepare(raw):
        read(raw)
        return raw
    return prepare


_PREPARES = {"none": lambda raw: raw, "top_level": _checked(json_top.top_level),
             "orjson": _checked(orjson.loads),
             "roundtrip": lambda raw: orjson.dumps(orjson.loads(raw))}
_prepare = _PREPARES[os.environ.get("FLOOR_CHECK", "none")]
_idle = []                  # keep-alive connections to the mock
heap.keep_freed_memory()    # as Switchyard's worker does (gunicorn.conf.py post_worker_init)


def app(environ, start_response):
    if environ["PATH_INFO"] == "/healthz":
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = _prepare(environ["wsgi.input"].read(length))
    head = (b"POST %s HTTP/1.1\r\nHost: upstream\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer sk-bench-upstream\r\nx-api-key: sk-bench-upstream\r\n"
            b"Content-Length: %d\r\n\r\n" % (environ["PATH_INFO"].encode(), len(raw)))
    sock = _idle.pop() if _idle else _connect()
    sock.sendall(head)
    sock.sendall(raw)
    status, content_type, answer = _answer(sock)
    _idle.append(sock)
    start_response(status, [("Content-Type", content_type),
                            ("Content-Length", str(len(answer)))])
    return [answer]


def _connect():
    sock = socket.create_connection(_UPSTREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)     # as Switchyard's client
    return sock


def _answer(sock):
    """``(status line, content type, body)`` of the mock's whole answer
    (it always sends a Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.lower().split(": ", 1) for line in lines[1:])
    length = int(fields["content-length"])
    while len(body) < length:
        body += sock.recv(65536)
    return lines[0].split(" ", 1)[1], fields["content-type"], body
