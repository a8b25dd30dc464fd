"""The operator's dashboard at ``/dashboard``.

``routes`` registers it; ``pages`` serves the page and the login form,
``api`` the JSON/SSE routes it adds under ``/v0/management``.  ``session``
(login cookies), ``chart`` (server-side SVG) and ``usage_render`` (CSV/SVG
answers of ``/v0/usage``) import nothing above ``proxy.telemetry.usage_store`` and
``proxy.access.auth``, so ``proxy.admin.management`` uses them too.  Nothing is imported
here: importing ``proxy.dashboard.session`` must not drag in the routes.
"""
