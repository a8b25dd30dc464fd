"""Local token estimate, for upstreams with no count endpoint.

No tokenizer package works offline for every model family, so this is the
usual ~4 characters per token heuristic over everything the model reads,
plus a flat cost per image (Anthropic documents ~1.6k tokens for a
1092x1092 image; we cannot see sizes here).  The proxy marks the answer
as an estimate in a response header.
"""
import orjson

IMAGE_TOKENS = 1600
CHARS_PER_TOKEN = 4


def _part_chars(part):
    kind = part["type"]
    if kind == "text":
        return len(part["text"])
    if kind == "tool_call":
        return len(part["name"]) + len(part["arguments"])
    if kind == "tool_result":
        return sum(_part_chars(p) for p in part["content"])
    if kind == "reasoning":
        return len(part["text"])
    if kind == "document":
        return len(part.get("text") or part.get("data") or "") // 2
    return 0


def estimate_tokens(ir):
    """Estimated input tokens of an IR request."""
    chars = sum(len(p["text"]) for p in ir["system"])
    images = 0
    for message in ir["messages"]:
        for part in message["content"]:
            chars += _part_chars(part)
            images += part["type"] == "image"
    for tool in ir["tools"]:
        chars += len(tool["name"]) + len(tool.get("description") or "")
        chars += len(orjson.dumps(tool.get("parameters") or {}))
    return max(1, (chars + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN) + images * IMAGE_TOKENS
