"""A subscription account's quota covers every model it serves: a rate
limit cools the whole account, until the provider's own reset when it says
one.  Reset signals: Codex's 429 ``usage_limit_reached`` body
(``resets_in_seconds`` / ``resets_at``), Anthropic's
``anthropic-ratelimit-unified-reset`` header (epoch seconds); Google's
RetryInfo is already read by ``proxy.routing.cooldown``.
"""
import dataclasses
import time

import orjson


def account_decision(decision, exc, now=None):
    """``decision`` widened to the whole account for a rate limit."""
    if decision.kind != "rate_limit":
        return decision
    reset = reset_in(exc.headers, exc.body, time.time() if now is None else now)
    if reset is None:
        return dataclasses.replace(decision, scope="credential")
    return dataclasses.replace(decision, scope="credential", cooldown=reset, exact=True)


def reset_in(headers, body, now):
    """Seconds until the account's quota resets, or None when not said."""
    try:
        error = orjson.loads(body).get("error") if body else None
    except (orjson.JSONDecodeError, AttributeError, TypeError):
        error = None
    if isinstance(error, dict):
        if isinstance(error.get("resets_in_seconds"), (int, float)):
            return max(float(error["resets_in_seconds"]), 0.0)
        if isinstance(error.get("resets_at"), (int, float)):
            return max(float(error["resets_at"]) - now, 0.0)
    unified = (headers or {}).get("anthropic-ratelimit-unified-reset")
    if unified and str(unified).strip().isdigit():
        return max(float(unified) - now, 0.0)
    return None
