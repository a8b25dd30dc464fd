"""The upstream HTTP client: the only way the gateway talks HTTP outward.

``UpstreamClient.send`` hands back an ``UpstreamResponse`` (status, headers,
``read()``, ``iter_bytes()``, ``close()``) and raises ``proxy.errors`` only.
What carries the bytes is a transport (``proxy.providers.transport``), picked
per call: the gateway's own HTTP/1.1 client (``direct_transport``) for a
credential reached directly, urllib3 (``urllib3_transport``) for one with a
``proxy-url``; tests pass a scripted one (``tests/fakes/transport.py``).
"""
from proxy.deadline import Deadline, Expired
from proxy.errors import UpstreamStatusError, UpstreamStreamError, UpstreamTimeout
from proxy.providers.direct_transport import DirectTransport
from proxy.providers.transport import (Request, UpstreamResponse,  # noqa: F401 (re-exported)
                                       answer_too_large, failure)
from proxy.providers.urllib3_transport import Urllib3Transport


class UpstreamClient:
    """Upstream calls over a transport: ``send`` applies the first-byte
    deadline and turns a non-2xx answer into ``UpstreamStatusError``.

    ``transport``: anything with ``send(Request) -> UpstreamResponse`` and
    ``close()`` that raises only ``proxy.errors.UpstreamError`` subclasses,
    used for every call (tests pass a scripted fake).  Without one, a
    credential reached directly goes over ``DirectTransport`` and one with
    a ``proxy-url`` over ``Urllib3Transport`` (made on first use).
    """

    def __init__(self, transport=None):
        self.transport = transport if transport is not None else DirectTransport()
        self._proxied = transport

    def _transport_for(self, cred):
        proxy_url = cred.proxy_url
        if not proxy_url or proxy_url == "direct":
            return self.transport
        if self._proxied is None:
            self._proxied = Urllib3Transport()
        return self._proxied

    def send(self, cred, url, headers, body, *, timeouts):
        """POST ``body``; returns the ``UpstreamResponse`` once its head is
        in.  ``timeouts``: ``(connect, read[, first_byte])`` seconds, the read
        timeout applying to each wait for bytes.  Non-2xx answers raise
        ``UpstreamStatusError`` with the body read.
        """
        # first-byte-timeout-seconds: a wall clock from sending to the response
        # head (a socket timeout would restart with every byte a slow-loris
        # upstream drips); the idle-read timeout governs the body after.
        first_byte = timeouts[2] if len(timeouts) > 2 else 0
        deadline = Deadline(first_byte) if first_byte > 0 else None
        proxy_url = cred.proxy_url
        transport = self.transport if not proxy_url or proxy_url == "direct" \
            else self._transport_for(cred)
        try:
            resp = transport.send(Request(url, headers, body, cred, timeouts, deadline))
        except Expired as fired:
            if fired.deadline is not deadline:
                raise
            raise failure(UpstreamTimeout, cred, "first_byte_timeout",
                          f"sent no response within {first_byte:g} s "
                          "(first-byte-timeout-seconds)") from None
        finally:
            if deadline is not None:
                deadline.close()
        if resp.status >= 300:
            try:
                error_body = resp.read()
            except (UpstreamStreamError, UpstreamTimeout):
                error_body = b""
            raise UpstreamStatusError(resp.status, resp.headers, error_body,
                                      credential_id=cred.id,
                                      upstream=f"upstream {cred.display_name}")
        return resp

    def close(self):
        self.transport.close()
        if self._proxied is not None and self._proxied is not self.transport:
            self._proxied.close()

