"""The default state store: the pool's state in this process's memory.

Nothing is shared: every gunicorn worker keeps its own cooldowns, probes and
cursors, which is why one worker is the default without a shared store.
Every method is a dict operation (no I/O), safe under the pool's lock.
"""
import os

from proxy.state.records import CredRecord

_MAX_CURSORS = 4096          # per-model cursors (client-chosen names) before starting afresh


class MemoryStore:
    """State of one process.  ``shared`` tells callers whether anything
    here reaches other processes (it does not)."""

    shared = False
    probe_recheck_seconds = 0.0   # claims never fail here

    def __init__(self):
        self._records = {}
        self._cursors = {}

    # --- credential records: the pool reads and changes them in place ---

    def record(self, cred_id):
        """The live record of ``cred_id`` (created empty on first use)."""
        record = self._records.get(cred_id)
        if record is None:
            record = self._records[cred_id] = CredRecord()
        return record

    def retain(self, cred_ids):
        """Forget the records of credentials no longer configured."""
        for cred_id in [c for c in self._records if c not in cred_ids]:
            del self._records[cred_id]

    def changed(self, cred_id, keys=(), *, disabled=False, cleared=False):
        """The pool changed a record: cooldown ``keys``, the disabled flag,
        or every cooldown (``cleared``).  Nothing to tell anyone here."""

    # --- atomic claims ---

    def claim_probe(self, cred_id, keys, lease=600.0):
        """Claim the half-open probe of ``cred_id``'s cooldowns ``keys``
        across sharers, for at most ``lease`` seconds; the pool's own lock
        already made it exclusive here."""
        return True

    def release_probe(self, cred_id, keys):
        pass

    def step(self, name):
        """The next value of the cursor ``name`` (0, 1, 2, ...)."""
        value = self._cursors.get(name, 0)
        if name not in self._cursors and len(self._cursors) >= _MAX_CURSORS:
            self._cursors.clear()
        self._cursors[name] = value + 1
        return value

    # --- caches other processes may fill (none here) ---

    def recall_binding(self, key):
        return None

    def share_binding(self, key, cred_id, ttl):
        pass

    def recall_signature(self, call_id):
        return None

    def share_signature(self, call_id, signature):
        pass

    def lockout(self, local, kind="mgmt"):
        """The wrong-key lockout to use: ``local`` (a
        ``proxy.admin.management.Lockout``) here, shared counters elsewhere;
        ``kind`` keeps separate counts apart (management, usage)."""
        return local

    def account_refreshes(self):
        """Coordination of account token refreshes beyond this machine:
        none here (the refresher's file lock covers one machine's
        workers); ``proxy.state.refreshes.SharedRefreshes`` with Redis."""
        return None

    # --- lifecycle ---

    def describe(self):
        """What ``/v0/management/pool`` says about the store of the
        answering worker."""
        return {"backend": "memory", "worker": os.getpid()}

    def announce_reload(self):
        """Tell the other sharers to re-read their config (none here)."""

    def start(self):
        return self

    def close(self):
        pass
