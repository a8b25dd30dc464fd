"""How long an upstream asks us to wait, read from its response headers.

Each provider says it differently; ``reset_delay`` tries them all and returns
seconds from ``now`` (wall-clock epoch seconds), or None when no header says.
Values are returned raw: clamping to a floor and a cap is the caller's job.
"""
import email.utils
import math
import re
from datetime import datetime

# A Go ``time.Duration`` string ("1s", "6m0s", "20ms", "1h2m3.5s"), which is
# what OpenAI sends in x-ratelimit-reset-*; protobuf JSON durations ("37s",
# "0.5s") are a subset.
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3,
                 "s": 1.0, "m": 60.0, "h": 3600.0}

# Anthropic sends one reset time per limit (docs: "Rate limits", response headers).
_ANTHROPIC_LIMITS = ("requests", "tokens", "input-tokens", "output-tokens")
# OpenAI: docs "Rate limits", section "Rate limits in headers".
_OPENAI_LIMITS = ("requests", "tokens")
# Subscription (Claude Pro/Max OAuth) answers carry Anthropic's "unified"
# limits instead, absent from its API reference; the names as real answers
# send them: ``anthropic-ratelimit-unified-{status,reset,representative-claim}``
# for the plan, and ``-<window>-{utilization,reset,status}`` per window
# (``5h``, ``7d``, ``7d_oi``, ``overage``...): utilization a fraction 0..1,
# reset unix seconds, status ``allowed`` / ``allowed_warning`` / ``rejected``.
_UNIFIED = "anthropic-ratelimit-unified-"
_UNIFIED_FIELDS = ("utilization", "reset", "status")


def parse_duration(text):
    """Seconds in a Go/protobuf duration string, or None if it is not one."""
    text = str(text).strip()
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def reset_delay(headers, now):
    """Seconds until the upstream's limit resets, per whichever header it sent."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    for parse in (_retry_after_ms, _retry_after, _anthropic_reset, _openai_reset):
        delay = parse(headers, now)
        if delay is not None:
            return delay
    return None


def _retry_after_ms(headers, now):
    """Non-standard ``retry-after-ms``, which both the OpenAI and Anthropic
    SDKs read before ``retry-after`` because it is more precise."""
    number = _number(headers.get("retry-after-ms"))
    return None if number is None else number / 1000.0


def _retry_after(headers, now):
    """``Retry-After``: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3)."""
    value = headers.get("retry-after")
    if value is None:
        return None
    number = _number(value)
    if number is not None:
        return number
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - now


def _anthropic_reset(headers, now):
    """``anthropic-ratelimit-<limit>-reset``: RFC 3339 times."""
    return _latest_exhausted(
        (_rfc3339(headers.get(f"anthropic-ratelimit-{limit}-reset"), now),
         headers.get(f"anthropic-ratelimit-{limit}-remaining"))
        for limit in _ANTHROPIC_LIMITS)


def _openai_reset(headers, now):
    """``x-ratelimit-reset-<limit>``: durations until reset."""
    return _latest_exhausted(
        (_duration_or_none(headers.get(f"x-ratelimit-reset-{limit}")),
         headers.get(f"x-ratelimit-remaining-{limit}"))
        for limit in _OPENAI_LIMITS)


def _latest_exhausted(pairs):
    """The reset that matters among (delay, remaining) pairs.

    Only an exhausted limit (remaining 0) is what we are waiting for; when no
    remaining count says which, the latest reset is the safe answer.
    """
    known = [(delay, _number(remaining) == 0) for delay, remaining in pairs if delay is not None]
    exhausted = [delay for delay, empty in known if empty]
    delays = exhausted or [delay for delay, _ in known]
    return max(delays) if delays else None


def _rfc3339(value, now):
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip()).timestamp() - now
    except ValueError:
        return None


def _duration_or_none(value):
    return None if value is None else parse_duration(value)


def _number(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def windows(headers, seen_at):
    """Every rate-limit window a response reports, by limit name:
    ``{"limit", "remaining", "resets_at"}`` (numbers; ``resets_at`` unix
    seconds, from ``seen_at``, the response's wall-clock time).  Empty when
    the provider sends none (Gemini, most OpenAI-compatible servers)."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    found = {}
    for limit in _ANTHROPIC_LIMITS:
        prefix = f"anthropic-ratelimit-{limit}-"
        reset = _rfc3339(headers.get(prefix + "reset"), 0.0)
        _add_window(found, limit, headers.get(prefix + "limit"),
                    headers.get(prefix + "remaining"), reset)
    for limit in _OPENAI_LIMITS:
        delay = _duration_or_none(headers.get(f"x-ratelimit-reset-{limit}"))
        _add_window(found, limit, headers.get(f"x-ratelimit-limit-{limit}"),
                    headers.get(f"x-ratelimit-remaining-{limit}"),
                    None if delay is None else seen_at + delay)
    _add_unified(found, headers)
    _add_codex(found, headers, seen_at)
    return found


# ChatGPT's backend (Codex accounts) reports the plan's windows on every
# answer, as codex-rs reads them (``codex-api`` rate-limit parsing):
# ``x-codex-{primary,secondary}-{used-percent,window-minutes,reset-at,reset-after-seconds}``.
CODEX_WINDOWS = ("primary", "secondary")


def codex_window(headers, which, seen_at):
    """One Codex window from lower-cased ``headers``: ``{"utilization"
    (0..1), "window_minutes", "resets_at"}``, or None when not reported."""
    prefix = f"x-codex-{which}-"
    used = _number(headers.get(prefix + "used-percent"))
    if used is None:
        return None
    after = _number(headers.get(prefix + "reset-after-seconds"))
    resets_at = _number(headers.get(prefix + "reset-at"))
    if after is not None:
        resets_at = seen_at + after
    return {"utilization": used / 100.0,
            "window_minutes": _count(headers.get(prefix + "window-minutes")),
            "resets_at": resets_at}


def _add_codex(found, headers, seen_at):
    for which in CODEX_WINDOWS:
        window = codex_window(headers, which, seen_at)
        if window is not None:
            found[f"codex-{which}"] = window


def _add_unified(found, headers):
    """Anthropic's unified windows: ``unified`` (the plan as a whole, with
    its ``representative_claim``) and ``unified-<window>``."""
    fields = {}
    for name, value in headers.items():
        if not name.startswith(_UNIFIED):
            continue
        rest = name[len(_UNIFIED):]
        if rest in _UNIFIED_FIELDS or rest == "representative-claim":
            fields.setdefault("", {})[rest] = value
            continue
        window, _, field = rest.rpartition("-")
        if window and field in _UNIFIED_FIELDS:
            fields.setdefault(window, {})[field] = value
    for window, values in sorted(fields.items()):
        entry = {"utilization": _number(values.get("utilization")),
                 "status": values.get("status"), "resets_at": _number(values.get("reset"))}
        if "representative-claim" in values:
            entry["representative_claim"] = values["representative-claim"]
        found[f"unified-{window}" if window else "unified"] = entry


def _add_window(found, name, limit, remaining, resets_at):
    limit, remaining = _count(limit), _count(remaining)
    if limit is not None or remaining is not None:
        found[name] = {"limit": limit, "remaining": remaining, "resets_at": resets_at}


def _count(value):
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else number
