"""Management routes for auth files and logins started from the API.

``GET /auth-files`` (no secrets; each file's ``status`` and ``reason`` as
this worker serves it, as in /v0/pool), ``GET /auth-files/download?name=`` (the
file itself, for moving an account elsewhere), ``POST /auth-files?name=``
(raw JSON body) or a multipart form of ``.json`` files (what CLIProxyAPI's
management panel sends), ``DELETE /auth-files?name=`` (repeatable),
``?all=true`` or ``{"names": [...]}``, ``PATCH /auth-files/status``
(``{name, disabled}``), ``PATCH /auth-files/fields`` (``{name, <knob>: value}``),
``POST /logins/<provider>`` (returns the URL to
open and its ``state``), ``POST /logins/complete`` (``{state,
redirect_url}``: the URL the browser was sent to), ``GET /logins/callback``
(where the browser's callback is forwarded, see ``proxy.admin.login_forwarder``;
the login's unguessable, single-use state is its credential, so it needs no
management key), ``GET /logins/<state>``.

Logins in progress are files in ``auth-dir`` (``proxy.login.pending``): any
worker completes a login another one started.
"""
import json
import os

from flask import request

from proxy import runtime
from proxy.accounts import authfile
from proxy.accounts import view as accounts_view
from proxy.accounts.authfile import resolve_dir
from proxy.admin import login_forwarder
from proxy.login import flow, pending, providers, records

CALLBACK_ENDPOINT = "management.login_callback"     # served without the management key
_RECEIVED = ("<!doctype html><title>Switchyard</title><p>{}</p>")


def _auth_dir():
    return resolve_dir(runtime.current().config)


def _provider(kind):
    return providers.get(kind, runtime.current().config["oauth"])


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
        served = {a["id"]: a for a in accounts_view.files(runtime.current())}
        for name in (n for n in names if n.endswith(".json") and not n.startswith(".")):
            try:
                view = records.summary(authfile.read(os.path.join(folder, name)))
            except (OSError, ValueError):
                view = {"type": "unknown", "error": "not a readable JSON object"}
            # a multi-project Gemini file is one entry per project: the first speaks for it
            entry = served.get(f"auth:{name}") or next(
                (a for i, a in served.items() if i.startswith(f"auth:{name}::")), None)
            if entry is not None:
                view.update(status=entry["status"], reason=entry["reason"])
            files.append({"name": name, **view})
        return {"auth_dir": folder, "files": files}

    @bp.get("/auth-files/download")
    def download_auth_file():
        name = _name()
        with open(_existing(name), "rb") as f:
            data = f.read()
        return data, 200, {"Content-Type": "application/json",
                           "Content-Disposition": f'attachment; filename="{name}"'}

    @bp.post("/auth-files")
    def upload_auth_file():
        if request.files:
            return _upload_files()
        name = _name()
        body = request.get_json(silent=True)
        _check_record(body)
        authfile.save(_auth_dir(), name, body, merge=False)
        return {"name": name, **records.summary(body)}, 201

    def _check_record(body):
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            raise api_error(400, "body must be an auth file: a JSON object with a type",
                            "invalid_request_error")

    def _upload_files():
        """Every part of a multipart form, each a ``.json`` auth file kept
        under its own (sanitised) name; all checked before any is written."""
        uploads = []
        for part in request.files.getlist("file") or list(request.files.values()):
            name = authfile.safe_name(part.filename or "")
            try:
                body = json.loads(part.read())
            except ValueError:
                body = None
            if not (part.filename or "").endswith(".json"):
                raise api_error(400, f"{name}: file must be .json", "invalid_request_error")
            _check_record(body)
            uploads.append((name, body))
        for name, body in uploads:
            authfile.save(_auth_dir(), name, body, merge=False)
        return {"status": "ok", "uploaded": len(uploads),
                "files": [{"name": n, **records.summary(b)} for n, b in uploads]}, 201

    @bp.delete("/auth-files")
    def delete_auth_file():
        if request.args.get("all") in ("true", "1", "*"):
            folder = _auth_dir()
            names = [n for n in sorted(os.listdir(folder)) if n.endswith(".json")
                     and not n.startswith(".")] if os.path.isdir(folder) else []
        else:
            names = request.args.getlist("name") or \
                (request.get_json(silent=True) or {}).get("names") or [_name()]
            try:
                names = list(dict.fromkeys(authfile.safe_name(n) for n in names))
            except ValueError as exc:
                raise api_error(400, str(exc), "invalid_request_error") from None
            paths = [_existing(n) for n in names]       # all or none: 404 names the missing
            for path in paths:
                os.unlink(path)
            return {"deleted": names[0]} if len(names) == 1 else \
                {"status": "ok", "deleted": len(names), "files": names}
        for name in names:
            os.unlink(os.path.join(folder, name))
        return {"status": "ok", "deleted": len(names), "files": names}

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

    @bp.patch("/auth-files/fields")
    def set_auth_file_fields():
        """CLIProxyAPI's ``PATCH auth-files/fields``: ``{name, <field>: value,
        ...}`` sets each per-file knob (a dotted field sets a nested one,
        ``null`` removes it); the credentials themselves are not editable here."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise api_error(400, "body must be a JSON object", "invalid_request_error")
        name = _name()
        path = _existing(name)
        fields = {k.strip(): v for k, v in body.items() if k.strip() not in ("name", "")}
        locked = sorted(k for k in fields if k.split(".")[0] in _LOCKED_FIELDS)
        if not fields or locked:
            raise api_error(400, f"not editable here: {', '.join(locked)}" if locked
                            else "no field to set", "invalid_request_error")
        record = authfile.read(path)
        for field, value in fields.items():
            _set_field(record, field.split("."), value)
        try:
            authfile.file_weight(record)
        except ValueError as exc:
            raise api_error(400, str(exc), "invalid_request_error") from None
        authfile.write(path, record)
        return {"status": "ok", "name": name, **records.summary(record)}

    @bp.post("/logins/<kind>")
    def start_login(kind):
        if kind not in providers.TYPES:
            raise api_error(404, f"No login for {kind!r} (one of {', '.join(providers.TYPES)}).",
                            "not_found_error")
        provider = _provider(kind)
        port = runtime.current().config["oauth"].get(f"{kind}-callback-port") or None
        session = flow.Session(provider, provider.redirect_uri(port))
        pending.add(_auth_dir(), session)
        forwarding = login_forwarder.ensure(
            port or provider.callback_port, provider.callback_path,
            request.host_url + "v0/management/logins/callback")
        return {"provider": kind, "url": session.url, "state": session.state,
                "status": "pending", "callback": session.redirect_uri,
                "callback_forwarded": forwarding}

    @bp.post("/logins/complete")
    def complete_login():
        body = request.get_json(silent=True) or {}
        try:
            code, state = flow.parse_redirect(body.get("redirect_url") or "")
        except flow.LoginError as exc:
            raise api_error(400, str(exc), "invalid_request_error") from None
        try:
            return _complete(code, state or body.get("state") or "")
        except flow.LoginError as exc:
            raise api_error(400, str(exc), "invalid_request_error") from None

    @bp.get("/logins/callback")
    def login_callback():
        query = request.query_string.decode("latin-1")
        try:
            code, state = flow.parse_redirect("?" + query)
            answer = _complete(code, state)
        except flow.LoginError as exc:
            refused = request.args.get("state") or ""
            if pending.claim(_auth_dir(), refused) is not None:     # the user said no
                pending.update(_auth_dir(), refused, status="failed", error=str(exc))
            return _RECEIVED.format(f"Login failed: {_html(str(exc))}"), 400, \
                {"Content-Type": "text/html; charset=utf-8"}
        return _RECEIVED.format(f"Logged in {_html(answer['email'] or answer['type'])}; "
                                "you can close this tab."), 200, \
            {"Content-Type": "text/html; charset=utf-8"}

    def _complete(code, state):
        folder = _auth_dir()
        record = pending.claim(folder, state)
        if record is None:
            raise api_error(404, "No login in progress with that state.", "not_found_error")
        session = flow.Session.resume(_provider(record["type"]), record)
        try:
            tokens = flow.exchange(session, code, state)
            account = flow.to_record(session.provider, tokens)
            name = records.file_name(account)
            authfile.save(folder, name, account)
        except flow.LoginError as exc:
            pending.update(folder, state, status="failed", error=str(exc))
            raise
        pending.update(folder, state, status="done", name=name)
        return {"status": "done", "state": state, "name": name, **records.summary(account)}

    @bp.get("/logins/<state>")
    def login_status(state):
        record = pending.get(_auth_dir(), state)
        if record is None:
            raise api_error(404, "No login with that state.", "not_found_error")
        return {"state": state, "provider": record["type"], "status": record["status"],
                "error": record.get("error"), "name": record.get("name")}


# The account's identity and secrets: changed by logging in again, not patched.
_LOCKED_FIELDS = frozenset({"type", "access_token", "refresh_token", "id_token", "token",
                            "Token", "service_account", "api_key"})


def _set_field(record, path, value):
    """Set (``None``: remove) ``record[path[0]][path[1]]...``."""
    for key in path[:-1]:
        if not isinstance(record.get(key), dict):
            record[key] = {}
        record = record[key]
    if value is None:
        record.pop(path[-1], None)
    else:
        record[path[-1]] = value


def _html(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
