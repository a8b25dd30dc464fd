"""Where the credential pool's state lives: this process, or Redis.

The pool (``proxy.routing.pool``) decides; a state store remembers -- disabled
flags, cooldowns with their kind and level, half-open probe claims,
round-robin cursors, session bindings, Gemini thought signatures.  Two
backends with one interface:

- ``memory`` (``proxy.state.memory``): the default, no dependency, one
  process; each gunicorn worker would keep its own state, so one worker is
  the default then;
- ``redis`` (``proxy.state.redis_store``), chosen by ``state.redis-url``:
  every worker of every instance sharing that Redis (and ``state.key-prefix``)
  acts as one pool.

One store per worker process, made after the fork (``setup``); it outlives
config reloads (changing ``state.*`` needs a restart).
"""
from proxy.state.memory import MemoryStore

_current = None
_settings = None                 # the ``state`` section _current was made from


def setup(config):
    """Install the store ``state.*`` asks for (kept if already installed)."""
    global _current, _settings
    if _current is None or _settings != config["state"]:
        if _current is not None:
            _current.close()
        _current, _settings = from_config(config), dict(config["state"])
    return _current


def from_config(config):
    """The store ``state.*`` asks for (not started)."""
    settings = config["state"]
    if not settings["redis-url"]:
        return MemoryStore()
    from proxy.state.redis_store import RedisStore    # redis-py only when asked for
    return RedisStore(settings["redis-url"], prefix=settings["key-prefix"],
                      refresh=settings["refresh-seconds"],
                      claim_ttl=settings["claim-ttl-seconds"])


def install(store):
    global _current, _settings
    _current, _settings = store, None


def current():
    """The worker's store; a private memory store until one is installed."""
    global _current
    if _current is None:
        _current = MemoryStore()
    return _current


def shutdown():
    if _current is not None:
        _current.close()
