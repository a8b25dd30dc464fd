"""Token usage: the Responses ``usage`` object <-> IR usage.

Responses already counts like the IR (API reference, "The response object >
usage"): ``input_tokens`` includes cached and cache-written tokens and
``output_tokens`` includes reasoning tokens, so only the names change.
"""
from translators.ir import usage


def parse_usage(obj):
    """IR usage of a response body or of a stream event (``response.completed``
    and friends carry the response under ``response``); None when absent."""
    if not isinstance(obj, dict):
        return None
    raw = obj.get("usage")
    if raw is None and isinstance(obj.get("response"), dict):
        raw = obj["response"].get("usage")
    if not isinstance(raw, dict):
        return None
    inputs = raw.get("input_tokens_details") or {}
    outputs = raw.get("output_tokens_details") or {}
    return usage(input_tokens=raw.get("input_tokens"), output_tokens=raw.get("output_tokens"),
                 cached_tokens=inputs.get("cached_tokens"),
                 cache_creation_tokens=inputs.get("cache_write_tokens"),
                 reasoning_tokens=outputs.get("reasoning_tokens"))


def render_usage(ir_usage):
    """The Responses ``usage`` object for IR usage (None stays None)."""
    if ir_usage is None:
        return None
    return {
        "input_tokens": ir_usage["input_tokens"],
        "input_tokens_details": {"cached_tokens": ir_usage["cached_tokens"],
                                 "cache_write_tokens": ir_usage["cache_creation_tokens"]},
        "output_tokens": ir_usage["output_tokens"],
        "output_tokens_details": {"reasoning_tokens": ir_usage["reasoning_tokens"]},
        "total_tokens": ir_usage["input_tokens"] + ir_usage["output_tokens"],
    }
