"""The generate path: a front door's request body in, a ``Reply`` out.

Reads the body, checks it, builds the ``FrontRequest``, starts the
request's observer and hands the request to ``proxy.relay.attempts``,
wrapped in the keep-alive or hang-up watch its kind needs.  It works on
the WSGI environ alone (no Flask): ``proxy.http.doors`` calls it for every
front door.
"""
from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401  registers the "werkzeug.url_quote" error handler
from werkzeug.datastructures import ImmutableMultiDict

from proxy import validation
from proxy.access import auth
from proxy.errors import BadRequest, ClientError, PayloadTooLarge
from proxy.http import lifecycle
from proxy.http.disconnect import cancel_on_hangup
from proxy.http.front import FrontRequest, parse_body
from proxy.providers import byok
from proxy.relay import attempts, streaming
from proxy.relay.accept import accept
from proxy.routing import affinity
from proxy.telemetry import request_observer
from proxy.wire import json_array, json_resume, json_top

_BODY_IDLE_SECONDS = 10    # longest pause while a request body arrives


class _NoQuery(ImmutableMultiDict):
    """The arguments of a request without a query string.  ``MultiDict.get``
    of a missing key raises and catches a ``BadRequestKeyError`` (an
    ``HTTPException`` built each time); with nothing to find, answer at once
    (every request asks for ``?key=``); and its dict is a new empty one
    without walking the nothing it holds."""

    def get(self, key, default=None, type=None):
        return default

    def to_dict(self, flat=True):
        return {}


_NO_QUERY = _NoQuery()


def query_args(environ):
    """The query arguments, parsed as werkzeug's ``Request.args`` parses
    them (blank values kept, invalid bytes left percent-encoded); most
    requests have none, so skip parsing then."""
    query = environ.get("QUERY_STRING")
    if not query:
        return _NO_QUERY
    return ImmutableMultiDict(parse_qsl(query.encode("latin-1").decode(), keep_blank_values=True,
                                        errors="werkzeug.url_quote"))


def generate(environ, client, request, *, dialect, action="generate", model=None, stream=None):
    """The ``Reply`` to a front door's request; ``ClientError`` for a
    request refused before or while it is served.  ``request``: the
    ``proxy.http.doors.Arrival`` (headers, request id, client key, query);
    ``client``: the ``UpstreamClient``."""
    current = environ[lifecycle.RUNTIME]
    raw = _read_body(environ, current.body_limit)
    # with session affinity on, the opening turns may name the session
    heads = (affinity.turns_field(dialect),) if current.config["routing"]["session-affinity"] \
        else ()
    # a body the relay will read whole anyway (a translation) is parsed whole
    # once, not at its top level first; the model the bytes seem to name
    # only picks the parser, so a body parsed whole either way (a small one)
    # is not searched for it
    whole = len(raw) >= _TOP_ONLY_FROM and attempts.reads_body(
        current, dialect, action,
        model if model is not None else json_top.guess_string(raw, "model"))
    body, top = _body_top(raw, heads, whole, affinity.turns_field(dialect),
                          request.client_key.key_id if request.client_key else "")
    validation.check(dialect, top)
    if model is None:
        model = top.get("model")
        if not isinstance(model, str) or not model:
            raise BadRequest("The request body must name a 'model'.", code="missing_model")
    if stream is None:
        stream = action == "generate" and top.get("stream") is True
    front = _front(request, dialect, action, model, body, top, raw, stream)
    observer = environ[lifecycle.OBSERVER] = request_observer.start(front, current.config)
    interval = current.config["nonstream-keepalive-interval"]

    def produce():
        try:
            return attempts.serve(front, current, client, observer)
        except ClientError as exc:
            observer.settle(exc.status, error_class=exc.cause or type(exc).__name__)
            raise
        except Exception:
            observer.settle(500, error_class="internal")
            raise

    stream_keepalive = current.config["streaming"]["keepalive-seconds"]
    if interval > 0 and not stream and action == "generate":
        reply = streaming.whole_with_keepalive(lambda: _settled(produce(), observer),
                                               interval, front)
    elif stream and stream_keepalive > 0:
        with cancel_on_hangup(environ):
            reply = accept(lambda: _settled(produce(), observer), stream_keepalive, front)
    else:
        with cancel_on_hangup(environ):
            reply = produce()
    # routing: the Gemini front door also streams as one JSON array (no ?alt=sse)
    if reply.streamed and stream and dialect == "gemini" and json_array.wants_array(front.query):
        reply = json_array.array_reply(reply)
    # The usage record, metrics and access-log line are written once the
    # client has its answer (proxy.http.lifecycle), not on the latency path.
    if not reply.streamed:           # streams are settled by their own generator
        observer.settle(reply.status, error_class=reply.error_class)
    return reply


def _settled(reply, observer):
    if not reply.streamed:
        observer.settle(reply.status, error_class=reply.error_class)
    return reply


def _too_large():
    return PayloadTooLarge("Request body too large (see request-body-limit-mb).",
                           headers={"Connection": "close"})


def _read_body(environ, limit):
    """The request body in one buffer, read with a short idle timeout (a
    body shorter than its Content-Length must not hold the connection for
    the whole keep-alive time); a body past ``limit`` (bytes, 0: none) is
    413, a chunked one too, not a cut-off JSON text."""
    sock = environ.get("gunicorn.sock")
    idle = sock.gettimeout() if sock is not None else None
    if sock is not None:
        sock.settimeout(_BODY_IDLE_SECONDS)
    try:
        raw = _read_exactly(environ, limit)
        if raw is None:
            raw = _read_chunked(environ, limit)
    except OSError:
        raise BadRequest(f"The request body stopped arriving for {_BODY_IDLE_SECONDS} s "
                         "before its Content-Length was reached.",
                         headers={"Connection": "close"}) from None
    finally:
        if sock is not None:
            sock.settimeout(idle)
    if limit and not environ.get("CONTENT_LENGTH") and len(raw) >= limit:
        raise _too_large()
    return raw


def _read_exactly(environ, limit):
    """A Content-Length body read straight into one buffer, or None for a
    body without one (chunked)."""
    length = environ.get("CONTENT_LENGTH")
    if not length or not length.isdigit() or environ.get("HTTP_TRANSFER_ENCODING"):
        return None
    length = int(length)
    if limit and length > limit:
        raise _too_large()
    raw = environ["wsgi.input"].read(length) if length else b""
    if len(raw) < length:
        raise BadRequest("The request body ended before its Content-Length was reached.",
                         headers={"Connection": "close"})
    return raw


def _read_chunked(environ, limit):
    """A body without Content-Length: read to its end when the server
    marks the input terminated (gevent's pywsgi does for a chunked body),
    at most ``limit`` bytes of it; otherwise there is no body to read
    (PEP 3333: without a length, reading past the request is not allowed)."""
    if not environ.get("wsgi.input_terminated"):
        return b""
    stream = environ["wsgi.input"]
    return stream.read(limit) if limit else stream.read()


# Bodies from this size on are read at the top level only until something
# needs them whole (``proxy.wire.json_top``), unless the pool says the model
# they name is translated (then parsed whole at once, one pass); smaller ones
# are parsed at once, which is cheaper than two passes when a translation
# reads them anyway.
_TOP_ONLY_FROM = 16 * 1024
# Top-level fields read whole even then: whether an OpenAI client asked for
# the usage chunk (``proxy.relay.usage_chunk``), and what names a session
# (``proxy.routing.affinity``).
_KEPT_WHOLE = ("stream_options", *affinity.SESSION_FIELDS)


def _body_top(raw, heads=(), whole=False, turns=None, scope=""):
    """``(body, top)``: the parsed body (None: parsed when first needed) and
    its top-level fields (with the leading elements of the arrays named in
    ``heads``, ``json_top.top_level``); ``whole``: parse it all now.  A
    large body is read from where it differs from a body of the same client
    key read before (``json_resume``; ``turns``: the conversation array)."""
    if len(raw) < _TOP_ONLY_FROM:
        body = parse_body(raw)
    elif whole:
        body = json_resume.parsed(raw, parse_body, turns=turns, scope=scope)
    else:
        top = json_resume.top_level(raw, keep=_KEPT_WHOLE, heads=heads,
                                    turns=turns, scope=scope)
        if top is not None:
            return None, top
        body = parse_body(raw)
    return body, body


def _front(request, dialect, action, model, body, top, raw, stream):
    headers, client_key, query = request.headers, request.client_key, request.query
    own = byok.own_credential(headers) \
        if auth.brings_own_credential(client_key, headers, query) else {}
    return FrontRequest(
        dialect=dialect, action=action, model=model, body=body, top=top, raw=raw, stream=stream,
        headers=headers, request_id=request.request_id,
        client_key_id=client_key.key_id if client_key else "",
        client_label=client_key.label if client_key else "",
        actor=headers.get("x-switchyard-actor") or (client_key.label if client_key else ""),
        query=query.to_dict(), own_credential=own)
