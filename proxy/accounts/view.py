"""How accounts show in /v0/pool and the management pool: each account
credential's snapshot gains an ``account`` object (type, token expiry,
refresh facts), and ``accounts`` lists every auth file with its status
(loaded, disabled, unsupported, malformed, needs re-login, setting up) and
why.
Never a token.
"""
import time

from proxy.accounts import authfile, health


def pool(current):
    """The pool snapshot, account credentials described."""
    snapshot = current.pool.snapshot()
    accounts = {e.id: e.credential for e in getattr(current, "accounts", ()) if e.credential}
    for item in snapshot:
        cred = accounts.get(item["id"])
        if cred is not None:
            item["account"] = dict(_token_facts(cred), **health.describe(cred.id))
    return snapshot


def _token_facts(cred):
    expires = cred.account.get("expires")
    return {"type": cred.account.get("type"),
            "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
            if expires else None}


def files(current):
    return [dict(_describe(entry), **health.describe(entry.id))
            for entry in getattr(current, "accounts", ())]


def _describe(entry):
    """The entry as listed; a project lookup that failed is its reason."""
    described = entry.describe()
    problem = health.setup_problem(entry.id) if entry.status == authfile.SETTING_UP else None
    if problem:
        described["reason"] = f"{problem[0]} (asked again at {problem[1]} or when the file " \
            "changes; or set project_id in the file)"
    return described
