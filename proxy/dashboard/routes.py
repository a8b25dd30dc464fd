"""Registers the dashboard: its page (``/dashboard``) and the management
routes it adds (``/v0/management/config``, ``/requests``, ``/requests/live``)."""
from proxy.dashboard import api, pages


def register(app):
    """Serve the dashboard from ``app`` (after ``proxy.admin.management.register``,
    whose wrong-key lockout the login form shares)."""
    app.register_blueprint(pages.create_blueprint())
    app.register_blueprint(api.create_blueprint())
