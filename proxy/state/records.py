"""The records a state store keeps for the pool: plain data, no behaviour.

Times are the pool's monotonic clock; a store that shares records with
other processes converts them to wall-clock time at its own boundary
(``proxy.state.redis_store``).
"""
from dataclasses import dataclass, field


@dataclass
class Cooldown:
    """A cooldown of a credential, whole or for one model."""
    until: float                      # monotonic time it expires
    length: float                     # seconds; the base for doubling
    kind: str
    status: int | None
    probe_until: float | None = None  # a half-open probe is in flight until then (this process)


@dataclass
class CredRecord:
    """The shared part of what the pool knows about one credential."""
    disabled: bool = False
    cooldowns: dict = field(default_factory=dict)   # None (whole) or upstream model -> Cooldown
