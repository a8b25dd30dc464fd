"""Token usage: OpenAI ``usage`` objects <-> IR usage.

OpenAI's meaning already is the IR's (API reference, "The chat completion
object > usage"): ``prompt_tokens`` includes cached tokens and
``completion_tokens`` includes reasoning tokens, so only the names change.
"""
from translators.ir import usage


def parse_usage(obj):
    """IR usage of a response body or a stream chunk; None when it has none
    (chunks carry ``usage: null`` until the last one)."""
    raw = obj.get("usage") if isinstance(obj, dict) else None
    if not isinstance(raw, dict):
        return None
    prompt = raw.get("prompt_tokens_details") or {}
    completion = raw.get("completion_tokens_details") or {}
    return usage(
        input_tokens=raw.get("prompt_tokens"),
        output_tokens=raw.get("completion_tokens"),
        # DeepSeek reports cache hits beside the details ("prompt_cache_hit_tokens").
        cached_tokens=prompt.get("cached_tokens") or raw.get("prompt_cache_hit_tokens"),
        cache_creation_tokens=prompt.get("cache_write_tokens"),
        reasoning_tokens=completion.get("reasoning_tokens"))


def render_usage(ir_usage):
    """An OpenAI ``usage`` object; cache writes stay inside ``prompt_tokens``
    and are also named in ``cache_write_tokens`` (a newer, optional field)."""
    prompt_details = {"cached_tokens": ir_usage["cached_tokens"]}
    if ir_usage["cache_creation_tokens"]:
        prompt_details["cache_write_tokens"] = ir_usage["cache_creation_tokens"]
    return {
        "prompt_tokens": ir_usage["input_tokens"],
        "completion_tokens": ir_usage["output_tokens"],
        "total_tokens": ir_usage["input_tokens"] + ir_usage["output_tokens"],
        "prompt_tokens_details": prompt_details,
        "completion_tokens_details": {"reasoning_tokens": ir_usage["reasoning_tokens"]},
    }
