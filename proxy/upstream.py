"""The upstream HTTP client: the only module that talks HTTP outward.

One ``requests`` ``HTTPAdapter`` (a urllib3 connection pool per host) is
shared by all calls, so connections to each upstream are reused across
requests.  Calls go to the adapter directly rather than through a
``Session``: a gateway wants none of a session's per-call work (cookie jar
merging -- which would also replay one credential's upstream cookies for
another --, redirects, hooks, environment proxy lookup).  Under gunicorn's
gevent worker the socket module is monkey-patched, so these blocking calls
yield to other green threads.  ``requests``/``urllib3`` exceptions are
mapped to ``proxy.errors`` here and nowhere else.
"""
import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from proxy.errors import (UpstreamConnectError, UpstreamStatusError, UpstreamStreamError,
                          UpstreamTimeout)

_POOL_SIZE = 256
_READ_SIZE = 65536


class UpstreamClient:
    def __init__(self, connect_timeout, read_timeout):
        self._timeout = (connect_timeout, read_timeout)
        self._adapter = HTTPAdapter(pool_connections=16, pool_maxsize=_POOL_SIZE, max_retries=0)

    @staticmethod
    def _proxies(proxy_url):
        """The entry's proxy (http/https/socks5 URL); "direct" or empty: none.
        The environment's proxy variables are not consulted: config decides."""
        if proxy_url and proxy_url != "direct":
            return {"http": proxy_url, "https": proxy_url}
        return {}

    def send(self, cred, url, headers, body, *, stream):
        """POST ``body``; returns the response once its headers are in.

        Non-2xx answers raise ``UpstreamStatusError`` with the body read.
        """
        prepared = requests.PreparedRequest()
        prepared.prepare(method="POST", url=url, headers=headers, data=body)
        try:
            resp = self._adapter.send(prepared, stream=True, timeout=self._timeout, verify=True,
                                      cert=None, proxies=self._proxies(cred.proxy_url))
        except requests.Timeout as exc:
            raise UpstreamTimeout(_describe(exc), credential_id=cred.id) from None
        except (requests.ConnectionError, requests.RequestException) as exc:
            raise UpstreamConnectError(_describe(exc), credential_id=cred.id) from None
        if resp.status_code >= 300:
            try:
                error_body = read_all(resp, cred)
            except (UpstreamStreamError, UpstreamTimeout):
                error_body = b""
            raise UpstreamStatusError(resp.status_code, resp.headers, error_body,
                                      credential_id=cred.id)
        return resp

    def close(self):
        self._adapter.close()


def read_all(resp, cred):
    """The whole body of ``resp``."""
    return b"".join(iter_bytes(resp, cred))


def iter_bytes(resp, cred):
    """Body bytes as they arrive (each chunk of a chunked response at once)."""
    raw = resp.raw
    try:
        if raw.chunked and raw.supports_chunked_reads():
            yield from raw.read_chunked(decode_content=True)
        else:
            while chunk := raw.read1(_READ_SIZE):
                yield chunk
    except (urllib3.exceptions.ReadTimeoutError, requests.Timeout) as exc:
        raise UpstreamTimeout(_describe(exc), credential_id=cred.id) from None
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
        raise UpstreamStreamError(_describe(exc), credential_id=cred.id) from None
    finally:
        resp.close()


def _describe(exc):
    """A short reason without URLs' query strings (which may hold keys)."""
    text = str(exc)
    if "?" in text:
        text = text.split("?", 1)[0] + "?…"
    return f"{type(exc).__name__}: {text[:300]}"
