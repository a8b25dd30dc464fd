"""The four front doors, served straight from the WSGI environ, ahead of Flask.

A ``POST`` to ``/v1/chat/completions``, ``/v1/responses``,
``/v1/messages`` (and their token counts) or ``/v1beta|v1/models/{model}:
{method}`` is nearly all of a gateway's traffic.  Through Flask each paid for
a request and an app context, URL routing, a ``Request`` and a ``Response``
object, hooks and header bookkeeping it never needed -- ~100 µs of a worker's
CPU per request.  ``FrontDoors`` answers these requests itself, doing what
Flask's hooks and handlers in ``proxy.http.server`` did for them:

- the request's runtime snapshot, lower-cased headers and request id
  (the client's ``X-Request-Id`` or a new one), client key check;
- the generate path (``proxy.http.generate``);
- every error in the client's own dialect (``proxy.errors.error_body``),
  settled for ``proxy.http.lifecycle`` first (access log, metrics);
- the response head as werkzeug wrote it: reason phrases upper-cased,
  ``Content-Type``, ``Content-Length`` of a whole body, ``X-Request-Id``
  replacing an upstream's, Anthropic's ``request-id`` unless relayed,
  ``Access-Control-Allow-Origin: *`` unless given.

Everything else goes to the Flask app unchanged: other methods on these
paths (405 after the key check, as before), paths that are not exactly a
front door (404, a ``//`` werkzeug merges), CORS preflight, model lists,
health, management, dashboard, metrics.
"""
import logging

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

import translators
from proxy import runtime
from proxy.access import auth, peers
from proxy.errors import ClientError, NotFound, Unauthorized, error_body
from proxy.http import lifecycle
from proxy.http.front import HEADER_KEYS, LOWER_HEADERS, fresh_request_id
from proxy.http.generate import generate, query_args

log = logging.getLogger("switchyard.server")

_EXACT = {"/v1/chat/completions": ("openai", "generate"),
          "/v1/responses": ("responses", "generate"),
          "/v1/responses/input_tokens": ("responses", "count_tokens"),
          "/v1/messages": ("claude", "generate"),
          "/v1/messages/count_tokens": ("claude", "count_tokens")}
_GEMINI_PREFIXES = ("/v1beta/models/", "/v1/models/")
_GEMINI_METHODS = {"generateContent": "generate", "streamGenerateContent": "generate",
                   "countTokens": "count_tokens"}

# Dialect -> the header its SDK reads a request id from besides X-Request-Id
# (an Anthropic client's ``request-id``), or None.
REQUEST_ID_HEADERS = {name: translators.dialect(name).REQUEST_ID_HEADER
                      for name in translators.DIALECTS}


class Arrival:
    """Who sent a front-door request and how: what the generate path reads."""
    __slots__ = ("headers", "request_id", "client_key", "query")

    def __init__(self, headers, request_id, client_key, query):
        self.headers = headers            # lower-cased names
        self.request_id = request_id
        self.client_key = client_key      # proxy.access.auth.ClientKey, or None (open gateway)
        self.query = query                # werkzeug MultiDict of the query arguments


def environ_headers(environ):
    """Lower-cased request headers straight from the WSGI environ (what
    werkzeug's ``EnvironHeaders`` yields, at a fraction of the cost).  The
    worker's plain-request path built them already (``LOWER_HEADERS``,
    handed over to the caller); else its handler lists the ``HTTP_*`` keys
    it set (``HEADER_KEYS``): a few lookups instead of a scan of the
    thirty-odd environ keys."""
    headers = environ.pop(LOWER_HEADERS, None)
    if headers is not None:
        return headers
    keys = environ.get(HEADER_KEYS)
    if keys is None:
        headers = {key[5:].replace("_", "-").lower(): value
                   for key, value in environ.items() if key.startswith("HTTP_")}
    else:
        headers = {key[5:].replace("_", "-").lower(): environ[key] for key in keys
                   if key in environ}
    for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
        if environ.get(key):
            headers[name] = environ[key]
    return headers


def new_request_id(headers):
    """The client's ``X-Request-Id``, or a new id."""
    return headers.get("x-request-id") or fresh_request_id()


def authenticate(environ, headers, keys, query):
    """The client's ``ClientKey`` (None: an open gateway); ``Unauthorized``.
    Without keys the gateway serves loopback only."""
    if not keys and not peers.is_loopback_host(environ.get("SERVER_NAME", "")):
        raise Unauthorized("No api-keys are configured, so this gateway serves loopback only.")
    return auth.authenticate(keys, headers, query)


def door(path):
    """``(dialect, action, model, stream)`` of the front door at ``path``
    (model and stream None: the body says), or None when Flask answers
    ``path``.  An unknown Gemini method has action None, its name as model."""
    if path.startswith("//"):      # werkzeug's routing reads "//v1/..." as "/v1/..."
        path = "/" + path.lstrip("/")
    known = _EXACT.get(path)
    if known is not None:
        return known[0], known[1], None, None
    if not path.startswith(_GEMINI_PREFIXES):
        return None               # (werkzeug redirects "/v1beta//models/..." to the merged path)
    target = path[path.index("/models/") + 8:]
    if not target or target[0] == "/" or ":" not in target:
        return None               # werkzeug's redirect, or Flask's 404 in its dialect
    # werkzeug's routing reads the path as UTF-8 (PEP 3333 hands it over as latin-1)
    target = target.encode("latin-1").decode("utf-8", "replace")
    model, _, method = target.rpartition(":")
    if not model or method not in _GEMINI_METHODS:
        return "gemini", None, method or target, None     # 404, once the key is checked
    return ("gemini", _GEMINI_METHODS[method], model.removeprefix("models/"),
            method == "streamGenerateContent")


class FrontDoors:
    """WSGI middleware: see the module docstring.  ``app``: the Flask app's
    WSGI callable; ``extensions``: the Flask app's ``extensions`` (its
    ``switchyard.upstream`` is the ``UpstreamClient``)."""

    def __init__(self, app, extensions):
        self.app = app
        self.extensions = extensions

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            found = door(environ["PATH_INFO"])
            if found is not None:
                return self.serve(environ, start_response, *found)
        return self.app(environ, start_response)

    def serve(self, environ, start_response, dialect, action, model, stream):
        environ[lifecycle.DIALECT] = dialect
        current = environ[lifecycle.RUNTIME] = runtime.current()
        headers = environ_headers(environ)
        request_id = environ[lifecycle.REQUEST_ID] = new_request_id(headers)
        try:
            query = query_args(environ)
            client_key = authenticate(environ, headers, current.client_keys, query)
            if action is None:
                raise NotFound(f"Unknown Gemini method '{model}'; expected "
                               "generateContent, streamGenerateContent or countTokens.")
            reply = generate(environ, self.extensions["switchyard.upstream"],
                             Arrival(headers, request_id, client_key, query),
                             dialect=dialect, action=action, model=model, stream=stream)
        except ClientError as exc:
            lifecycle.settle(environ, exc.status, exc.cause or type(exc).__name__)
            return _error(environ, start_response, request_id, dialect, exc)
        except Exception:
            log.exception("request %s failed", request_id)
            lifecycle.settle(environ, 500, "internal")
            return _answer(environ, start_response, request_id, dialect, 500, [], error_body(
                dialect, 500, "Internal gateway error; see the gateway log for request "
                              f"{request_id}.", request_id=request_id), "application/json")
        return _answer(environ, start_response, request_id, dialect, reply.status,
                       reply.headers, reply.body, reply.content_type)


def _error(environ, start_response, request_id, dialect, exc):
    body = error_body(dialect, exc.status, exc.message, error_type=exc.error_type,
                      code=exc.code, param=exc.param, request_id=request_id,
                      retry_after=exc.retry_after)
    return _answer(environ, start_response, request_id, dialect, exc.status,
                   list((exc.headers or {}).items()), body, "application/json")


_STATUS_LINES = {}


def _status_line(status):
    """werkzeug's status line: the reason phrase upper-cased, or UNKNOWN."""
    line = _STATUS_LINES.get(status)
    if line is None:
        line = _STATUS_LINES[status] = \
            f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN').upper()}"
    return line


# Header names werkzeug's ``get_wsgi_headers`` rewrites (IRIs made URIs)
_REWRITTEN = frozenset({"location", "content-location"})


def _answer(environ, start_response, request_id, dialect, status, headers, body,
            content_type):
    """Start the response and return its body iterable: the head werkzeug's
    ``Response`` and the app's ``after_request`` hook wrote (see module
    docstring); a stream's iterator is passed on as it is, so closing it
    settles the stream (``proxy.http.lifecycle``)."""
    whole = isinstance(body, (bytes, bytearray))
    names = [name.lower() for name, _ in headers]
    if status < 200 or status in (204, 304) or not _REWRITTEN.isdisjoint(names):
        return _answer_by_werkzeug(environ, start_response, request_id, dialect, status,
                                   headers, body, content_type, whole)
    out = [(name, str(value)) for name, value in headers]
    _set(out, names, "Content-Type", content_type)
    if whole:
        _set(out, names, "Content-Length", str(len(body)))
    _set(out, names, "X-Request-Id", request_id)
    own = REQUEST_ID_HEADERS[dialect]
    if own is not None and own not in names:
        out.append((own, request_id))
    if "access-control-allow-origin" not in names:
        out.append(("Access-Control-Allow-Origin", "*"))
    start_response(_status_line(status), out)
    return [body] if whole else body


def _set(headers, names, name, value):
    """werkzeug's ``Headers.set``: replace the first field of that name
    (case-insensitive) and drop the others, or append.  ``names``: the
    lower-cased names of ``headers``, kept in step."""
    lower = name.lower()
    if lower not in names:
        headers.append((name, value))
        names.append(lower)
        return
    first = names.index(lower)
    headers[first] = (name, value)
    for at in range(len(names) - 1, first, -1):
        if names[at] == lower:
            del headers[at], names[at]


def _answer_by_werkzeug(environ, start_response, request_id, dialect, status, headers, body,
                        content_type, whole):
    """The rare head werkzeug changes further (no body for 1xx/204/304, a
    ``Location`` IRI made a URI): let its ``Response`` write it."""
    response = Response(body, status, headers=headers, content_type=content_type,
                        direct_passthrough=not whole)
    response.headers["X-Request-Id"] = request_id
    own = REQUEST_ID_HEADERS[dialect]
    if own is not None and own not in response.headers:
        response.headers[own] = request_id
    if "Access-Control-Allow-Origin" not in response.headers:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response(environ, start_response)
