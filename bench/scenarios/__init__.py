"""The scenarios, each a module with ``run(ctx) -> dict`` (JSON-able).

``Context`` is what they share: the scale, the running servers, the mock's
controls and the load generator.  A scenario sets the mock up itself
(``ctx.set_mock``), so scenarios run in any order.
"""
import contextlib
import importlib
from dataclasses import dataclass
from typing import Callable

from bench import agent_session, placement, targets
from bench.procs import Server, run_loadgen
from bench.scale import Scale
from bench.servers import REPO_DIR, configure_mock

ORDER = ("sequential", "throughput", "streaming", "capacity", "soak", "agent", "fast_streams")


@dataclass
class Context:
    scale: Scale
    mock: Server
    proxies: dict                 # "switchyard" / "litellm" / "portkey" -> running Server
    restart: Callable             # restart(name) -> a fresh Server of that proxy
    tokens: int = 16              # what the mock currently answers
    client_cpus: set = None       # the load generator's CPUs while pinned

    @property
    def targets(self):
        """The targets of this run, ``direct`` first."""
        return [t for t in targets.TARGETS if t == "direct" or t in self.proxies]

    def targets_for(self, client, upstream=None):
        """The targets of this run that serve ``client`` -> ``upstream``."""
        return [t for t in self.targets if targets.serves(t, client, upstream or client)]

    @property
    def server_pids(self):
        """Every server's pid: what must be quiet before a target is
        measured (``bench.quiet``)."""
        return [self.mock.pid] + [proxy.pid for proxy in self.proxies.values()]

    def server(self, target):
        return self.mock if target == "direct" else self.proxies[target]

    def spec(self, target, client, upstream=None, stream=False, size=None):
        """A request of ``client`` dialect for an ``upstream``-dialect model;
        with ``size``, the ``bodies`` of a growing agent session ending at
        ``size`` bytes (``agent_session.window``: a coding agent never sends
        the same body twice).  Direct calls can only speak the upstream's
        own dialect (its own session)."""
        upstream = upstream or client
        if target == "direct":
            client = upstream
        request = targets.spec(self.server(target).port, client, upstream, stream,
                               self.tokens, size,
                               window=agent_session.SESSION_WINDOW if size else None)
        if target == "portkey":
            request = targets.via_portkey(request, client, upstream, self.mock.port)
        return request

    def set_mock(self, **settings):
        """Reset the mock to instant whole answers, then apply ``settings``."""
        settings = {"latency_ms": 0, "chunk_delay_ms": 0, "hold": False,
                    "tokens": self.scale.tokens, **settings}
        configure_mock(self.mock, **settings)
        self.tokens = settings["tokens"]

    def loadgen(self, job, timeout, on_event=None):
        return run_loadgen(job, timeout, on_event, cwd=REPO_DIR, cpus=self.client_cpus)

    @contextlib.contextmanager
    def pinned(self):
        """Inside: the load generator on one core, every server on another
        (``bench.placement``).  Yields whether it could (False on one core)."""
        cpus = placement.split()
        if cpus is None:
            yield False
            return
        with placement.pinned(self.server_pids, cpus[1]):
            self.client_cpus = cpus[0]
            try:
                yield True
            finally:
                self.client_cpus = None


def load(name):
    """The module of scenario ``name``."""
    return importlib.import_module(f"bench.scenarios.{name}")
