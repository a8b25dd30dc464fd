"""The gateway's own HTTP/1.1 client: the transport for direct upstreams.

A proxied request is one POST out and one answer back, relayed as it comes.
urllib3 with ``http.client`` under it did that with ~450 µs of CPU per call
in the stack-floor harness (bench/RESULTS.md), about 40% of a proxied
request: per-call layers (pool lookup, timeout objects, header dicts,
``email``-style parsing, read buffering) a gateway needs none of.  This
client does what is needed and nothing else, in the layers httpcore draws:

- ``_Connection``: one socket, TCP or TLS, to one origin;
- ``DirectTransport``: the pool (idle keep-alive connections per origin,
  bounded, checked with a real zero-timeout poll before reuse) and ``send``
  (request head and body in one write, a large body gathered behind the head
  rather than copied, ``proxy.wire.gather``; the response head read and
  parsed by ``proxy.wire.http1``); errors mapped to ``proxy.errors`` here;
- ``DirectResponse``: the body, framed per RFC 9112 section 6.3.  A chunked
  body's data is yielded as it arrives (an SSE event is never held back for
  the next); the connection goes back to the pool once the body is read to
  its end, and is dropped by ``close()`` before that.

A reused connection the upstream closed while it sat idle (the race the poll
cannot see: its close is still in flight) fails before any response byte;
the request is then sent once more on a fresh connection, but only when the
upstream provably did not take it in: our write failed, or the read met a
reset (a TCP peer that closes with our bytes unread, or already closed when
they came, answers RST).  A clean close (FIN) after our request went out is
ambiguous -- the upstream may have read the POST and acted on it -- so it is
an error (``connection_reset``) for the relay to fail over, never a resend;
as on a fresh connection, and as once an answer has begun.

Sockets are gevent's, so a call yields to other green threads whether or not
the process is monkey-patched (tests run a gevent server in-process).  TLS
verifies certificates against the system's trust store with hostname checks
and SNI: ``ssl.create_default_context()``'s settings, the trust urllib3 had.
Credentials with a ``proxy-url`` use ``urllib3_transport`` instead.
"""
import functools
import re
import select
import zlib

from gevent import monkey, socket, ssl

from proxy import __version__
from proxy.errors import UpstreamConnectError, UpstreamStreamError, UpstreamTimeout
from proxy.providers.transport import UpstreamResponse, describe, failure, split
from proxy.wire import gather, http1

_POOL_SIZE = 256                # idle connections kept per origin (as urllib3's pool_maxsize)
_READ_SIZE = 65536
_COALESCE_LIMIT = 256 * 1024    # bodies up to this size share the head's write
_MAX_HEAD = 256 * 1024          # a response head larger than this is refused
# The real poll(2): a zero-timeout check never blocks, so it needs none of
# gevent's cooperative machinery (which costs ~20 µs a call).
_poll = monkey.get_original("select", "poll")
_USER_AGENT = f"switchyard/{__version__}"     # sent when the client sent none
# http.client's checks (RFC 9110 section 5: a field name is a token; a value
# never carries a line break; RFC 9112 section 3.2: no controls or spaces in
# the request target)
_LEGAL_NAME = re.compile(r"[^:\s][^:\r\n]*").fullmatch
_ILLEGAL_TARGET = re.compile(r"[\x00-\x20\x7f]").search


class _Connection:
    """One socket to ``origin`` (``scheme://host:port``)."""
    __slots__ = ("sock", "origin", "gathers", "_poller", "_pending")

    def __init__(self, sock, origin):
        self.sock, self.origin = sock, origin
        self.gathers = gather.can_gather(sock)
        self._poller = None

    def is_open(self):
        """Whether an idle connection still looks usable: not readable (a
        readable idle socket has seen EOF or junk), no TLS bytes pending.
        The poller and the TLS check are set up at the first check and kept
        for the connection's life: looking for ``pending`` on a plain gevent
        socket goes through its ``__getattr__`` and a caught AttributeError
        (~2.4 µs), a new poller costs another ~0.5."""
        poller = self._poller
        if poller is None:
            poller = self._poller = _poll()
            poller.register(self.sock.fileno(), select.POLLIN)
            self._pending = getattr(self.sock, "pending", None)    # TLS sockets have it
        if poller.poll(0):
            return False
        pending = self._pending
        return pending is None or not pending()

    def send_all(self, data):
        """``sendall``, trying one plain ``send`` first: it takes a request
        whole in the common case, where gevent's ``sendall`` would first
        ask the kernel for the buffer size (a getsockopt per call)."""
        sent = self.sock.send(data)
        if sent < len(data):
            self.sock.sendall(memoryview(data)[sent:])

    def send_request(self, head, body):
        """The request head and body: one write, the body copied behind
        the head only when it is small (``proxy.wire.gather``); a body too
        large to gather (over TLS) past ``_COALESCE_LIMIT`` goes on its own."""
        if len(body) >= gather.GATHER_FROM and self.gathers:
            gather.send_gathered(self.sock, head, body)
        elif len(body) <= _COALESCE_LIMIT:
            self.send_all(head + body)
        else:
            self.send_all(head)
            self.send_all(body)

    def recv(self):
        return self.sock.recv(_READ_SIZE)

    def close(self):
        self.sock.close()


class DirectTransport:
    """Upstream calls over pooled keep-alive connections of our own.

    ``tls``: the ``ssl.SSLContext`` for https origins (default: verifying
    against the system's trust store); ``pool_size``: idle connections kept
    per origin (more may be open at once; extra ones close when done)."""

    def __init__(self, *, tls=None, pool_size=_POOL_SIZE):
        self._tls, self._pool_size = tls, pool_size
        self._idle = {}             # origin -> idle connections, most recent last
        self._closed = False

    def send(self, request):
        cred, body = request.upstream, request.body
        try:
            origin, address, target = _where(request.url)
            head = _request_head(target, address[3], request.headers, len(body))
        except ValueError as exc:                # (UnicodeEncodeError is one)
            raise failure(UpstreamConnectError, cred, "bad_request_line",
                          f"could not be sent the request ({describe(exc)})") from None
        conn = self._checkout(origin)
        if conn is not None:
            resp = self._exchange(conn, head, body, request)
            if resp is not None:
                return resp
            conn.close()          # closed while idle, the request unread: once more
        conn = self._connect(origin, address, request)
        resp = self._exchange(conn, head, body, request)
        if resp is None:
            conn.close()
            raise failure(UpstreamConnectError, cred, "connection_reset",
                          "closed the connection without answering")
        return resp

    def _exchange(self, conn, head, body, request):
        """The response once its head is in, or None if the upstream
        provably did not take the request in (see the module docstring)."""
        cred = request.upstream
        try:
            try:
                conn.send_request(head, body)
            except socket.timeout:
                raise _silent(cred, request.timeouts) from None
            except OSError:
                return None
            return self._read_head(conn, request)
        except BaseException:          # incl. the first-byte deadline's gevent.Timeout
            conn.close()
            raise

    def _read_head(self, conn, request):
        """The response head (and what came with it).  While the caller's
        first-byte deadline falls due before the read timeout would
        (``request.deadline``; the defaults: 120 s against 600 s), that
        deadline alone bounds the wait: the socket's own timeout, a
        ``gevent.Timeout`` made and cancelled around every blocking read,
        could never fire first, so it is set aside until the head is in."""
        sock, deadline, idle = conn.sock, request.deadline, None
        # (gevent's socket keeps its timeout in a plain attribute)
        untimed = deadline is not None and (idle := sock.timeout) is not None \
            and deadline.seconds <= idle
        if untimed:
            sock.timeout = None
        try:
            return self._head(conn, sock, request)
        finally:
            if untimed:
                sock.timeout = idle

    def _head(self, conn, sock, request):
        cred, buf = request.upstream, b""
        while True:
            try:
                data = sock.recv(_READ_SIZE)
            except socket.timeout:
                raise _silent(cred, request.timeouts) from None
            except ConnectionResetError:
                if not buf:
                    return None
                data = b""
            except OSError:
                data = b""
            if not data:
                raise failure(UpstreamConnectError, cred, "connection_reset",
                              "closed the connection without answering")
            buf += data
            while (end := _head_end(buf)) is not None:
                try:
                    version, status, _, headers = http1.parse_response_head(buf[:end[0]])
                except ValueError as exc:
                    raise _malformed(cred, str(exc)) from None
                buf = buf[end[1]:]
                if not 100 <= status < 200:        # interim heads (100 Continue) skipped
                    return DirectResponse(self, conn, version, status, headers, buf, cred)
            if len(buf) > _MAX_HEAD:
                raise _malformed(cred, f"a response head over {_MAX_HEAD // 1024} KB")

    def _connect(self, origin, address, request):
        scheme, host, port, _ = address
        connect_timeout, read_timeout = request.timeouts[:2]
        sock = None
        try:
            sock = socket.create_connection((host, port), connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":       # the handshake runs under the connect timeout
                sock = self._tls_context().wrap_socket(sock, server_hostname=host)
            sock.settimeout(read_timeout)
        except OSError as exc:
            if sock is not None:
                sock.close()
            raise _connect_failure(exc, request.upstream, connect_timeout) from None
        except BaseException:
            if sock is not None:
                sock.close()
            raise
        return _Connection(sock, origin)

    def _tls_context(self):
        if self._tls is None:
            # ssl.create_default_context()'s settings (PROTOCOL_TLS_CLIENT:
            # certificates verified, hostnames checked) on gevent's context
            # class, whose sockets are cooperative
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            tls.load_default_certs()
            tls.set_alpn_protocols(["http/1.1"])
            self._tls = tls
        return self._tls

    def _checkout(self, origin):
        """An idle connection to ``origin`` that still looks open, or None."""
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if conn.is_open():
                return conn
            conn.close()
        return None

    def checkin(self, conn):
        """Keep ``conn`` (its answer read to the end) for the next call."""
        idle = self._idle.setdefault(conn.origin, [])
        if self._closed or len(idle) >= self._pool_size:
            conn.close()
        else:
            idle.append(conn)

    def close(self):
        self._closed = True
        for idle in self._idle.values():
            while idle:
                idle.pop().close()


class DirectResponse(UpstreamResponse):
    """An answer over a ``_Connection``: the body framed by Content-Length,
    the chunked coding, or the connection's end (RFC 9112 section 6.3);
    gzip and deflate bodies decoded (we ask for ``identity``; this is for an
    upstream that compresses anyway)."""
    __slots__ = ("_transport", "_conn", "_buffered", "_length", "_chunked", "_reusable",
                 "_coding")

    def __init__(self, transport, conn, version, status, headers, buffered, upstream):
        super().__init__(status, headers, upstream)
        self._transport, self._conn, self._buffered = transport, conn, buffered
        self._chunked, self._length = False, None
        encoding, length = headers.get("transfer-encoding"), headers.get("content-length")
        if status in (204, 304):
            self._length = 0
        elif encoding is not None:
            if length is not None:          # RFC 9112 section 6.3: a smuggling vector
                conn.close()
                raise _malformed(upstream, "both Transfer-Encoding and Content-Length")
            self._chunked = encoding.rsplit(",", 1)[-1].strip().lower() == "chunked"
        elif length is not None:
            if length.isdigit() and length.isascii():       # (nearly always)
                self._length = int(length)
            else:
                sizes = {size.strip() for size in length.split(",")}
                size = sizes.pop()
                if sizes or not size.isdigit() or not size.isascii():
                    conn.close()
                    raise _malformed(upstream, f"Content-Length {length[:40]!r}")
                self._length = int(size)
        connection = headers.get("connection")
        self._reusable = ((self._chunked or self._length is not None)
                          and (version != "HTTP/1.0" or "keep-alive" in (connection or "").lower())
                          and not (connection and "close" in connection.lower()))
        coding = headers.get("content-encoding")
        coding = coding.strip().lower() if coding else None
        self._coding = coding if coding in ("gzip", "x-gzip", "deflate") else None

    def read(self, limit=None):
        """The whole body.  One that came whole with the head (a small
        answer's) is handed over as it is, the connection back in the pool,
        without the generators ``iter_bytes`` stacks for a body still
        arriving; the same bytes, the same checks."""
        length, data = self._length, self._buffered
        if length is None or len(data) < length or self._coding is not None \
                or self._conn is None or (limit is not None and length > limit) \
                or self.status in (204, 304):
            return super().read(limit)
        self._release(reusable=len(data) == length)
        return data if len(data) == length else data[:length]

    def iter_bytes(self):
        try:
            if self._coding is not None:
                yield from _decoded(self._body(), self._coding, self.upstream)
            else:
                yield from self._body()
        finally:
            self.close()

    def _body(self):
        if self._chunked:
            return self._chunked_body()
        if self._length is not None:
            return self._sized_body()
        return self._body_to_close()

    def _sized_body(self):
        left, data = self._length, self._buffered
        while True:
            if len(data) >= left:           # the last bytes (more than declared: not reused)
                self._release(reusable=len(data) == left)
                if left:
                    yield data if len(data) == left else data[:left]
                return
            if data:
                left -= len(data)
                yield data
            data = self._recv(truncated=True)

    def _chunked_body(self):
        decoder, data = http1.ChunkedDecoder(), self._buffered
        while True:
            if data:
                try:
                    out = decoder.feed(data)
                except ValueError as exc:
                    raise _malformed(self.upstream, str(exc)) from None
                if decoder.done:
                    self._release(reusable=not decoder.leftover)
                if out:
                    yield out
                if decoder.done:
                    return
            data = self._recv(truncated=True)

    def _body_to_close(self):
        data = self._buffered
        while data:
            yield data
            data = self._recv(truncated=False)

    def _recv(self, *, truncated):
        """The next bytes; b"" at the end (an error if ``truncated``)."""
        try:
            data = self._conn.recv()
        except socket.timeout:
            raise failure(UpstreamTimeout, self.upstream, "read_timeout",
                          "went silent mid-answer (read-timeout-seconds)") from None
        except OSError:
            data = b""
        if not data and truncated:
            raise failure(UpstreamStreamError, self.upstream, "stream_truncated",
                          "closed the connection mid-answer")
        return data

    def _release(self, reusable=True):
        """The body is in: the connection back to the pool (or closed)."""
        conn, self._conn = self._conn, None
        self._buffered = b""
        if reusable and self._reusable:
            self._transport.checkin(conn)
        else:
            conn.close()

    def close(self):
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()


def _decoded(chunks, coding, cred):
    """``chunks`` of a gzip or deflate body, decoded as they come (deflate
    with its zlib wrapper or without: servers send both)."""
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS if coding != "deflate" else zlib.MAX_WBITS)
    first = coding == "deflate"
    try:
        for chunk in chunks:
            try:
                out = decoder.decompress(chunk)
            except zlib.error:
                if not first:
                    raise
                decoder = zlib.decompressobj(-zlib.MAX_WBITS)    # raw deflate
                out = decoder.decompress(chunk)
            first = first and not chunk
            if out:
                yield out
        if tail := decoder.flush():
            yield tail
    except zlib.error as exc:
        raise _malformed(cred, f"{coding} body: {exc}") from None


@functools.lru_cache(maxsize=256)
def _address(origin):
    """``(scheme, host, port, Host header)`` of ``scheme://host[:port]``."""
    scheme, _, authority = origin.partition("://")
    scheme = scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme {scheme!r}")
    authority = authority.rpartition("@")[2]          # no userinfo on the wire
    if authority.startswith("["):                     # an IPv6 literal
        host, _, port = authority[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _, port = authority.partition(":")
    if not host:
        raise ValueError("no host in the URL")
    default = 443 if scheme == "https" else 80
    port = int(port) if port else default
    named = f"[{host}]" if ":" in host else host
    if not named.isascii():                           # an internationalised name: its A-label
        named = named.encode("idna").decode("ascii")
    return scheme, host, port, named if port == default else f"{named}:{port}"


def _where(url):
    """``(origin, address, target)`` of ``url`` (``_address``; the target
    checked), worked out once per URL: the same few come with every call."""
    found = _WHERE.get(url)
    if found is None:
        origin, target = split(url)
        address = _address(origin)
        if _ILLEGAL_TARGET(target):
            raise ValueError("request target holds a control character or space")
        if len(_WHERE) >= 4096:
            _WHERE.clear()
        found = _WHERE[url] = (origin, address, target)
    return found


_WHERE = {}


def _request_head(target, host, headers, length):
    """The request's head as bytes: ``headers`` (lower-case names, str
    values) plus Host, Content-Length and a User-Agent unless given.
    ``ValueError`` for a header that could smuggle a line (``target`` is
    checked by ``_where``)."""
    fields, count = "", len(headers)
    if count:
        try:            # each "name: value" joined in C, no format per field
            fields = "\r\n".join(map(": ".join, headers.items())) + "\r\n"
        except TypeError:             # a value not a str: formatted as one
            fields = "".join([f"{name}: {value}\r\n" for name, value in headers.items()])
        # one count each instead of a check per value: only the line ends we added
        if fields.count("\n") != count or fields.count("\r") != count:
            bad = next(name for name, value in headers.items()
                       if "\r" in f"{name}{value}" or "\n" in f"{name}{value}")
            raise ValueError(f"Invalid header {bad!r}")
        if not _LEGAL_NAMES.issuperset(headers):
            for name in headers:
                if name not in _LEGAL_NAMES:
                    if not _LEGAL_NAME(name):
                        raise ValueError(f"Invalid header {name!r}")
                    if len(_LEGAL_NAMES) < 4096:
                        _LEGAL_NAMES.add(name)
    extra = "" if "host" in headers else f"host: {host}\r\n"
    if "user-agent" not in headers:
        extra += f"user-agent: {_USER_AGENT}\r\n"
    if "content-length" not in headers:
        extra += f"content-length: {length}\r\n"
    return f"POST {target} HTTP/1.1\r\n{extra}{fields}\r\n".encode("latin-1")


_LEGAL_NAMES = set()      # names seen to be legal: the same few recur on every call


def _head_end(buf):
    """``(end of the head, start of the body)`` in ``buf``, or None while
    the blank line has not come (CRLF line ends, or bare LF as
    RFC 9112 section 2.2 lets a recipient accept)."""
    crlf, lf = buf.find(b"\n\r\n"), buf.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return crlf + 1, crlf + 3
    if lf >= 0:
        return lf + 1, lf + 2
    return None


def _connect_failure(exc, cred, connect_timeout):
    """The ``proxy.errors`` failure for ``exc`` raised while connecting."""
    if isinstance(exc, socket.gaierror):
        return failure(UpstreamConnectError, cred, "dns_failure", "could not be resolved")
    if isinstance(exc, ConnectionRefusedError):
        return failure(UpstreamConnectError, cred, "connection_refused", "refused the connection")
    if isinstance(exc, TimeoutError):
        return failure(UpstreamTimeout, cred, "connect_timeout",
                       f"timed out after {connect_timeout:g} s connecting")
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return failure(UpstreamConnectError, cred, "tls_error", "failed the TLS handshake")
    return failure(UpstreamConnectError, cred, "connect_failed",
                   f"could not be reached ({exc.strerror or 'connection failed'})")


def _silent(cred, timeouts):
    return failure(UpstreamTimeout, cred, "read_timeout",
                   f"sent no answer within {timeouts[1]:g} s (read-timeout-seconds)")


def _malformed(cred, what):
    """A response the client cannot frame (a malformed head, conflicting
    lengths, a bad chunk): a stream error, the connection not reused."""
    return failure(UpstreamStreamError, cred, "bad_response", f"sent a malformed answer ({what})")
