"""Anthropic usage <-> IR usage.

Anthropic's ``input_tokens`` excludes cache reads and cache writes ("Total
input tokens in a request is the summation of input_tokens,
cache_creation_input_tokens, and cache_read_input_tokens", Messages API
reference); the IR counts them all.  ``output_tokens`` already includes
thinking, whose share is ``output_tokens_details.thinking_tokens`` when
the API reports it.
"""
from translators import ir


def usage_to_ir(usage):
    """An Anthropic usage object in the IR meaning."""
    cached = usage.get("cache_read_input_tokens") or 0
    created = usage.get("cache_creation_input_tokens") or 0
    details = usage.get("output_tokens_details") or {}
    return ir.usage(input_tokens=(usage.get("input_tokens") or 0) + cached + created,
                    output_tokens=usage.get("output_tokens"),
                    cached_tokens=cached, cache_creation_tokens=created,
                    reasoning_tokens=details.get("thinking_tokens"))


def usage_from_ir(usage):
    """An IR usage (or None: nothing known yet) as an Anthropic usage object."""
    usage = usage or ir.usage()
    cached, created = usage["cached_tokens"], usage["cache_creation_tokens"]
    rendered = {"input_tokens": max(usage["input_tokens"] - cached - created, 0),
                "output_tokens": usage["output_tokens"],
                "cache_creation_input_tokens": created,
                "cache_read_input_tokens": cached}
    if usage["reasoning_tokens"]:
        rendered["output_tokens_details"] = {"thinking_tokens": usage["reasoning_tokens"]}
    return rendered


def parse_usage(obj):
    """IR usage from a Messages response body or one stream event.

    A ``message_delta`` event's counts are cumulative but may leave out the
    input counts already given by ``message_start``; those read as 0 here,
    so a caller watching a stream keeps the start's values for absent
    fields (as ``StreamDecoder`` does).
    """
    if not isinstance(obj, dict):
        return None
    if obj.get("type") == "message_start":
        obj = obj.get("message") or {}
    usage = obj.get("usage")
    return usage_to_ir(usage) if isinstance(usage, dict) else None
