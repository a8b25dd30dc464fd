"""What to tell a client when no credential of its model can be tried.

429 is for rate limiting only: SDKs read it as "slow down" and retry after
``Retry-After``.  Credentials that are cooling because their upstream
refused connections, timed out or failed, or rejected the key, or that an
operator disabled, are a gateway-side outage: 503 (502 when no wait will
help), the message naming each upstream and what it did last, and a
``Retry-After`` only when waiting helps -- the honest time until the
soonest credential is tried again.  Otherwise ``x-should-retry: false``
(read by the OpenAI and Anthropic SDKs) tells clients not to loop.
"""
from proxy.routing.cooldown import AUTH, RATE_LIMIT, TRANSIENT
from proxy.errors import ModelCooldown, UpstreamUnavailable

_SHOWN = 3          # upstreams named in one message, at most


def error(pool, model):
    """The ``ClientError`` to raise for ``model`` (``pool``: its pool)."""
    blocked = pool.blocked(model)
    limited = [left for _, kind, left, _ in blocked if kind == RATE_LIMIT]
    if limited or not blocked:
        # rate limited (or only a half-open probe in flight): come back soon
        wait = min(limited) if limited else (pool.next_ready_in(model) or 1.0)
        return ModelCooldown(f"All credentials for model '{model}' are rate limited; "
                             f"retry after {int(wait + 0.999)}s.", retry_after=wait)
    if all(kind == "disabled" for _, kind, _, _ in blocked):
        return UpstreamUnavailable(f"Every credential for model '{model}' is disabled "
                                   "(see /v0/pool).", cause="disabled")
    causes = "; ".join(_describe(cred, kind, left, last)
                       for cred, kind, left, last in blocked[:_SHOWN])
    waits = [left for _, kind, left, _ in blocked if kind == TRANSIENT]
    last_cause = next((last.get("cause") for _, _, _, last in blocked
                       if last and last.get("cause")), None)
    if waits:
        return UpstreamUnavailable(f"No credential for model '{model}' is usable now: {causes}.",
                                   status=503, retry_after=min(waits),
                                   cause=last_cause or TRANSIENT)
    return UpstreamUnavailable(f"No credential for model '{model}' is usable: {causes}.",
                               status=502, cause=last_cause or AUTH)


def _describe(cred, kind, left, last):
    if kind == "disabled":
        return f"upstream {cred.display_name} is disabled"
    what = (last or {}).get("message") or f"upstream {cred.display_name} failed ({kind})"
    return f"{what} (tried again in {int(left + 0.999)} s)"
