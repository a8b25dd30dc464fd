"""Where the credential pool's state lives: this process, or Redis.

The pool (``proxy.routing.pool``) decides; a state store remembers -- disabled
flags, cooldowns with their kind and level, half-open probe claims,
round-robin cursors, session bindings, Gemini thought signatures -- and,
beyond one machine, who refreshes an account's token (``refreshes``: a
lease per refresh token and the new tokens handed over).  Two backends with
one interface:

- ``memory`` (``proxy.state.memory``): the default, no dependency, one
  process; each gunicorn worker would keep its own state, so one worker is
  the default then;
- ``redis`` (``proxy.state.redis_store``), chosen by ``state.redis-url``:
  every worker of every instance sharing that Redis (and ``state.key-prefix``)
  acts as one pool.

One store per worker process, made after the fork (``setup``); it outlives
config reloads (changing ``state.*`` needs a restart).
"""
from proxy.slot import Slot
from proxy.state.memory import MemoryStore

# The worker's store; a private memory store until one is installed.
_slot = Slot(make=MemoryStore)
current = _slot.current
_made_from = None                # the ``state`` section the installed store was made from


def setup(config):
    """Install the store ``state.*`` asks for (kept if already installed)."""
    global _made_from
    if _slot.value is None or _made_from != config["state"]:
        shutdown()
        _slot.install(from_config(config))
        _made_from = dict(config["state"])
    return _slot.value


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
    global _made_from
    _slot.install(store)
    _made_from = None


def shutdown():
    if _slot.value is not None:
        _slot.value.close()
