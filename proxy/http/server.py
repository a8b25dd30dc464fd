"""The Flask app: the four front doors, model lists, health, errors.

Routes only parse the client's request into a ``FrontRequest``, check its
key, and hand it to ``proxy.relay.attempts``; every error leaves in the client's own
dialect (OpenAI, Anthropic or Gemini error shape), never as HTML.
"""
import logging
import itertools
import os

import orjson
from flask import Flask, Response, current_app, g, request
from flask.sessions import NullSession, SessionInterface
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from proxy.access import auth, peers
from proxy.providers import byok
from proxy import config as config_mod, runtime, state, validation
from proxy.wire import json_array, json_top
from proxy.http import lifecycle, model_lists
from proxy.admin import management, reload
from proxy.telemetry import metrics, request_observer
from proxy.relay import attempts, signatures, streaming
from proxy.dashboard import routes as dashboard
from proxy.relay.accept import accept
from proxy.accounts import view as accounts_view
from proxy.routing import quota_windows
from proxy.admin import accounts_watcher
from proxy.http.disconnect import cancel_on_hangup
from proxy.errors import (error_body, BadRequest, ClientError, Forbidden, MethodNotAllowed, NotFound,
                          PayloadTooLarge, Unauthorized)
from proxy.http.front import FrontRequest, parse_body, path_dialect
from proxy.providers.upstream import UpstreamClient

log = logging.getLogger("switchyard.server")

_GEMINI_METHODS = {"generateContent": "generate", "streamGenerateContent": "generate",
                   "countTokens": "count_tokens"}
_OPEN_PATHS = ("/healthz",)


class _NoQuery(ImmutableMultiDict):
    """The arguments of a request without a query string.  ``MultiDict.get``
    of a missing key raises and catches a ``BadRequestKeyError`` (an
    ``HTTPException`` built each time); with nothing to find, answer at once
    (every request asks for ``?key=``)."""

    def get(self, key, default=None, type=None):
        return default


_NO_QUERY = _NoQuery()

# Request ids: a random per-process prefix and a counter -- unique across
# workers and restarts without a getrandom() system call per request.
_ID_PREFIX = os.urandom(6).hex()
_ID_COUNTER = itertools.count(1)
_BODY_IDLE_SECONDS = 10    # longest pause while a request body arrives
_SELF_AUTHED = ("/v0/management", "/v0/usage", "/v0/pool", "/metrics",   # these guard themselves
                "/dashboard")


class _NoSessions(SessionInterface):
    """Switchyard keeps no Flask session (the dashboard signs its own
    cookie, ``proxy.dashboard.session``): every request shares one null
    session instead of a signing-key check and a fresh ``NullSession``
    each (a ``NullSession`` refuses writes, so sharing it is safe)."""

    _null = NullSession()

    def open_session(self, app, request):
        return self._null

    def save_session(self, app, session, response):
        pass


class _App(Flask):
    """Flask, minus per-request work for features Switchyard never uses."""

    session_interface = _NoSessions()

    def ensure_sync(self, func):
        # Every view and hook here is a plain function (gevent, not asyncio):
        # skip Flask's coroutine check, asked for each hook and view of each
        # request.  An ``async def`` view would fail loudly, not silently.
        return func


def create_app(config=None):
    """The WSGI app.  ``config``: a built config dict (default: load the file)."""
    if config is None:     # a gunicorn master has logged the file's warnings already
        config = config_mod.load(warn="SWITCHYARD_CONFIG_REPORTED" not in os.environ)
    store = state.setup(config)           # before the pool: it keeps the pool's state
    reload.apply(config)                  # installs the runtime; hashes the management secret
    store.on_reload = reload.reload_for_peer
    store.start()
    signatures.cache.shared = store
    request_observer.setup(config)
    if config["watch-config"]:
        reload.start_watcher(config_mod.config_path())
    accounts_watcher.start(config)        # the auth directory and its refreshes
    app = _App("switchyard")
    app.extensions["switchyard.upstream"] = UpstreamClient()
    _install_hooks(app)
    _install_routes(app)
    app.register_blueprint(metrics.blueprint)
    management.register(app)
    dashboard.register(app)
    app.wsgi_app = lifecycle.FinishOnce(app.wsgi_app)
    return app


# --- request hooks -------------------------------------------------------

def _install_hooks(app):
    @app.before_request
    def identify():
        req = request._get_current_object()
        environ, path = req.environ, req.path
        state = g._get_current_object()      # one context lookup, not one per field
        # The request's one runtime snapshot: auth, limits and serving all
        # see the same config even when a reload lands mid-request.
        current = state.runtime = environ[lifecycle.RUNTIME] = runtime.current()
        # per request (Flask 3.1), so a reloaded request-body-limit-mb applies at once
        req.max_content_length = current.body_limit
        headers = state.lower_headers = environ_headers(environ)
        state.request_id = environ[lifecycle.REQUEST_ID] = \
            headers.get("x-request-id") or f"{_ID_PREFIX}{next(_ID_COUNTER):08x}"
        state.dialect = environ[lifecycle.DIALECT] = dialect_for_path(path, headers)
        if environ["REQUEST_METHOD"] == "OPTIONS":
            return preflight()
        if path.startswith(_OPEN_PATHS + _SELF_AUTHED):
            return None
        state.client_key = _authenticate(environ, headers, current.client_keys)
        return None

    @app.after_request
    def stamp(response):
        headers = response.headers
        request_id = headers["X-Request-Id"] = g.get("request_id", "")
        # Anthropic answers carry ``request-id`` (API reference, "Errors":
        # "Every API response includes a unique request-id header"); its
        # SDK reads it into ``request_id`` / ``APIStatusError.request_id``.
        # An Anthropic upstream's own id, relayed, is kept.
        if g.get("dialect") == "claude" and "request-id" not in headers:
            headers["request-id"] = request_id
        if "Access-Control-Allow-Origin" not in headers:   # (setdefault raises inside)
            headers["Access-Control-Allow-Origin"] = "*"
        return response

    @app.errorhandler(ClientError)
    def client_error(exc):
        _settle(exc.status, exc.cause or type(exc).__name__)
        return _error_response(exc.status, exc.message, exc.error_type, exc.code, exc.headers,
                               exc.param, exc.retry_after)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        _settle(exc.code, type(exc).__name__)
        # werkzeug's own headers but its HTML content type: a 405's Allow
        # (RFC 9110 section 15.5.6: "MUST generate an Allow header")
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return _error_response(exc.code, _http_message(exc), headers=headers)

    @app.errorhandler(Exception)
    def internal_error(exc):
        log.exception("request %s failed", g.get("request_id"))
        _settle(500, "internal")
        return _error_response(500, "Internal gateway error; see the gateway log "
                                    f"for request {g.get('request_id')}.")


def _settle(status, error_class):
    """Record why an error response is sent, for ``proxy.http.lifecycle``."""
    environ = request.environ
    environ[lifecycle.ERROR_CLASS] = error_class
    observer = environ.get(lifecycle.OBSERVER)
    if observer is not None:
        observer.settle(status, error_class=error_class)


def _authenticate(environ, headers, keys):
    if not keys and not peers.is_loopback_host(environ.get("SERVER_NAME", "")):
        raise Unauthorized("No api-keys are configured, so this gateway serves loopback only.")
    return auth.authenticate(keys, headers, _query(environ))


def dialect_for_path(path, headers):
    """Which dialect's error shape a path's client understands (``headers``:
    lower-cased names)."""
    dialect = path_dialect(path)
    if dialect is None:            # a model list: its caller's SDK tells
        if model_lists.wants_gemini_shape(headers, request.args):
            return "gemini"
        if model_lists.wants_anthropic_shape(headers):
            return "claude"
        return "openai"
    return dialect


def _http_message(exc):
    if exc.code == 404:
        return f"Unknown endpoint: {request.method} {request.path}"
    if exc.code == 405:
        return f"Method {request.method} is not allowed on {request.path}."
    if exc.code == 413:
        return "Request body too large (see request-body-limit-mb)."
    return exc.description or exc.name


def _error_response(status, message, error_type=None, code=None, headers=None, param=None,
                    retry_after=None):
    body = error_body(g.get("dialect", "openai"), status, message, error_type=error_type,
                      code=code, param=param, request_id=g.get("request_id"),
                      retry_after=retry_after)
    return Response(body, status, headers=dict(headers or {}), content_type="application/json")


# --- routes --------------------------------------------------------------

def _install_routes(app):
    app.add_url_rule("/healthz", view_func=healthz)
    app.add_url_rule("/v1/chat/completions", view_func=lambda: _generate("openai"),
                     endpoint="chat", methods=["POST"])
    app.add_url_rule("/v1/responses", view_func=lambda: _generate("responses"),
                     endpoint="responses", methods=["POST"])
    app.add_url_rule("/v1/responses/input_tokens", methods=["POST"], endpoint="responses_count",
                     view_func=lambda: _generate("responses", action="count_tokens"))
    app.add_url_rule("/v1/messages", view_func=lambda: _generate("claude"),
                     endpoint="messages", methods=["POST"])
    app.add_url_rule("/v1/messages/count_tokens", methods=["POST"], endpoint="messages_count",
                     view_func=lambda: _generate("claude", action="count_tokens"))
    for prefix in ("/v1beta", "/v1"):
        app.add_url_rule(f"{prefix}/models/<path:target>", view_func=gemini_post,
                         endpoint=f"gemini{prefix}", methods=["POST"])
    app.add_url_rule("/v1/models", view_func=list_models)
    app.add_url_rule("/v1/models/<path:name>", view_func=get_model)
    app.add_url_rule("/v1beta/models", view_func=gemini_models)
    app.add_url_rule("/v1beta/models/<path:name>", view_func=gemini_get_model)
    app.add_url_rule("/v0/pool", view_func=pool_state)


def healthz():
    current = g.runtime
    return {"status": "ok", "credentials": len(current.pool.credentials)}


def preflight():
    """CORS preflight for browser clients: answered before auth, any path."""
    return Response(status=204, headers={
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": g.lower_headers.get("access-control-request-headers",
                                                            "*"),
        "Access-Control-Max-Age": "86400"})


def gemini_post(target):
    model, _, method = target.rpartition(":")
    if not model or method not in _GEMINI_METHODS:
        raise NotFound(f"Unknown Gemini method '{method or target}'; expected generateContent, "
                       "streamGenerateContent or countTokens.")
    return _generate("gemini", action=_GEMINI_METHODS[method], model=model.removeprefix("models/"),
                     stream=method == "streamGenerateContent")


def list_models():
    # routing: /v1/models is shared, its caller's SDK picked the shape (identify)
    pool = g.runtime.pool
    if g.dialect == "gemini":
        return model_lists.gemini_list(pool)
    if g.dialect == "claude":
        return model_lists.anthropic_list(pool)
    return model_lists.openai_list(pool)


def get_model(name):
    if g.dialect == "gemini":
        return gemini_get_model(name)
    for item in list_models()["data"]:
        if item["id"] == name:
            return item
    raise NotFound(f"The model '{name}' does not exist or is not served here.",
                   code="model_not_found")


def gemini_models():
    return model_lists.gemini_list(g.runtime.pool)


def gemini_get_model(name):
    name = name.removeprefix("models/")
    if ":" in name:                  # models/x:generateContent asked with GET
        raise MethodNotAllowed(f"Method {request.method} is not allowed on {request.path}; "
                               "use POST.", headers={"Allow": "POST"})
    if not g.runtime.pool.resolve(name):
        raise NotFound(f"models/{name} is not found.")
    return model_lists.gemini_model(name)


def pool_state():
    """Credential states for operators; loopback peers only (trusted
    proxies honoured: a proxied remote client is remote)."""
    current = g.runtime
    if not peers.is_local(request.environ, current.config):
        raise Forbidden("/v0/pool is served to loopback clients only.")
    credentials = accounts_view.pool(current)
    for cred in credentials:        # what the provider last said of its limits (this worker)
        cred["quota"] = quota_windows.report(cred["id"])
    return {"credentials": credentials, "accounts": accounts_view.files(current)}


# --- the generate path ---------------------------------------------------

def _generate(dialect, *, action="generate", model=None, stream=None):
    environ = request.environ
    raw = _read_body(environ)
    body, top = _body_top(raw)
    validation.check(dialect, top)
    if model is None:
        model = top.get("model")
        if not isinstance(model, str) or not model:
            raise BadRequest("The request body must name a 'model'.", code="missing_model")
    if stream is None:
        stream = action == "generate" and top.get("stream") is True
    front = _front(dialect, action, model, body, top, raw, stream)
    current = environ[lifecycle.RUNTIME]
    observer = environ[lifecycle.OBSERVER] = request_observer.start(front, current.config)
    client = _upstream_client()
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
    return Response(reply.body, reply.status, headers=reply.headers,
                    content_type=reply.content_type, direct_passthrough=reply.streamed)


def _settled(reply, observer):
    if not reply.streamed:
        observer.settle(reply.status, error_class=reply.error_class)
    return reply


def _read_body(environ):
    """The request body in one buffer, read with a short idle timeout (a
    body shorter than its Content-Length must not hold the connection for
    the whole keep-alive time); a chunked body past the limit is 413, not a
    cut-off JSON text."""
    sock = environ.get("gunicorn.sock")
    idle = sock.gettimeout() if sock is not None else None
    if sock is not None:
        sock.settimeout(_BODY_IDLE_SECONDS)
    try:
        raw = _read_exactly(environ)
        if raw is None:
            raw = request.get_data(cache=False)
    except OSError:
        raise BadRequest(f"The request body stopped arriving for {_BODY_IDLE_SECONDS} s "
                         "before its Content-Length was reached.",
                         headers={"Connection": "close"}) from None
    finally:
        if sock is not None:
            sock.settimeout(idle)
    limit = request.max_content_length
    if limit and not environ.get("CONTENT_LENGTH") and len(raw) >= limit:
        raise PayloadTooLarge("Request body too large (see request-body-limit-mb).",
                              headers={"Connection": "close"})
    return raw


def _read_exactly(environ):
    """A Content-Length body read straight into one buffer (werkzeug's
    reader copies it three times, 64 KiB at a time), or None for a chunked
    body, which werkzeug reads."""
    length = environ.get("CONTENT_LENGTH")
    if not length or not length.isdigit() or environ.get("HTTP_TRANSFER_ENCODING"):
        return None
    length = int(length)
    limit = request.max_content_length
    if limit and length > limit:
        raise PayloadTooLarge("Request body too large (see request-body-limit-mb).",
                              headers={"Connection": "close"})
    raw = environ["wsgi.input"].read(length) if length else b""
    if len(raw) < length:
        raise BadRequest("The request body ended before its Content-Length was reached.",
                         headers={"Connection": "close"})
    return raw


# Bodies from this size on are read at the top level only until something
# needs them whole (``proxy.wire.json_top``); smaller ones are parsed at once,
# which is cheaper than two passes when a translation reads them anyway.
_TOP_ONLY_FROM = 16 * 1024
# Top-level fields read whole even then: whether an OpenAI client asked for
# the usage chunk (``proxy.relay.usage_chunk``).
_KEPT_WHOLE = ("stream_options",)


def _body_top(raw):
    """``(body, top)``: the parsed body (None: parsed when first needed) and
    its top-level fields."""
    if len(raw) >= _TOP_ONLY_FROM:
        top = json_top.top_level(raw, keep=_KEPT_WHOLE)
        if top is not None:
            return None, top
    body = parse_body(raw)
    return body, body


def _front(dialect, action, model, body, top, raw, stream):
    state = g._get_current_object()            # one context lookup, not one per field
    headers = state.lower_headers
    client_key = state.get("client_key")
    query = _query(request.environ)
    own = byok.own_credential(headers) \
        if auth.brings_own_credential(client_key, headers, query) else {}
    return FrontRequest(
        dialect=dialect, action=action, model=model, body=body, top=top, raw=raw, stream=stream,
        headers=headers, request_id=state.request_id,
        client_key_id=client_key.key_id if client_key else "",
        client_label=client_key.label if client_key else "",
        actor=headers.get("x-switchyard-actor") or (client_key.label if client_key else ""),
        query=query.to_dict(), own_credential=own)


def _upstream_client():
    return current_app.extensions["switchyard.upstream"]


def _query(environ):
    """The query arguments; most requests have none, so skip parsing then."""
    return request.args if environ.get("QUERY_STRING") else _NO_QUERY


def environ_headers(environ):
    """Lower-cased request headers straight from the WSGI environ (what
    werkzeug's ``EnvironHeaders`` yields, at a fraction of the cost)."""
    headers = {key[5:].replace("_", "-").lower(): value
               for key, value in environ.items() if key.startswith("HTTP_")}
    for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
        if environ.get(key):
            headers[name] = environ[key]
    return headers
