"""The transport seam under ``proxy.providers.upstream.UpstreamClient``.

A transport has ``send(Request) -> UpstreamResponse`` and ``close()``, and
raises ``proxy.errors.UpstreamError`` subclasses only: the gateway's own
HTTP/1.1 client for direct upstreams (``direct_transport``), urllib3 for
credentials with a ``proxy-url`` (``urllib3_transport``), a scripted fake in
tests (``tests/fakes/transport.py``).  ``failure`` words the errors both
real transports raise, so a cause reads the same whichever carried it.
"""
from proxy.errors import UpstreamAnswerTooLarge


class Request:
    """One upstream call as a transport sees it.

    ``upstream`` is who is called: a ``Credential`` or anything with its
    ``id``, ``display_name``, ``short_name`` (errors name it) and
    ``proxy_url`` (how to reach it).  ``timeouts``: ``(connect, read)`` seconds.
    ``deadline``: the first-byte ``proxy.deadline.Deadline`` the caller armed
    around ``send`` (None: none), so a transport knows what already bounds
    its wait for the response head.
    """
    __slots__ = ("url", "headers", "body", "upstream", "timeouts", "deadline")

    def __init__(self, url, headers, body, upstream, timeouts, deadline=None):
        self.url, self.headers, self.body = url, headers, body
        self.upstream, self.timeouts, self.deadline = upstream, timeouts, deadline


class UpstreamResponse:
    """An upstream's answer once its head is in: ``status``, ``headers`` (a
    case-insensitive mapping), and the body, read once with ``read()`` or
    ``iter_bytes()``; ``close()`` drops whatever is left.

    Body failures raise ``proxy.errors.UpstreamError`` subclasses, never a
    library's exceptions.  A transport subclasses this and provides
    ``iter_bytes`` and ``close`` (``read`` may take a shortcut).
    """
    __slots__ = ("status", "headers", "upstream")

    def __init__(self, status, headers, upstream):
        self.status, self.headers, self.upstream = status, headers, upstream

    def iter_bytes(self):
        """Body bytes as they arrive; the response is closed after."""
        raise NotImplementedError

    def close(self):
        raise NotImplementedError

    def read(self, limit=None):
        """The whole body; with ``limit`` (bytes), a body larger than that
        raises ``UpstreamAnswerTooLarge`` before it is held in memory."""
        declared = self.headers.get("content-length")
        if limit is not None and declared and declared.isdigit() and int(declared) > limit:
            self.close()
            raise answer_too_large(self.upstream, limit)
        return b"".join(self.iter_within(limit))

    def iter_within(self, limit):
        """``iter_bytes()`` that closes the response and raises
        ``UpstreamAnswerTooLarge`` once more than ``limit`` bytes came
        (None: no limit)."""
        if limit is None:
            yield from self.iter_bytes()
            return
        size = 0
        for chunk in self.iter_bytes():
            size += len(chunk)
            if size > limit:
                self.close()
                raise answer_too_large(self.upstream, limit)
            yield chunk



def split(url):
    """``(scheme://host:port, /path?query)`` of an absolute URL."""
    slash = url.find("/", url.find("//") + 2)
    return (url[:slash], url[slash:]) if slash >= 0 else (url, "/")


def failure(kind, cred, cause, reason):
    """``kind`` (an ``UpstreamError`` class) saying that ``cred``'s upstream
    ``reason`` ("refused the connection"), its host named in ``message``
    only (mid-stream events use ``brief``)."""
    return kind(f"upstream {cred.display_name} {reason}", credential_id=cred.id, cause=cause,
                brief=f"upstream {cred.short_name} {reason}")



def answer_too_large(cred, limit):
    """The error for a whole answer over ``limit`` bytes (response-body-limit-mb)."""
    return failure(UpstreamAnswerTooLarge, cred, "answer_too_large",
                   f"sent an answer larger than {limit // (1024 * 1024)} MB "
                   "(response-body-limit-mb)")



def describe(exc):
    """A short reason without URLs' query strings (which may hold keys)."""
    text = str(exc)
    if "?" in text:
        text = text.split("?", 1)[0] + "?…"
    return f"{type(exc).__name__}: {text[:300]}"
