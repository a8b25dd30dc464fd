"""urllib3 as a transport: for credentials with a ``proxy-url``.

The gateway's own client (``direct_transport``) carries direct calls; this
one keeps urllib3 where it does what that client does not: proxies
(http/https/socks5, from a ``requests`` ``HTTPAdapter``'s
``proxy_manager_for``).  Pools are shared by every call, so connections to
each upstream (through each proxy) are reused.  A call goes straight to the
pool's ``urlopen``: the layers ``requests`` adds above it -- ``Session``
(cookie jar merging, which would also replay one credential's upstream
cookies for another; redirects; hooks; environment proxies) and
``PreparedRequest``/``Response`` (URL re-parsing, header dicts, cookie
extraction) -- are per-call work a byte-relaying gateway needs none of.

Under gunicorn's gevent worker the socket module is monkey-patched, so
these blocking calls yield to other green threads.  ``urllib3`` errors
are mapped to ``proxy.errors`` here and nowhere else.
"""
import contextlib
import functools
import re
import select

import urllib3
import urllib3.exceptions
from gevent import monkey
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from proxy.wire import http1
from proxy.errors import UpstreamConnectError, UpstreamStreamError, UpstreamTimeout
from proxy.providers.transport import UpstreamResponse, answer_too_large, describe, failure, split

_POOL_SIZE = 256
_NO_RETRIES = Retry(False, redirect=False)  # the relay retries (elsewhere); immutable, shared
_READ_SIZE = 65536
_COALESCE_LIMIT = 256 * 1024   # bodies up to this size share the head's write
# The real poll(2): a zero-timeout check never blocks, so it needs none of
# gevent's cooperative machinery (which costs ~20 µs a call).
_poll = monkey.get_original("select", "poll")
# http.client's own header checks (RFC 9110 section 5: field names are
# tokens; values must not smuggle in a line break that is not a fold)
_LEGAL_NAME = re.compile(rb"[^:\s][^:\r\n]*").fullmatch
_ILLEGAL_VALUE = re.compile(rb"\n(?![ \t])|\r(?![ \t\n])").search


class _LeanConnection:
    """urllib3's connection with four per-call costs taken out.

    - header lines are checked and encoded in one step;
    - ``is_connected`` (asked before a pooled connection is reused: did the
      server close it while idle?) is one real poll;
    - the request head and a small body leave in one write, not two
      (http.client sends them separately);
    - the response head is parsed by ``proxy.wire.http1.Response``.
    """

    response_class = http1.Response
    _hold_head = False      # set per request(); a send() outside one (a proxy's CONNECT) passes
    _held_head = None

    @property
    def is_connected(self):
        if self.sock is None:
            return False
        poller = _poll()
        poller.register(self.sock.fileno(), select.POLLIN)
        return not poller.poll(0)      # readable while idle = EOF or junk

    def request(self, method, url, body=None, headers=None, **kwargs):
        self._held_head = None
        self._hold_head = isinstance(body, bytes) and 0 < len(body) <= _COALESCE_LIMIT
        super().request(method, url, body=body, headers=headers, **kwargs)

    def putheader(self, header, *values):
        # One str value (every header we send): checked as http.client checks
        # it (no CR/LF smuggling), without urllib3's per-header scan for its
        # SKIP_HEADER sentinel and http.client's per-value conversions.
        if len(values) != 1 or not isinstance(values[0], str):
            return super().putheader(header, *values)
        name, value = header.encode("ascii"), values[0].encode("latin-1")
        if not _LEGAL_NAME(name) or _ILLEGAL_VALUE(value):
            raise ValueError(f"Invalid header {header!r}")
        self._output(name + b": " + value)

    def send(self, data):
        # http.client sends the head, then urllib3 the body: join the two
        if self._hold_head:
            if self._held_head is None:
                self._held_head = data
                return
            data, self._held_head, self._hold_head = self._held_head + data, None, False
        super().send(data)


class _HTTPConnection(_LeanConnection, HTTPConnection):
    pass


class _HTTPSConnection(_LeanConnection, HTTPSConnection):
    pass


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection



class Urllib3Transport:
    """The connection pools of one ``requests`` ``HTTPAdapter`` (urllib3
    underneath), shared by every call; the one place urllib3 is called, its
    errors mapped to ``proxy.errors`` here."""

    def __init__(self):
        self._adapter = HTTPAdapter(pool_connections=16, pool_maxsize=_POOL_SIZE, max_retries=0)
        self._adapter.poolmanager.pool_classes_by_scheme = {
            "http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}
        # (origin, proxy) -> pool, skipping the manager's URL parsing and key
        # normalisation on every call (the manager still owns the pools)
        self._pools = {}

    def send(self, request):
        cred = request.upstream
        try:
            pool, target = self._pool_for(request.url, cred.proxy_url)
            resp = pool.urlopen("POST", target, body=request.body, headers=request.headers,
                                retries=_NO_RETRIES, redirect=False, assert_same_host=False,
                                timeout=_timeout(request.timeouts[:2]), preload_content=False,
                                decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise _before_head(exc, cred, request.timeouts) from None
        return Urllib3Response(resp, cred)

    def _pool_for(self, url, proxy_url):
        """The connection pool for ``url`` and the request target to send it.

        Through a plain HTTP proxy an ``http://`` URL is sent whole (absolute
        form); HTTPS and SOCKS go through a tunnel and send the path only
        (as ``requests.adapters.HTTPAdapter.request_url`` does).  The
        environment's proxy variables are not consulted: config decides.
        """
        origin, path = split(url)
        key = (origin, proxy_url)
        pool = self._pools.get(key)
        if pool is None or pool.pool is None:        # unseen, or closed by the manager's LRU
            pool = self._pools[key] = self._manager(proxy_url).connection_from_url(url)
        if proxy_url and proxy_url != "direct" and not (
                url.startswith("https:") or proxy_url.lower().startswith("socks")):
            return pool, url
        return pool, path

    def _manager(self, proxy_url):
        if proxy_url and proxy_url != "direct":
            return self._adapter.proxy_manager_for(proxy_url)
        return self._adapter.poolmanager

    def close(self):
        self._adapter.close()


@functools.lru_cache(maxsize=8)
def _timeout(timeouts):
    """urllib3's Timeout for ``(connect, read)``; one object per config."""
    connect, read = timeouts
    return urllib3.Timeout(connect=connect, read=read)



def _before_head(exc, cred, timeouts):
    """The ``proxy.errors`` failure for a urllib3 error raised before the
    response head arrived."""
    errors = urllib3.exceptions
    if isinstance(exc, errors.NameResolutionError):
        return failure(UpstreamConnectError, cred, "dns_failure", "could not be resolved")
    if isinstance(exc, errors.NewConnectionError):   # (urllib3 files it under timeouts)
        if isinstance(exc.__context__, ConnectionRefusedError) or "refused" in str(exc):
            return failure(UpstreamConnectError, cred, "connection_refused",
                           "refused the connection")
        return failure(UpstreamConnectError, cred, "connect_failed",
                       f"could not be reached ({_os_reason(exc)})")
    if isinstance(exc, errors.ConnectTimeoutError):
        return failure(UpstreamTimeout, cred, "connect_timeout",
                       f"timed out after {timeouts[0]:g} s connecting")
    if isinstance(exc, errors.ReadTimeoutError):
        return failure(UpstreamTimeout, cred, "read_timeout",
                       f"sent no answer within {timeouts[1]:g} s (read-timeout-seconds)")
    if isinstance(exc, errors.SSLError):
        return failure(UpstreamConnectError, cred, "tls_error", "failed the TLS handshake")
    if isinstance(exc, errors.ProxyError):
        return failure(UpstreamConnectError, cred, "proxy_error",
                       "could not be reached through its proxy-url")
    if isinstance(exc, ValueError) and not isinstance(exc, errors.HTTPError):
        return failure(UpstreamConnectError, cred, "bad_request_line",
                       f"could not be sent the request ({describe(exc)})")
    return failure(UpstreamConnectError, cred, "connection_reset",
                   "closed the connection without answering")


def _os_reason(exc):
    """The operating system's words for a failed connect ("Network is
    unreachable"), without urllib3's wrapping (which names the pool)."""
    text = str(exc)
    return text.rsplit("] ", 1)[-1].rstrip(")") if "] " in text else "connection failed"



class Urllib3Response(UpstreamResponse):
    """urllib3's response behind ``UpstreamResponse``: each chunk of a
    chunked body as it arrives, a known length read in one call.  The
    connection goes back to the pool once the body is read to its end;
    ``close()`` before that (client gone) drops it instead."""
    __slots__ = ("_raw",)

    def __init__(self, raw, upstream):
        super().__init__(raw.status, raw.headers, upstream)
        self._raw = raw

    def iter_bytes(self):
        raw = self._raw
        with _reading(raw, self.upstream):
            if raw.chunked and raw.supports_chunked_reads():
                yield from raw.read_chunked(decode_content=True)
            else:
                while chunk := raw.read1(_READ_SIZE):
                    yield chunk

    def read(self, limit=None):
        raw = self._raw
        if not raw.chunked and (limit is None or self.headers.get("content-length")):
            declared = self.headers.get("content-length")
            if limit is not None and declared.isdigit() and int(declared) > limit:
                raw.close()
                raise answer_too_large(self.upstream, limit)
            with _reading(raw, self.upstream):         # a known length within the limit
                return raw.read()
        return super().read(limit)

    def close(self):
        self._raw.close()


@contextlib.contextmanager
def _reading(resp, cred):
    """Map urllib3's body-read failures to ``proxy.errors``; close ``resp`` after."""
    try:
        yield
    except urllib3.exceptions.ReadTimeoutError:
        raise failure(UpstreamTimeout, cred, "read_timeout",
                      "went silent mid-answer (read-timeout-seconds)") from None
    except (urllib3.exceptions.HTTPError, OSError):
        raise failure(UpstreamStreamError, cred, "stream_truncated",
                      "closed the connection mid-answer") from None
    finally:
        resp.close()

