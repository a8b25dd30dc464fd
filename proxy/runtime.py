"""The worker's current configuration and pool, swapped whole on reload.

Module-level so every green thread of a worker shares one pool.  A request
takes ``current()`` once at its start and keeps using that snapshot, so a
reload never changes the ground under a request in flight.
"""
from dataclasses import dataclass

from proxy.access import auth
from proxy.providers import credentials
from proxy import state
from proxy.accounts import authfile
from proxy.routing.pool import CredentialPool
from proxy.slot import Slot


@dataclass(frozen=True)
class Runtime:
    config: dict
    pool: CredentialPool
    client_keys: tuple = ()       # proxy.access.auth.ClientKey, from `api-keys`
    accounts: tuple = ()          # proxy.accounts.authfile.Entry, one per auth-dir file

    @property
    def body_limit(self):
        """Largest request body in bytes (``request-body-limit-mb``)."""
        return self.config["request-body-limit-mb"] * 1024 * 1024

    @property
    def answer_limit(self):
        """Largest whole upstream answer in bytes (``response-body-limit-mb``)."""
        return self.config["response-body-limit-mb"] * 1024 * 1024

    @property
    def upstream_timeouts(self):
        """``(connect, read, first byte)`` seconds for upstream calls."""
        config = self.config
        return (config["connect-timeout-seconds"], config["read-timeout-seconds"],
                config["first-byte-timeout-seconds"])


_slot = Slot()                   # the worker's Runtime, once the server made one
current, install = _slot.current, _slot.install


def build(config, previous=None):
    """A runtime for ``config``; pool state of unchanged credentials carries
    over from ``previous`` (cooldowns survive a reload)."""
    entries = tuple(authfile.scan(config))
    creds = credentials.from_config(config) + [e.credential for e in entries
                                               if e.status == "loaded"]
    old_pool = previous.pool if previous else None
    pool = CredentialPool(creds, config, previous=old_pool, store=state.current())
    return Runtime(config=config, pool=pool,
                   client_keys=tuple(auth.load_keys(config["api-keys"])), accounts=entries)


def apply_config(config):
    """Swap in a new validated config atomically; returns the new runtime."""
    runtime = build(config, previous=current())
    install(runtime)
    return runtime
