"""Per-request observation hooks: usage records, metrics, access log.

SKELETON: no-ops; issue 5 fills them in (SQLite usage store, Prometheus
metrics, structured access log).  The relay calls exactly these hooks, and
they must never block or fail a request.
"""


class RequestObserver:
    """Follows one client request through its upstream attempts.

    ``front`` is the ``proxy.front.FrontRequest`` being served.
    """

    def __init__(self, front):
        self.front = front

    def attempt(self, credential, upstream_model, *, status, outcome, latency, error=None):
        """One upstream call finished (or failed before answering).

        ``outcome``: ``success`` or a ``proxy.cooldown.Decision.kind``.
        """

    def first_byte(self):
        """The first byte of the answer went to the client (TTFT)."""

    def usage(self, ir_usage):
        """Upstream-reported usage (IR shape); the latest call wins."""

    def tool_call(self, name, call_id):
        """A tool call was seen in the answer."""

    def finish(self, status, *, error_class=None, credential=None, upstream_model=None):
        """The client request ended (stream closed, or whole response sent)."""


def start(front):
    return RequestObserver(front)
