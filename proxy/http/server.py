"""The Flask app: model lists, health, management, dashboard, errors.

The four front doors' POSTs are answered ahead of it, straight from the
WSGI environ (``proxy.http.doors``); everything else comes here.  Every
error leaves in the client's own dialect (OpenAI, Anthropic or Gemini
error shape), never as HTML.
"""
import logging
import os

from flask import Flask, Response, g, request
from flask.sessions import NullSession, SessionInterface
from werkzeug.exceptions import HTTPException

from proxy.access import peers
from proxy import config as config_mod, runtime, state
from proxy.http import doors, lifecycle, model_lists
from proxy.http.generate import query_args
from proxy.admin import management, reload
from proxy.telemetry import metrics, request_observer
from proxy.relay import signatures
from proxy.dashboard import routes as dashboard
from proxy.accounts import view as accounts_view
from proxy.routing import quota_windows
from proxy.admin import accounts_watcher
from proxy.errors import error_body, ClientError, Forbidden, MethodNotAllowed, NotFound
from proxy.http.front import path_dialect
from proxy.providers.upstream import UpstreamClient

log = logging.getLogger("switchyard.server")

_OPEN_PATHS = ("/healthz",)
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
    app.wsgi_app = lifecycle.FinishOnce(doors.FrontDoors(app.wsgi_app, app.extensions))
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
        headers = state.lower_headers = doors.environ_headers(environ)
        state.request_id = environ[lifecycle.REQUEST_ID] = doors.new_request_id(headers)
        state.dialect = environ[lifecycle.DIALECT] = dialect_for_path(path, headers)
        if environ["REQUEST_METHOD"] == "OPTIONS":
            return preflight()
        if path.startswith(_OPEN_PATHS + _SELF_AUTHED):
            return None
        state.client_key = doors.authenticate(environ, headers, current.client_keys,
                                              query_args(environ))
        return None

    @app.after_request
    def stamp(response):
        headers = response.headers
        state = g._get_current_object()
        request_id = headers["X-Request-Id"] = state.get("request_id", "")
        # The header the client's SDK reads the id from, if another (an
        # Anthropic client's ``request-id``, API reference "Errors").
        own = doors.REQUEST_ID_HEADERS.get(state.get("dialect"))
        if own is not None and own not in headers:
            headers[own] = request_id
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
    lifecycle.settle(request.environ, status, error_class)


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
    # A POST to a front door is answered by proxy.http.doors before Flask
    # sees it; the rules stay so that other methods get Flask's 405 (after
    # the key check) and a Gemini target without a method its 404.
    for path, endpoint in (("/v1/chat/completions", "chat"), ("/v1/responses", "responses"),
                           ("/v1/responses/input_tokens", "responses_count"),
                           ("/v1/messages", "messages"),
                           ("/v1/messages/count_tokens", "messages_count")):
        app.add_url_rule(path, view_func=_served_ahead, endpoint=endpoint, methods=["POST"])
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


def _served_ahead(**_):
    raise RuntimeError("a front door's POST reached Flask; proxy.http.doors serves it")


def gemini_post(target):
    """A Gemini POST whose target names no method (``proxy.http.doors``
    serves every ``{model}:{method}``)."""
    if ":" in target:
        _served_ahead()
    raise NotFound(f"Unknown Gemini method '{target}'; expected generateContent, "
                   "streamGenerateContent or countTokens.")


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
