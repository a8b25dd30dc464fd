"""Keeping account tokens fresh: ahead of expiry (a background greenlet),
lazily before a call when little time is left, and after an upstream 401.

One refresh at a time per file, across the workers of one machine: a
refresh takes an ``fcntl`` lock on a sidecar ``.<file>.lock`` in the auth
directory, re-reads the file, and skips the token call when another
process already rotated it (Codex refresh tokens are single-use: a second
refresh with the same token would be refused and the account lost).  The
new tokens are merged over the file's keys (fields users added survive)
and written atomically with mode 0600.  Instances on other machines coordinate
through Redis when ``state.redis-url`` is set (``proxy.state.refreshes``,
passed in as ``shared``).

Leads (how long before expiry to refresh), from the vendors' CLIs as
CLIProxyAPI applies them: Claude 4 h, Codex 5 days; Gemini CLI lazily once
under 30 s remain; Vertex service-account tokens 5 min.
"""
import contextlib
import errno
import fcntl
import logging
import os
import time
from datetime import datetime, timezone

import gevent

from proxy.accounts import authfile, health, token_client

log = logging.getLogger("switchyard.accounts")

LEADS = {"claude": 4 * 3600.0, "codex": 5 * 86400.0, "vertex": 300.0}
LAZY_ONLY = ("gemini",)          # no background refresh: only before a call, or after a 401
LAZY_SECONDS = 30.0              # refresh before a call when less than this remains
LOCK_WAIT = 60.0
REFRESHED, ADOPTED = "refreshed", "adopted"      # how after_unauthorized renewed a token


def due(cred, now=None):
    """Whether ``cred``'s token should be refreshed ahead of its expiry: a
    lead before it, at most half the token's lifetime (a token issued for
    less than the lead -- a test server's, a short-lived grant -- would
    otherwise be due again at every pass)."""
    if not cred.api_key:
        return True              # a service account not yet exchanged
    if cred.account.get("type") in LAZY_ONLY:
        return False
    expires = cred.account.get("expires")
    lead = LEADS.get(cred.account.get("type"), 300.0)
    if cred.account.get("lifetime"):
        lead = min(lead, cred.account["lifetime"] / 2)
    return expires is not None and (now or time.time()) >= expires - lead


def ensure_fresh(cred, config, shared=None):
    """Before a call: refresh now when the token is missing or about to expire."""
    expires = cred.account.get("expires")
    if cred.api_key and (expires is None or expires - time.time() > LAZY_SECONDS):
        return
    refresh(cred, config, reason="about to expire", shared=shared)


def after_unauthorized(cred, config, sent_token, shared=None):
    """An upstream 401 for ``sent_token`` (``cred``'s token when the call was
    made: another green thread may have replaced it since): refresh unless
    another worker or green thread already did.  ``REFRESHED`` when this
    call spent the refresh token for a new access token, ``ADOPTED`` when it
    took up the one another green thread, worker or instance had put in the
    file (which may have been refused since, too), False when there is no
    new token to retry with."""
    return _renew(cred, config, reason="upstream 401", rejected_token=sent_token,
                  shared=shared)


def refresh(cred, config, *, reason, rejected_token=None, shared=None):
    """Refresh ``cred``'s file under its lock; updates ``cred`` in place.
    Returns True when ``cred`` now holds a different, usable token.

    ``shared`` (``proxy.state.refreshes.SharedRefreshes``, with Redis) also
    makes the refresh single-flight across instances on other machines and
    hands the new tokens to those holding a copy of the file."""
    return bool(_renew(cred, config, reason=reason, rejected_token=rejected_token,
                       shared=shared))


def _renew(cred, config, *, reason, rejected_token, shared):
    """``refresh``, saying how: ``REFRESHED``, ``ADOPTED`` or False."""
    path, kind = cred.account["path"], cred.account["type"]
    spent = False
    before = cred.api_key
    try:
        with file_lock(path):
            data = authfile.read(path)
            current, rt = authfile.access_token(data), authfile.refresh_token(data)
            if current and current != (before if rejected_token is None else rejected_token):
                _adopt(cred, data)                     # rotated elsewhere meanwhile
                log.info("account %s: token already rotated by another request (pid %d)", cred.id,
                         os.getpid())
                renewed = rejected_token is not None or cred.api_key != before
                return ADOPTED if renewed else False
            if health.needs_relogin(cred.id, rt or cred.id):
                return False
            if health.backing_off(cred.id) and rejected_token is None:
                return False
            if not rt and kind != "vertex":
                health.rejected(cred.id, cred.id, "no refresh_token in the file")
                return False
            with _shared_lock(shared, rt):
                merged = _handed_over(shared, kind, data, rt)
                if merged is None:
                    answer = token_client.refresh(kind, data, rt, _token_url(config, kind),
                                                  _proxies(cred))
                    spent = True
                    if shared is not None and rt:
                        shared.hand_over(health.digest(rt), answer)
                    merged = _merge(kind, data, answer)
                else:
                    log.info("account %s: token already rotated by another instance (pid %d)",
                             cred.id, os.getpid())
                authfile.write(path, merged)
    except token_client.RefreshRejected as exc:
        health.rejected(cred.id, rt or cred.id, f"needs re-login: {exc}")
        log.warning("account %s %s (refresh after %s rejected)", cred.id,
                    health.NEEDS_RELOGIN, reason)
        return False
    except (token_client.RefreshFailed, authfile.AuthFileError, OSError,
            TimeoutError) as exc:
        health.failed(cred.id, str(exc))
        log.warning("account %s refresh failed (%s), retrying in %ds: %s", cred.id, reason,
                    health.BACKOFF_SECONDS, exc)
        return False
    _adopt(cred, merged)
    health.refreshed(cred.id)
    log.info("account %s refreshed (%s; pid %d)", cred.id, reason, os.getpid())
    if cred.api_key == (before if rejected_token is None else rejected_token):
        return False
    return REFRESHED if spent else ADOPTED


def _shared_lock(shared, refresh_token):
    if shared is None or not refresh_token:
        return contextlib.nullcontext()
    return shared.lock(health.digest(refresh_token), wait=LOCK_WAIT)


def _handed_over(shared, kind, data, refresh_token):
    """The file's keys merged with tokens another instance got by spending
    this file's refresh token; None when it is unspent."""
    if shared is None or not refresh_token:
        return None
    found = shared.handed_over(health.digest(refresh_token),
                               lambda tokens: health.digest(tokens.get("refresh_token") or ""))
    if found is None:
        return None
    tokens, received = found
    left = float(tokens.get("expires_in") or 3600) - (time.time() - received)
    return _merge(kind, data, dict(tokens, expires_in=max(left, 0.0)))


def _token_url(config, kind):
    return (config.get("oauth") or {}).get(f"{kind}-token-url") or ""


def _proxies(cred):
    return {"http": cred.proxy_url, "https": cred.proxy_url} if cred.proxy_url else None


def _adopt(cred, data):
    cred.api_key = authfile.access_token(data)
    cred.account["expires"] = authfile.expiry(data)
    cred.account["lifetime"] = authfile.lifetime(data)


def _rfc3339(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


def _merge(kind, data, answer):
    """The file's keys with the new tokens under the same keys they were read from."""
    merged = dict(data)
    now = time.time()
    expires = _rfc3339(now + float(answer.get("expires_in") or 3600))
    if kind == "gemini" and isinstance(data.get("token"), dict):
        token = dict(data["token"], access_token=answer["access_token"], expiry=expires)
        if answer.get("refresh_token"):
            token["refresh_token"] = answer["refresh_token"]
        merged["token"] = token
        # CLIProxyAPI's own Gemini refresh also leaves access_token,
        # refresh_token and expiry at the top level, and ours writes "expired"
        # there: those copies are read before the token object's, so they move too
        for key in ("access_token", "refresh_token"):
            if key in merged and token.get(key):
                merged[key] = token[key]
        for key in authfile.EXPIRY_KEYS:
            if key in merged:
                merged[key] = expires
    else:
        merged["access_token"] = answer["access_token"]
        if answer.get("refresh_token"):           # none: the old one stays valid
            merged["refresh_token"] = answer["refresh_token"]
        if answer.get("id_token"):
            merged["id_token"] = answer["id_token"]
        for key in authfile.EXPIRY_KEYS[1:]:
            merged.pop(key, None)
        merged["expired"] = expires
    merged["last_refresh"] = _rfc3339(now)
    return merged


class file_lock:
    """An exclusive ``fcntl`` lock on ``.<name>.lock`` beside ``path``, taken
    without blocking the gevent hub (polled)."""

    def __init__(self, path):
        folder, name = os.path.split(path)
        self.lock_path = os.path.join(folder, f".{name}.lock")
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or \
                        time.monotonic() > deadline:
                    os.close(self.fd)
                    raise
                gevent.sleep(0.02)

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


class Scheduler:
    """A refresh pass over the accounts of the current pool: those due are
    refreshed (run by a background greenlet, ``proxy.periodic``)."""

    def __init__(self, current_runtime, shared=lambda: None):
        self.current_runtime = current_runtime
        self.shared = shared          # -> the SharedRefreshes of this worker, or None

    def run_once(self, now=None):
        """One pass; returns the ids refreshed."""
        rt = self.current_runtime()
        done = []
        for cred in rt.pool.credentials:
            if cred.account and due(cred, now) and not health.backing_off(cred.id, now):
                if refresh(cred, rt.config, reason="ahead of expiry", shared=self.shared()):
                    done.append(cred.id)
        return done
