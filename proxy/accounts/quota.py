"""A subscription account's quota covers every model it serves: a rate
limit cools the whole account, until the provider's own reset when it says
one.  Reset signals: Codex's 429 ``usage_limit_reached`` body
(``resets_in_seconds`` / ``resets_at``), Anthropic's
``anthropic-ratelimit-unified-reset`` header (epoch seconds); Google's
RetryInfo (or Code Assist's ErrorInfo ``quotaResetDelay``) is already read
by ``proxy.routing.cooldown``.  A Codex 429 ``usage_not_included`` (the plan
has no Codex) rests the account ``PLAN_EXCLUDED_SECONDS``.
"""
import dataclasses
import time

import orjson


# Codex (codex-rs, the 429 of ``usage_not_included``): the account's plan
# does not include Codex at all; no reset will come, so the account rests
# long (another account of the pool may have a plan that does).
PLAN_EXCLUDED_SECONDS = 3600.0


# Anthropic's 400 to a subscription token used for a request that is not
# Claude Code's (invalid_request_error).  Not the request's fault: another
# credential of the pool (an API key) may serve it; and not the account's:
# its Claude Code requests still go through, so nothing cools.
CLAUDE_CODE_ONLY = "only authorized for use with Claude Code"


def account_decision(decision, exc, now=None):
    """``decision`` widened to the whole account for a rate limit; a Claude
    subscription's "Claude Code only" refusal passed on to the next
    credential without cooling this one."""
    if decision.kind == "request_fault" and getattr(exc, "status", None) == 400 and \
            CLAUDE_CODE_ONLY in _message(exc.body):
        return dataclasses.replace(decision, retry=True, kind="auth", scope="credential",
                                   cooldown=None, exact=False)
    if decision.kind != "rate_limit":
        return decision
    error = _error(exc.body)
    if "usage_not_included" in (error.get("type"), error.get("code")):
        return dataclasses.replace(decision, scope="credential",
                                   cooldown=PLAN_EXCLUDED_SECONDS, exact=True)
    reset = reset_in(exc.headers, exc.body, time.time() if now is None else now)
    if reset is None:
        return dataclasses.replace(decision, scope="credential")
    return dataclasses.replace(decision, scope="credential", cooldown=reset, exact=True)


def reset_in(headers, body, now):
    """Seconds until the account's quota resets, or None when not said."""
    error = _error(body)
    if error:
        if isinstance(error.get("resets_in_seconds"), (int, float)):
            return max(float(error["resets_in_seconds"]), 0.0)
        if isinstance(error.get("resets_at"), (int, float)):
            return max(float(error["resets_at"]) - now, 0.0)
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    unified = headers.get("anthropic-ratelimit-unified-reset")
    if unified and str(unified).strip().isdigit():
        return max(float(unified) - now, 0.0)
    return _codex_exhausted_reset(headers, now)


def _codex_exhausted_reset(headers, now):
    """The latest reset among the Codex windows used up (100 %), from the
    ``x-codex-{primary,secondary}-*`` headers; None when none is."""
    resets = []
    for which in ("primary", "secondary"):
        prefix = f"x-codex-{which}-"
        used = _float(headers.get(prefix + "used-percent"))
        if used is None or used < 100.0:
            continue
        after = _float(headers.get(prefix + "reset-after-seconds"))
        at = _float(headers.get(prefix + "reset-at"))
        if after is not None:
            resets.append(max(after, 0.0))
        elif at is not None:
            resets.append(max(at - now, 0.0))
    return max(resets) if resets else None


def _float(value):
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _error(body):
    """The ``error`` object of an error body, or {}."""
    try:
        error = orjson.loads(body).get("error") if body else None
    except (orjson.JSONDecodeError, AttributeError, TypeError):
        error = None
    return error if isinstance(error, dict) else {}


def _message(body):
    message = _error(body).get("message")
    return message if isinstance(message, str) else ""
