"""Every exception Switchyard raises on purpose, in one small hierarchy.

::

    SwitchyardError
    ├── ConfigError              the config file is invalid
    ├── ClientError              the client's request cannot be served; rendered
    │   │                        in the client's dialect with ``status``
    │   ├── BadRequest           400  malformed JSON, missing model, bad field
    │   ├── Unauthorized         401  missing or wrong client key
    │   ├── Forbidden            403  e.g. management from a remote peer
    │   ├── NotFound             404  unknown model or route
    │   ├── MethodNotAllowed     405
    │   ├── PayloadTooLarge      413
    │   ├── UpstreamUnavailable  502/503  no credential usable (connection, auth, disabled)
    │   ├── GatewayTimeout       504  request-timeout-seconds passed before the answer
    │   └── ModelCooldown        429  every credential of the model is rate limited
    └── UpstreamError            talking to an upstream went wrong
        ├── UpstreamStatusError  it answered non-2xx (status, headers, body kept)
        ├── UpstreamConnectError connect failed, or reset before headers
        ├── UpstreamTimeout      connect or idle-read timeout
        └── UpstreamStreamError  the stream broke after it had started

    GreenletExit
    ├── ClientGone               the client hung up before its answer began
    └── ShuttingDown             the worker is draining: end open streams now

``requests`` exceptions are mapped to ``UpstreamError`` subclasses in one
place, ``proxy.providers.upstream``; nothing else catches ``requests`` exceptions.
"""
from gevent import GreenletExit


class SwitchyardError(Exception):
    """Base of every Switchyard exception."""


class ConfigError(SwitchyardError):
    """The configuration is invalid; the message says which key and why."""


class ClientError(SwitchyardError):
    """A request fault shown to the client as ``status`` in its dialect."""
    status = 400
    error_type = None  # dialect default for the status when None
    code = None
    cause = None       # a short failure class for the access log, if not the class name
    param = None       # the request field at fault (OpenAI error bodies carry it)

    def __init__(self, message, *, error_type=None, code=None, headers=None, param=None,
                 cause=None):
        super().__init__(message)
        self.message = message
        self.param = param
        if cause:
            self.cause = cause
        if error_type:
            self.error_type = error_type
        if code:
            self.code = code
        self.headers = headers or {}


class BadRequest(ClientError):
    status = 400


class Unauthorized(ClientError):
    status = 401


class Forbidden(ClientError):
    status = 403


class NotFound(ClientError):
    status = 404


class MethodNotAllowed(ClientError):
    status = 405


class PayloadTooLarge(ClientError):
    status = 413


class UpstreamUnavailable(ClientError):
    """No credential of a model is usable, for reasons other than rate
    limiting (connection or auth failures, disabled): 502 or 503, the
    message naming the cause; ``retry_after`` seconds only when waiting helps."""
    status = 503
    code = "upstream_unavailable"

    def __init__(self, message, *, status=503, retry_after=None, cause=None):
        headers = {"Retry-After": str(max(1, int(retry_after + 0.999)))} \
            if retry_after is not None else {"x-should-retry": "false"}
        super().__init__(message, headers=headers, cause=cause)
        self.status = status


class GatewayTimeout(ClientError):
    """The request outlived ``request-timeout-seconds`` before its answer began."""
    status = 504
    code = "request_timeout"


class ModelCooldown(ClientError):
    """All credentials of a model are cooling down; ``retry_after`` seconds."""
    status = 429
    code = "model_cooldown"

    def __init__(self, message, *, retry_after, **kwargs):
        seconds = max(1, int(retry_after + 0.999))
        headers = dict(kwargs.pop("headers", None) or {}, **{"Retry-After": str(seconds)})
        super().__init__(message, headers=headers, **kwargs)
        self.retry_after = seconds


class UpstreamError(SwitchyardError):
    """Talking to an upstream failed.  ``credential_id`` names the credential.

    ``message`` says why, naming the upstream and its host ("upstream
    'fakeoai' (127.0.0.1:9) refused the connection"); ``brief`` the same
    without the host (for events sent mid-stream); ``cause`` is a short
    class of the failure for logs and metrics (``connection_refused``,
    ``connect_timeout``, ``first_byte_timeout``, ``read_timeout``,
    ``connection_reset``, ``stream_truncated``, ``http_503``...).
    """

    def __init__(self, message, *, credential_id=None, cause=None, brief=None):
        super().__init__(message)
        self.message = message
        self.credential_id = credential_id
        self.cause = cause or "upstream_error"
        self.brief = brief or message


class UpstreamStatusError(UpstreamError):
    """The upstream answered with a non-2xx ``status``.

    ``body`` is the raw response bytes (JSON error bodies are relayed
    verbatim), ``headers`` the upstream response headers.
    """

    def __init__(self, status, headers, body, *, credential_id=None, upstream="upstream"):
        super().__init__(f"{upstream} returned {status}", credential_id=credential_id,
                         cause=f"http_{status}")
        self.status = status
        self.headers = headers
        self.body = body


class UpstreamAnswerTooLarge(UpstreamError):
    """A whole (non-streamed) answer was larger than ``response-body-limit-mb``:
    it is not read into memory. The request's fault, not the credential's."""


class UpstreamConnectError(UpstreamError):
    """Could not connect, or the connection dropped before any header."""


class UpstreamTimeout(UpstreamError):
    """The upstream did not connect or went silent past the read timeout."""


class UpstreamStreamError(UpstreamError):
    """The upstream stream broke after events had been relayed."""


class ClientGone(GreenletExit):
    """Thrown into a request's green thread when its client hangs up while
    the answer is still awaited (``proxy.http.disconnect``): like a kill, it
    unwinds through every ``except Exception`` and cools no credential."""


class ShuttingDown(GreenletExit):
    """Thrown into a green thread relaying a stream when the worker is about
    to exit (``proxy.relay.draining``): the stream ends with its error event."""
