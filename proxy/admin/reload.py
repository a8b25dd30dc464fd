"""Making a config go live, and hot reload when the file changes.

``apply(config)`` is the one way a validated config goes live in a worker:
it replaces the management secret by its scrypt hash (so the plain secret
does not stay in memory) and swaps the runtime atomically; requests in
flight keep the snapshot they started with.

``Watcher`` polls the file's stat signature (cheap), waits until it has
been stable for one more poll (an editor or ``config_writer`` may still be
writing), and then compares a content hash before parsing: touching the
file or rewriting identical bytes does nothing.  An invalid file is logged
on ``switchyard.config`` and the old config stays.
"""
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass, field

import gevent

from proxy import config as config_mod
from proxy.providers import credentials
from proxy import runtime, state
from proxy.errors import ConfigError
from proxy.periodic import Periodic
from proxy.slot import Slot

log = logging.getLogger("switchyard.config")

# scrypt cost: ~50 ms and 16 MiB per check (RFC 7914 section 2 recommends
# N=2**14, r=8 for interactive logins); run off the event loop.
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


def _scrypt(secret, salt):
    return gevent.get_hub().threadpool.apply(
        hashlib.scrypt, (secret.encode(),), dict(salt=salt, **SCRYPT))


@dataclass(frozen=True)
class SecretHash:
    """The management secret as an scrypt hash; ``verify`` runs in constant time.

    ``session_key`` signs dashboard login cookies: derived from the secret
    alone, so every worker derives the same one and changing the secret
    ends every session.
    """
    salt: bytes = field(repr=False)
    digest: bytes = field(repr=False)
    session_key: bytes = field(repr=False, default=b"")

    @classmethod
    def of(cls, secret):
        salt = secrets.token_bytes(16)
        session_key = hmac.new(secret.encode(), b"switchyard dashboard session",
                               hashlib.sha256).digest()
        return cls(salt, _scrypt(secret, salt), session_key)

    def verify(self, given):
        return hmac.compare_digest(_scrypt(given, self.salt), self.digest)


def seal(config):
    """Replace ``remote-management.secret-key`` by its SecretHash, in place."""
    section = config["remote-management"]
    if isinstance(section["secret-key"], str) and section["secret-key"]:
        section["secret-key"] = SecretHash.of(section["secret-key"])
    return config


def apply(config):
    """Make a validated ``config`` live in this worker; returns the Runtime."""
    return runtime.apply_config(seal(config))


def parse(data, path, *, warn=False):
    """Validated config from the file's bytes; raises ConfigError.
    ``warn``: log the audit's warnings (unknown keys, placeholders)."""
    config, findings = config_mod.parse(data, path)
    if warn:
        config_mod.report(findings, path)
    try:
        # build() checks settings, not entry fields a credential converts
        # (e.g. a non-numeric priority); catch those here, not mid-apply.
        credentials.from_config(config)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{path}: invalid upstream entry: {exc}") from None
    return config


def _signature(path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class Watcher:
    """Reloads ``path`` into the runtime when its content changes."""

    def __init__(self, path, *, interval=1.0):
        self.path = path
        self._seen = _signature(path)      # last stat signature observed
        self._settled = self._seen         # last signature acted upon
        self._digest = self._hash()        # content hash of the live config
        self._poller = Periodic(self.check_once, interval, what=f"config watcher for {path}",
                                log=log)

    def _hash(self):
        try:
            with open(self.path, "rb") as f:
                return hashlib.sha256(f.read()).hexdigest()
        except FileNotFoundError:
            return None

    def check_once(self):
        """One poll.  Returns ``unchanged``, ``pending`` (changed, waiting
        for it to settle), ``missing``, ``applied`` or ``rejected``."""
        sig = _signature(self.path)
        if sig != self._seen:
            self._seen = sig
            return "pending"
        if sig == self._settled:
            return "unchanged"
        self._settled = sig
        if sig is None:
            log.warning("config %s disappeared; keeping the current config", self.path)
            return "missing"
        try:
            return self.reload()
        except ConfigError:
            return "rejected"

    def reload(self, *, force=False):
        """Read the file now and apply it if its content changed (or ``force``).

        Returns ``applied`` or ``unchanged``; an unreadable or invalid file
        raises ConfigError and the current config stays.
        """
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError as exc:
            log.error("config %s unreadable, keeping the current config: %s", self.path, exc)
            raise ConfigError(f"{self.path}: {exc.strerror}") from None
        digest = hashlib.sha256(data).hexdigest()
        if digest == self._digest and not force:
            return "unchanged"
        self._digest = digest          # judge each content once, not on every poll
        try:
            config = parse(data, self.path, warn=True)
        except ConfigError as exc:
            log.error("config %s rejected, keeping the current config: %s", self.path, exc)
            raise
        apply(config)
        log.info("config %s reloaded", self.path)
        return "applied"

    def start(self):
        self._poller.start()
        return self

    def stop(self):
        self._poller.stop()


_running = Slot()                # this worker's polling Watcher, if any


def start_watcher(path=None, interval=1.0):
    """Watch ``path`` (default: ``proxy.config.config_path()``) in this worker."""
    stop_watcher()
    _running.install(Watcher(path or config_mod.config_path(), interval=interval).start())
    return _running.current()


def stop_watcher():
    watcher = _running.current()
    if watcher is not None:
        watcher.stop()
        _running.install(None)


def _watcher_of(path):
    """The running watcher when it watches ``path`` (so it learns the hash
    applied), else a one-off one."""
    watcher = _running.current()
    return watcher if watcher is not None and watcher.path == path else Watcher(path)


def reload_now(path=None):
    """Re-read the config file and apply it whatever its content (raises
    ConfigError); a running watcher learns the new content hash so it does
    not apply the same bytes again."""
    status = _watcher_of(path or config_mod.config_path()).reload(force=True)
    state.current().announce_reload()      # every worker and instance sharing the state
    return status


def reload_for_peer():
    """Another process sharing the state store reloaded (a management
    change): re-read this process's config file too."""
    try:
        _watcher_of(config_mod.config_path()).reload(force=True)
    except ConfigError:
        pass                               # logged by reload(); the current config stays
