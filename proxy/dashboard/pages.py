"""The ``/dashboard`` page, its static files and the login form.

The page is plain HTML, CSS and JavaScript shipped in this package (no
build step, no CDN); everything it shows comes from the documented JSON
API (``/v0/management/*``, ``/v0/usage``), authenticated by the session
cookie that ``POST /dashboard/login`` sets.

Logging in takes the management key (subject to the management API's
loopback rule and wrong-key lockout) or a client key (that client then
sees its own usage only).
"""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request

from proxy.access import auth, peers
from proxy.admin import management
from proxy import runtime
from proxy import config as config_mod
from proxy.dashboard import session as sessions
from proxy.errors import Unauthorized

# The page loads nothing from elsewhere and may not be framed (clickjacking
# of the disable buttons).
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def _login_page(message="", status=200):
    current = runtime.current()
    return render_template(
        "login.html", message=message, config_path=config_mod.config_path(),
        management_off=not current.config["remote-management"]["secret-key"],
        no_client_keys=not current.client_keys), status


def _same_origin():
    """A login form posted from another site is refused (login CSRF); a
    browser always sends ``Origin`` with a form POST."""
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


def _secure():
    return request.scheme == "https"


def _check_management(config):
    """None when a management session may be used from here, else why not."""
    try:
        management.authorize_management(config, current_app.extensions["switchyard.lockout"])
    except management.ApiError as exc:
        return exc.message
    return None


def _matching_client_key(keys, given):
    try:
        return auth.authenticate(keys, {"authorization": f"Bearer {given}"}, {})
    except Unauthorized:
        return None


def _log_in(given):
    """A session cookie value for ``given``, or (message, status) why not."""
    current = runtime.current()
    config = current.config
    lockout = current_app.extensions["switchyard.lockout"]
    address = peers.request_address(request.environ, config)
    if lockout.locked_for(address):
        return None, ("Too many wrong keys from this address; try again later.", 429)
    client_key = _matching_client_key(current.client_keys, given) if given else None
    if client_key is not None:
        return sessions.issue(sessions.CLIENT, config, client_key=client_key), None
    if given and config["remote-management"]["secret-key"]:
        try:
            management.authorize_management(config, lockout, given=given)
            return sessions.issue(sessions.MANAGEMENT, config), None
        except management.ApiError as exc:
            if exc.status != 401:
                return None, (exc.message, exc.status)
    else:
        lockout.failed(address)
    return None, ("That is neither the management key nor a client key.", 401)


def create_blueprint():
    bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", static_folder="static",
                   template_folder="templates")

    @bp.after_request
    def _harden(response):
        response.headers.update(_SECURITY_HEADERS)
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get("")
    @bp.get("/")
    def page():
        config = runtime.current().config
        found = sessions.from_request(request, config, runtime.current().client_keys)
        if found is None:
            return _login_page()
        if found.role == sessions.MANAGEMENT:
            refused = _check_management(config)
            if refused:
                return _login_page(refused, 403)
            label = "management"
        else:
            label = found.client_key.label or found.client_key.key_id
        return render_template("dashboard.html", role=found.role, label=label,
                               csrf=found.csrf)

    @bp.post("/login")
    def login():
        if not _same_origin():
            return _login_page("Log in from this gateway's own page.", 403)
        value, refused = _log_in(request.form.get("key", "").strip())
        if refused:
            return _login_page(*refused)
        response = redirect("/dashboard", 303)
        sessions.set_cookie(response, value, secure=_secure())
        return response

    @bp.post("/logout")
    def logout():
        current = runtime.current()
        found = sessions.from_request(request, current.config, current.client_keys)
        if found is not None and not sessions.csrf_matches(found, request.form.get("csrf")):
            return _login_page("Log out from the dashboard's own button.", 403)
        response = redirect("/dashboard", 303)
        sessions.clear_cookie(response, secure=_secure())
        return response

    return bp
