"""What this process learned about each account's refresh: last refresh,
back-off after a transient failure, and ``needs re-login`` after the token
endpoint rejected the refresh token; and why a Gemini CLI account's Code
Assist project could not be found (``gemini_project``).  Keyed by credential id; a rejection
holds only for the refresh token that was rejected (its digest), so a new
login written to the same file clears it.  Never holds a token.
"""
import hashlib
import threading
import time

NEEDS_RELOGIN = "needs re-login"
BACKOFF_SECONDS = 300.0          # after a transient refresh failure (CLIProxyAPI's 5 min)

_lock = threading.Lock()
_accounts = {}                   # cred id -> dict
generation = [0]                 # bumped when an account leaves or rejoins rotation


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()[:16] if token else ""


def _entry(cred_id):
    return _accounts.setdefault(cred_id, {"refreshes": 0, "last_refresh": None,
                                          "retry_after": 0.0, "rejected": "", "error": "",
                                          "setup_error": "", "setup_retry": 0.0,
                                          "setup_token": ""})


def refreshed(cred_id):
    with _lock:
        entry = _entry(cred_id)
        entry.update(refreshes=entry["refreshes"] + 1, last_refresh=time.time(),
                     retry_after=0.0, error="")


def failed(cred_id, reason, *, now=None):
    with _lock:
        _entry(cred_id).update(retry_after=(now or time.time()) + BACKOFF_SECONDS, error=reason)


def rejected(cred_id, refresh_token, reason):
    with _lock:
        _entry(cred_id).update(rejected=digest(refresh_token), error=reason)
        generation[0] += 1


def needs_relogin(cred_id, refresh_token):
    with _lock:
        entry = _accounts.get(cred_id)
        return bool(entry and entry["rejected"] and entry["rejected"] == digest(refresh_token))


def backing_off(cred_id, now=None):
    with _lock:
        entry = _accounts.get(cred_id)
        return bool(entry and entry["retry_after"] > (now or time.time()))


def setup_failed(cred_id, access_token, reason, *, now=None):
    """The project lookup failed with this token: wait the back-off, unless
    the token changes."""
    with _lock:
        _entry(cred_id).update(setup_error=reason, setup_token=digest(access_token),
                               setup_retry=(now or time.time()) + BACKOFF_SECONDS)


def setup_done(cred_id):
    with _lock:
        _entry(cred_id).update(setup_error="", setup_retry=0.0, setup_token="")


def setup_waiting(cred_id, access_token, now=None):
    with _lock:
        entry = _accounts.get(cred_id)
        return bool(entry and entry["setup_token"] == digest(access_token)
                    and entry["setup_retry"] > (now or time.time()))


def setup_problem(cred_id):
    """(why the last project lookup failed, when it is retried) or None."""
    with _lock:
        entry = _accounts.get(cred_id)
        if not entry or not entry["setup_error"]:
            return None
        return entry["setup_error"], _iso(entry["setup_retry"])


def describe(cred_id):
    """JSON-ready refresh facts for /v0/pool (no secrets)."""
    with _lock:
        entry = dict(_accounts.get(cred_id) or {})
    if not entry:
        return {}
    return {"refreshes": entry["refreshes"], "last_refresh": _iso(entry["last_refresh"]),
            "refresh_retry_at": _iso(entry["retry_after"] or None),
            "refresh_error": entry["error"] or None}


def _iso(epoch):
    if not epoch:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def reset():
    """Forget everything (tests)."""
    with _lock:
        _accounts.clear()
