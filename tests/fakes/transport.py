"""A scripted upstream transport for unit tests: no sockets.

Modelled on httpx's ``MockTransport``: every call the gateway makes goes to
``handler(request)`` (a ``proxy.providers.upstream.Request``), which returns
a ``Response`` or raises what the real transport would raise (a
``proxy.errors.UpstreamError``: see ``refused`` and ``timed_out``).
``UpstreamClient(MockTransport(handler))`` then behaves as it does over
urllib3: first-byte deadline, non-2xx answers raised as
``UpstreamStatusError`` with their body.

``Response(status, headers, body)`` answers whole; ``stream=[...]`` answers
chunk by chunk, and an item ``DROP`` in it is the connection dropping at that
point (raised as the real transport's ``stream_truncated``).  Any other
exception instance in ``stream`` is raised as it is.

``by_credential({cred_id: [answer, ...]})`` scripts each credential's calls
in order: an answer is a ``Response``, an exception (raised) or a function
of the credential called returning either (``refused``, ``timed_out``).  ``transport.calls`` lists every request, in order.
"""
from urllib3 import HTTPHeaderDict

from proxy.errors import UpstreamConnectError, UpstreamStreamError, UpstreamTimeout
from proxy.providers.upstream import UpstreamResponse, failure

DROP = object()


class Response(UpstreamResponse):
    __slots__ = ("_chunks", "closed", "consumed")

    def __init__(self, status=200, headers=None, body=b"", *, stream=None):
        headers = HTTPHeaderDict(headers or {})
        if stream is None and "content-type" not in headers:
            headers["content-type"] = "application/json"
        super().__init__(status, headers, None)
        self._chunks = list(stream) if stream is not None else [body]
        self.closed = False
        self.consumed = False

    def iter_bytes(self):
        try:
            for chunk in self._chunks:
                if self.closed:
                    return
                if chunk is DROP:
                    raise failure(UpstreamStreamError, self.upstream, "stream_truncated",
                                  "closed the connection mid-answer")
                if isinstance(chunk, BaseException):
                    raise chunk
                if chunk:
                    yield chunk
            self.consumed = True
        finally:
            self.close()

    def close(self):
        self.closed = True


class MockTransport:
    def __init__(self, handler):
        self.handler = handler
        self.calls = []

    def send(self, request):
        self.calls.append(request)
        resp = self.handler(request)
        resp.upstream = request.upstream
        return resp

    def close(self):
        pass

    @property
    def called(self):
        """Credential ids in call order."""
        return [request.upstream.id for request in self.calls]


def by_credential(script):
    """A handler answering each credential's calls from its list, in order."""
    queues = {cred_id: list(answers) for cred_id, answers in script.items()}

    def handler(request):
        answers = queues.get(request.upstream.id)
        if not answers:
            raise AssertionError(f"unscripted call to {request.upstream.id}")
        answer = answers.pop(0)
        if callable(answer) and not isinstance(answer, Response):
            answer = answer(request.upstream)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    return handler


def refused(cred):
    """What the real transport raises when ``cred``'s upstream refuses to connect."""
    return failure(UpstreamConnectError, cred, "connection_refused", "refused the connection")


def timed_out(cred):
    """What the real transport raises when ``cred``'s upstream stays silent."""
    return failure(UpstreamTimeout, cred, "read_timeout",
                   "sent no answer within 5 s (read-timeout-seconds)")
