"""Management routes for auth files and logins started from the API.

``GET /auth-files`` (no secrets), ``POST /auth-files?name=`` (raw JSON
body), ``DELETE /auth-files?name=``, ``PATCH /auth-files/status``
(``{name, disabled}``), ``POST /logins/<provider>`` (returns the URL to
open and its ``state``), ``POST /logins/complete`` (``{state,
redirect_url}``: the URL the browser was sent to), ``GET /logins/<state>``.

Logins in progress live in this worker's memory for ``LOGIN_TTL_S``: with
several workers, complete a login against the same worker (a single-worker
admin port, or retry) -- the state is not shared.
"""
import os
import threading
import time

from flask import request

from proxy import runtime
from proxy.accounts import authfile
from proxy.accounts.authfile import resolve_dir
from proxy.login import flow, providers, records

LOGIN_TTL_S = 600
_logins = {}                 # state -> {"session", "status", "error", "file"}
_lock = threading.Lock()


def _auth_dir():
    return resolve_dir(runtime.current().config)


def _prune(now):
    for state in [s for s, v in _logins.items() if now - v["session"].started > LOGIN_TTL_S]:
        del _logins[state]


def register(bp, api_error):
    """Add the routes to the management blueprint ``bp``; ``api_error`` is
    its error class (status, message, type)."""

    def _name():
        name = request.args.get("name") or (request.get_json(silent=True) or {}).get("name")
        if not name:
            raise api_error(400, "name is required", "invalid_request_error")
        try:
            return authfile.safe_name(name)
        except ValueError as exc:
            raise api_error(400, str(exc), "invalid_request_error") from None

    def _existing(name):
        path = authfile.path_in(_auth_dir(), name)
        if not os.path.isfile(path):
            raise api_error(404, f"No auth file {name!r}.", "not_found_error")
        return path

    @bp.get("/auth-files")
    def list_auth_files():
        folder, files = _auth_dir(), []
        names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
        for name in (n for n in names if n.endswith(".json") and not n.startswith(".")):
            try:
                view = records.summary(authfile.read(os.path.join(folder, name)))
            except (OSError, ValueError):
                view = {"type": "unknown", "error": "not a readable JSON object"}
            files.append({"name": name, **view})
        return {"auth_dir": folder, "files": files}

    @bp.post("/auth-files")
    def upload_auth_file():
        name = _name()
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            raise api_error(400, "body must be an auth file: a JSON object with a type",
                            "invalid_request_error")
        authfile.save(_auth_dir(), name, body, merge=False)
        return {"name": name, **records.summary(body)}, 201

    @bp.delete("/auth-files")
    def delete_auth_file():
        name = _name()
        os.unlink(_existing(name))
        return {"deleted": name}

    @bp.patch("/auth-files/status")
    def set_auth_file_status():
        body = request.get_json(silent=True) or {}
        name = _name()
        if not isinstance(body.get("disabled"), bool):
            raise api_error(400, "disabled (true or false) is required", "invalid_request_error")
        _existing(name)
        record = authfile.read(authfile.path_in(_auth_dir(), name))
        authfile.save(_auth_dir(), name, {"disabled": body["disabled"]})
        return {"name": name, **records.summary({**record, "disabled": body["disabled"]})}

    @bp.post("/logins/<kind>")
    def start_login(kind):
        if kind not in providers.TYPES:
            raise api_error(404, f"No login for {kind!r} (one of {', '.join(providers.TYPES)}).",
                            "not_found_error")
        provider = providers.get(kind, runtime.current().config["oauth"])
        session = flow.Session(provider, provider.redirect_uri())
        with _lock:
            _prune(time.time())
            _logins[session.state] = {"session": session, "status": "pending"}
        return {"provider": kind, "url": session.url, "state": session.state,
                "status": "pending"}

    @bp.post("/logins/complete")
    def complete_login():
        body = request.get_json(silent=True) or {}
        try:
            code, state = flow.parse_redirect(body.get("redirect_url") or "")
        except flow.LoginError as exc:
            raise api_error(400, str(exc), "invalid_request_error") from None
        state = state or body.get("state") or ""
        with _lock:
            entry = _logins.get(state)
            if entry is None or entry["status"] != "pending":
                raise api_error(404, "No login in progress with that state.", "not_found_error")
            entry["status"] = "exchanging"
        try:
            tokens = flow.exchange(entry["session"], code, state)
            record = flow.to_record(entry["session"].provider, tokens)
            name = records.file_name(record)
            authfile.save(_auth_dir(), name, record)
        except flow.LoginError as exc:
            entry.update(status="failed", error=str(exc))
            raise api_error(400, str(exc), "invalid_request_error") from None
        entry.update(status="done", file=name)
        return {"status": "done", "state": state, "name": name, **records.summary(record)}

    @bp.get("/logins/<state>")
    def login_status(state):
        entry = _logins.get(state)
        if entry is None:
            raise api_error(404, "No login with that state.", "not_found_error")
        return {"state": state, "provider": entry["session"].provider.type,
                "status": entry["status"], "error": entry.get("error"),
                "name": entry.get("file")}
