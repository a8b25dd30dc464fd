"""Outcome classification: what one upstream attempt's result means.

SKELETON: coarse status classes only; issue 3 completes it (Retry-After and
provider reset headers, Gemini RetryInfo, backoff, body error codes).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """What to do after a failed attempt.

    ``retry``: try another credential (False: return the error to the client).
    ``scope``: ``"credential"`` or ``"model"`` -- what the cooldown covers.
    ``cooldown``: seconds, or None for no cooldown.
    ``next_round``: the failure allows further rounds over the same credentials.
    ``kind``: short label for logs and metrics (auth, not_found, rate_limit,
    transient, request_fault).
    """
    retry: bool
    kind: str
    scope: str = "credential"
    cooldown: float | None = None
    next_round: bool = False


def classify_status(status, headers, body, config):
    """Decision for an upstream non-2xx answer."""
    if status in (401, 402, 403):
        return Decision(True, "auth", "credential", config["auth-error-cooldown-seconds"],
                        next_round=status == 403)
    if status == 404:
        return Decision(True, "not_found", "model", config["model-not-found-cooldown-seconds"])
    if status == 429:
        return Decision(True, "rate_limit", "model", 1.0, next_round=True)
    if status == 408 or status >= 500:
        return _transient(config)
    return Decision(False, "request_fault")


def classify_exception(exc, config):
    """Decision for a connection error or timeout (``proxy.errors.UpstreamError``)."""
    return _transient(config)


def _transient(config):
    seconds = config["transient-error-cooldown-seconds"]
    return Decision(True, "transient", "credential", seconds if seconds >= 0 else None,
                    next_round=True)
