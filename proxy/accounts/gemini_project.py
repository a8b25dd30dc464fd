"""A Gemini CLI (Code Assist) account's project, found before the account serves.

Code Assist refuses a generate request whose envelope names no project (400
"Invalid project resource name projects/"), and a Gemini CLI login holds
none: ``switchyard import gemini`` writes ``project_id: ""`` (``auto: true``,
``checked: false``), as some CLIProxyAPI files have it.  Such a file is
listed ``setting up`` and kept out of rotation (``authfile``) while a
background pass of each worker (``Finder``, at start and at every auth-dir
poll) finds the project as Gemini CLI does (``code_assist_setup``:
loadCodeAssist, then onboardUser polled until done) and writes it into the
file with ``checked: true``; the folder watcher then loads the account, with
its project, in every worker.

In the background rather than by the first request: onboarding polls every
5 s, sometimes for minutes, and no request should wait for it or go out
without a project; an account not ready is simply not picked, so there is
no cooldown to undo when the user names the project in the file by hand.

One worker asks: it takes the file's refresh lock and re-reads the file
first, and a worker that finds the project there leaves it.  Instances on
other machines with their own copy each ask once (the same account gets
the same project; onboarding twice is harmless).  A failure is kept per
account (``health``) and shown as the file's reason in /v0/pool and the
management list, never with a token; it is looked for again after the
refresh back-off, or at once when the file's token changes (a new login).
"""
import logging
import os

from proxy.accounts import authfile, code_assist_setup, health, refresher
from proxy.errors import AuthFileError, RefreshFailed, SetupError

log = logging.getLogger("switchyard.accounts")


def pending(entry):
    """Whether ``entry`` (an ``authfile.Entry``) waits for its project."""
    return entry.status == authfile.SETTING_UP and entry.credential is not None \
        and not entry.credential.account.get("project")     # found, not reloaded yet


def find(cred, config, shared=None, now=None):
    """Look for ``cred``'s project and keep it in its file, unless a failure
    with the same token is recent; True when the file now names one."""
    if health.setup_waiting(cred.id, cred.api_key, now):
        return False
    try:
        project, asked = _find(cred, config, shared)
    except (SetupError, RefreshFailed, AuthFileError, OSError, TimeoutError) as exc:
        health.setup_failed(cred.id, cred.api_key, f"no Code Assist project: {exc}", now=now)
        log.warning("account %s: no Code Assist project (retrying in %ds): %s", cred.id,
                    health.BACKOFF_SECONDS, exc)
        return False
    health.setup_done(cred.id)
    cred.account["project"] = project
    log.info("account %s: Code Assist project %s %s (pid %d)", cred.id, project,
             "found and saved" if asked else "already saved by another worker", os.getpid())
    return True


def _find(cred, config, shared):
    """(project, whether this process asked Code Assist for it)."""
    refresher.ensure_fresh(cred, config, shared)      # outside the lock: a refresh takes it
    sent = cred.api_key
    try:
        return _ask(cred)
    except SetupError as exc:
        # an expired token (Gemini CLI's are refreshed only when used): one
        # refresh, or the one another worker wrote, then one more try
        if exc.status != 401 or not refresher.after_unauthorized(cred, config, sent, shared):
            raise
    return _ask(cred)


def _ask(cred):
    path = cred.account["path"]
    with refresher.file_lock(path):
        data = authfile.read(path)
        saved = authfile.gemini_projects(data)
        if saved:
            return saved[0], False
        project = code_assist_setup.project_for(cred.base_url, cred.api_key)
        authfile.write(path, dict(data, project_id=project, checked=True))
        return project, True


class Finder:
    """A pass over the current runtime's auth files: each one waiting for its
    project is looked up (run by a background greenlet, ``proxy.periodic``)."""

    def __init__(self, current_runtime, shared=lambda: None):
        self.current_runtime = current_runtime
        self.shared = shared          # -> the SharedRefreshes of this worker, or None

    def run_once(self, now=None):
        """One pass; returns the ids whose project is now in their file."""
        rt = self.current_runtime()
        return [entry.id for entry in rt.accounts
                if pending(entry) and find(entry.credential, rt.config, self.shared(), now)]
