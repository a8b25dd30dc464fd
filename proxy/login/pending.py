"""Logins in progress, kept where every worker sees them: a dot-file per
login in ``auth-dir`` (``.login-<state>.pending``, 0600), the way CLIProxyAPI
drops ``.oauth-<provider>-<state>.oauth`` files there -- not ``*.json``:
CLIProxyAPI loads every ``*.json`` of the folder, dot-files included.  A login started on
one worker is completed by whichever worker the pasted URL or the browser's
callback reaches, and its status reads the same from all of them.

A file holds the provider type, the state, the PKCE verifier, the redirect
URI, when it started and its status (``pending``, ``exchanging``, ``done``,
``failed``); never a token.  Completing is claimed once (an exclusive
create of ``.login-<state>.claim``), so two workers given the same redirect
do not both spend the code.  Files older than ``TTL_SECONDS`` are removed.
"""
import os
import re
import time

from proxy.accounts import authfile

TTL_SECONDS = 600
_STATE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")     # what flow.Session makes


def _path(auth_dir, state, suffix="pending"):
    if not _STATE.match(state or ""):
        return None
    return os.path.join(auth_dir, f".login-{state}.{suffix}")


def add(auth_dir, session):
    """Record a login just started (a ``proxy.login.flow.Session``)."""
    prune(auth_dir)
    authfile.write(_path(auth_dir, session.state), {
        "type": session.provider.type, "state": session.state, "verifier": session.verifier,
        "redirect_uri": session.redirect_uri, "started": session.started,
        "status": "pending"})


def get(auth_dir, state):
    """The login's record, or None (unknown, malformed state, expired)."""
    path = _path(auth_dir, state)
    if path is None:
        return None
    try:
        record = authfile.read(path)
    except authfile.AuthFileError:
        return None
    if time.time() - float(record.get("started") or 0) > TTL_SECONDS:
        return None
    return record


def claim(auth_dir, state):
    """The pending login's record, claimed for completing by this caller;
    None when there is none or another worker claimed it first."""
    record = get(auth_dir, state)
    if record is None or record.get("status") != "pending":
        return None
    try:
        os.close(os.open(_path(auth_dir, state, "claim"), os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return None
    update(auth_dir, state, status="exchanging")
    return record


def update(auth_dir, state, **fields):
    record = get(auth_dir, state)
    if record is not None:
        record.update(fields)
        authfile.write(_path(auth_dir, state), record)


def prune(auth_dir, now=None):
    """Remove the files of logins past ``TTL_SECONDS``."""
    now = time.time() if now is None else now
    try:
        names = os.listdir(auth_dir)
    except FileNotFoundError:
        return
    for name in names:
        if name.startswith(".login-"):
            path = os.path.join(auth_dir, name)
            try:
                if now - os.stat(path).st_mtime > TTL_SECONDS:
                    os.unlink(path)
            except FileNotFoundError:
                continue
