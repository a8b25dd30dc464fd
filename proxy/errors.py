"""Every exception Switchyard raises on purpose, in one small hierarchy,
and the one function that renders a client-facing error body.

::

    SwitchyardError
    ├── ConfigError              the config file is invalid
    │   ├── KeyExists            an api-keys edit adds a key already there
    │   └── NoSuchKey            an api-keys edit names no entry (also a LookupError)
    ├── ClientError              the client's request cannot be served; rendered
    │   │                        in the client's dialect with ``status``
    │   ├── BadRequest           400  malformed JSON, missing model, bad field,
    │   │   │                         a request the upstream's dialect cannot express
    │   │   └── HeadRefused      400/414/431  a request head over gunicorn's limits
    │   ├── Unauthorized         401  missing or wrong client key
    │   ├── Forbidden            403  e.g. management from a remote peer
    │   ├── NotFound             404  unknown model or route
    │   ├── MethodNotAllowed     405  a front door asked with another method
    │   ├── PayloadTooLarge      413  over request-body-limit-mb
    │   ├── UpstreamUnavailable  502/503  no credential usable (connection, auth, disabled)
    │   ├── GatewayTimeout       504  request-timeout-seconds passed before the answer
    │   └── ModelCooldown        429  every credential of the model is rate limited
    ├── ShapeError               a body field has the wrong JSON type (becomes BadRequest)
    ├── ApiError                 a management / usage API refusal (its own JSON shape)
    ├── UpstreamError            talking to an upstream went wrong
    │   ├── UpstreamStatusError  it answered non-2xx (status, headers, body kept)
    │   ├── UpstreamAnswerTooLarge  a whole answer over response-body-limit-mb
    │   ├── UpstreamConnectError connect failed, or reset before headers
    │   ├── UpstreamTimeout      connect or idle-read timeout
    │   └── UpstreamStreamError  the stream broke after it had started
    ├── BootstrapFailed          a stream failed before its first event (``cause``: the UpstreamError)
    ├── DeadlinePassed           request-timeout-seconds passed while a stream was open
    ├── AccountError             subscription accounts and logins
    │   ├── AuthFileError        not a usable auth file (also a ValueError)
    │   ├── RefreshFailed        a token refresh failed for now (network, 5xx, 429)
    │   │   ├── RefreshRejected  the token endpoint refused the grant: log in again
    │   │   └── EndpointUnreachable  no answer from a token or account endpoint
    │   ├── LoginError           a login step failed
    │   ├── SetupError           no Code Assist project for a Google account
    │   └── NotALogin            a vendor CLI's file holds no login (also a ValueError)
    └── TooManyHeaders           an HTTP/1 head with too many fields (also an http.client.HTTPException)

    GreenletExit
    ├── ClientGone               the client hung up before its answer began
    └── ShuttingDown             the worker is draining: end open streams now

    gevent.Timeout
    └── DeadlineExpired          a ``proxy.deadline.Deadline`` ran out (``deadline``: which)

Library exceptions are mapped at the one boundary that calls the library:
the socket's and TLS's in ``proxy.providers.direct_transport``, urllib3's in
``proxy.providers.urllib3_transport``, the token endpoint's HTTP in
``proxy.accounts.token_client``.  ``translators`` stays
free of ``proxy``: its ``TranslationError`` becomes a ``BadRequest`` in one
place, where the relay builds an upstream call (``proxy.relay.attempts``).
"""
import http.client

import orjson

import translators
from gevent import GreenletExit, Timeout


class SwitchyardError(Exception):
    """Base of every Switchyard exception."""


class ConfigError(SwitchyardError):
    """The configuration is invalid; the message says which key and why."""


class KeyExists(ConfigError):
    """The client key is configured already."""


class NoSuchKey(ConfigError, LookupError):
    """No api-keys entry matches the reference given."""


class ClientError(SwitchyardError):
    """A request fault shown to the client as ``status`` in its dialect."""
    status = 400
    error_type = None  # dialect default for the status when None
    code = None
    cause = None       # a short failure class for the access log, if not the class name
    param = None       # the request field at fault (OpenAI error bodies carry it)
    retry_after = None  # whole seconds the client should wait (also a Retry-After header)

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

    def body(self, dialect, request_id=None):
        """This error's JSON body for a ``dialect`` client (``error_body``)."""
        return error_body(dialect, self.status, self.message, error_type=self.error_type,
                          code=self.code, param=self.param, request_id=request_id,
                          retry_after=self.retry_after)


class BadRequest(ClientError):
    status = 400


class HeadRefused(BadRequest, ValueError):
    """A request head over one of gunicorn's limits: answered with
    ``status`` (400, 414, 431) by the worker, then the connection closes.
    A ValueError too: that is what pywsgi's head parsing hands on."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


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
        seconds = _whole_seconds(retry_after) if retry_after is not None else None
        headers = {"Retry-After": str(seconds)} if seconds is not None \
            else {"x-should-retry": "false"}
        super().__init__(message, headers=headers, cause=cause)
        self.status = status
        self.retry_after = seconds


class GatewayTimeout(ClientError):
    """The request outlived ``request-timeout-seconds`` before its answer began."""
    status = 504
    code = "request_timeout"


class ModelCooldown(ClientError):
    """All credentials of a model are cooling down; ``retry_after`` seconds."""
    status = 429
    code = "model_cooldown"

    def __init__(self, message, *, retry_after, **kwargs):
        seconds = _whole_seconds(retry_after)
        headers = dict(kwargs.pop("headers", None) or {}, **{"Retry-After": str(seconds)})
        super().__init__(message, headers=headers, **kwargs)
        self.retry_after = seconds


def _whole_seconds(seconds):
    """A wait rounded up to whole seconds, at least one (``Retry-After``
    holds a non-negative integer, RFC 9110 section 10.2.3)."""
    return max(1, int(seconds + 0.999))


class ShapeError(SwitchyardError):
    """``path`` (field names and array indexes, outermost first) holds
    ``value``, of the wrong JSON type; ``expected`` says which would do.
    ``missing``: the field is required and absent (``expected`` is then
    what it should have been).  ``proxy.validation`` turns it into a
    ``BadRequest`` naming the field."""

    def __init__(self, expected, value, *, missing=False):
        super().__init__(expected)
        self.expected = expected
        self.value = value
        self.missing = missing
        self.path = []

    def field(self):
        """The path as clients write it: ``messages[0].content``."""
        out = ""
        for step in reversed(self.path):
            out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
        return out


class ApiError(SwitchyardError):
    """A management or usage API refusal: ``{"error": {"message", "type"}}``
    with ``status`` (that API's own shape, not a model dialect's)."""

    def __init__(self, status, message, error_type, headers=None):
        super().__init__(message)
        self.status, self.message, self.error_type = status, message, error_type
        self.headers = headers or {}


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


class BootstrapFailed(SwitchyardError):
    """An upstream stream failed before its first event: nothing reached the
    client, so the attempt can be retried.  ``cause``: the ``UpstreamError``."""

    def __init__(self, cause):
        super().__init__(cause.message)
        self.cause = cause


class DeadlinePassed(SwitchyardError):
    """``request-timeout-seconds`` passed while the stream was still open."""


class AccountError(SwitchyardError):
    """Subscription accounts and logins: the message is safe to show (it
    never holds a token)."""


class AuthFileError(AccountError, ValueError):
    """A file that is not a usable auth file (the reason is safe to show)."""


class RefreshFailed(AccountError):
    """Transient: network, 5xx, 429. The message never holds a token."""


class RefreshRejected(RefreshFailed):
    """The endpoint refused the grant (invalid_grant, 401): log in again."""


class EndpointUnreachable(RefreshFailed):
    """No answer from a token or account endpoint (network, timeout)."""


class LoginError(AccountError):
    """A login step failed; the message says which and why."""


class SetupError(AccountError):
    """No Code Assist project for the account (the message says why);
    ``status``: Code Assist's HTTP status when it answered one."""

    def __init__(self, message, *, status=None):
        super().__init__(message)
        self.status = status


class NotALogin(AccountError, ValueError):
    """The file is not a login of that CLI (the message says what is missing)."""


class TooManyHeaders(SwitchyardError, http.client.HTTPException):
    """An HTTP/1 head with more header fields than allowed."""


class ClientGone(GreenletExit):
    """Thrown into a request's green thread when its client hangs up while
    the answer is still awaited (``proxy.http.disconnect``): like a kill, it
    unwinds through every ``except Exception`` and cools no credential."""


class ShuttingDown(GreenletExit):
    """Thrown into a green thread relaying a stream when the worker is about
    to exit (``proxy.relay.draining``): the stream ends with its error event."""


class DeadlineExpired(Timeout):
    """Raised in the green thread whose ``proxy.deadline.Deadline`` ran out;
    a ``gevent.Timeout`` (a ``BaseException``, which ``except Exception``
    lets through), naming its ``deadline`` so nested ones tell theirs apart."""

    def __init__(self, deadline):
        super().__init__()            # (no timer of its own)
        self.deadline = deadline

    def __str__(self):
        seconds = self.deadline.seconds
        return f"{seconds:g} second{'' if seconds == 1 else 's'}"


def error_body(dialect, status, message, *, error_type=None, code=None, param=None,
               request_id=None, retry_after=None):
    """The JSON bytes of an error the gateway itself answers, in the error
    shape of ``dialect``'s API reference: OpenAI and Responses ``{"error":
    {message, type, param, code}}`` (param and code null when unknown),
    Anthropic ``{"type": "error", "error": {type, message}, "request_id"}``,
    Gemini ``{"error": {code, message, status}}`` (plus a RetryInfo detail
    when ``retry_after`` is given).  ``request_id``: the gateway's id of the
    request, the one its access log and ``X-Request-Id`` carry.  Every
    client-facing error body is built here."""
    return orjson.dumps(translators.render_error(dialect, status, message, error_type,
                                                 code=code, param=param, request_id=request_id,
                                                 retry_after=retry_after))
