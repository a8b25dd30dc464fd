"""The auth directory followed like the config file (``proxy.admin.reload``'s
approach): poll a cheap stat signature of the ``*.json`` files, act once it
has been stable for one more poll (a writer may still be writing), then
rebuild the runtime from the current config.  Requests in flight keep the
pool they started with; the new pool keeps each unchanged credential's
state (same id), so nothing is lost.  Also rebuilds when an account left
rotation (a refused refresh) in this process.
"""
import logging
import os

from proxy import runtime, state
from proxy.accounts import authfile, health
from proxy.accounts.gemini_project import Finder
from proxy.accounts.refresher import Scheduler
from proxy.periodic import Periodic

log = logging.getLogger("switchyard.accounts")
REFRESH_PASS_SECONDS = 5.0       # how often due refreshes are looked for


def signature(auth_dir):
    sig = []
    for path in authfile.list_files(auth_dir):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        sig.append((path, st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(sig)


class Watcher:
    def __init__(self):
        # nothing settled yet: the first poll rebuilds once, so a file that
        # changed between this worker's first build and now is not missed
        self._seen, self._settled = self._current(), None
        self._generation = health.generation[0]

    @staticmethod
    def _current():
        return signature(authfile.resolve_dir(runtime.current().config))

    def check_once(self):
        """One poll: ``unchanged``, ``pending`` or ``applied``."""
        sig = self._current()
        if sig != self._seen:
            self._seen = sig
            return "pending"
        if sig == self._settled and self._generation == health.generation[0]:
            return "unchanged"
        self._settled, self._generation = sig, health.generation[0]
        rt = runtime.apply_config(runtime.current().config)
        log.info("auth directory changed (pid %d): %d accounts in rotation", os.getpid(),
                 sum(1 for e in rt.accounts if e.status == "loaded"))
        return "applied"

_running = []


def start(config):
    """Watch the auth directory, refresh its accounts and find the Code
    Assist projects of Gemini files without one, in this worker."""
    stop()
    shared = lambda: state.current().account_refreshes()     # noqa: E731
    _running.extend([
        Periodic(Watcher().check_once, config["auth-dir-poll-seconds"],
                 what="auth directory watcher", log=log).start(),
        Periodic(Scheduler(runtime.current, shared).run_once, REFRESH_PASS_SECONDS,
                 what="account refresh", log=log, first_wait=False).start(),
        Periodic(Finder(runtime.current, shared).run_once, config["auth-dir-poll-seconds"],
                 what="Code Assist project lookup", log=log, first_wait=False).start()])


def stop():
    while _running:
        _running.pop().stop()
