"""Model lists in each family's own shape (OpenAI, Anthropic, Gemini).

Only names a credential lists explicitly (or by alias, or behind a prefix)
are shown: wildcard entries cannot be enumerated without asking upstream.
"""
import datetime

_EPOCH = 1735689600  # 2025-01-01: a fixed, honest-enough "created" for config models


def served_models(pool):
    """``[(client model name, credential kind)]`` in config order, unique."""
    seen = {}
    for cred in pool.credentials:
        for name in cred.models:
            if cred.upstream_model(name) is None:
                continue
            seen.setdefault(name, cred.kind)
            if cred.prefix:
                seen.setdefault(f"{cred.prefix}/{name}", cred.kind)
    return list(seen.items())


def openai_list(pool):
    return {"object": "list", "data": [
        {"id": name, "object": "model", "created": _EPOCH, "owned_by": kind}
        for name, kind in served_models(pool)]}


def anthropic_list(pool):
    created = datetime.datetime.fromtimestamp(_EPOCH, datetime.timezone.utc)
    data = [{"type": "model", "id": name, "display_name": name,
             "created_at": created.isoformat().replace("+00:00", "Z")}
            for name, _ in served_models(pool)]
    return {"data": data, "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None}


def gemini_model(name):
    return {"name": f"models/{name}", "version": "001", "displayName": name,
            "description": f"{name} served by Switchyard",
            "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
            "supportedGenerationMethods": ["generateContent", "streamGenerateContent",
                                           "countTokens"]}


def gemini_list(pool):
    return {"models": [gemini_model(name) for name, _ in served_models(pool)]}


def wants_anthropic_shape(headers):
    """Claude Code and the anthropic SDK call the same ``GET /v1/models``."""
    return "anthropic-version" in headers or "claude-cli" in headers.get("user-agent", "")


def wants_gemini_shape(headers, args):
    """The google-genai SDK calls ``GET /v1/models`` too (its v1 API); it
    always sends a Google API key header or ``?key=``."""
    return "x-goog-api-key" in headers or "x-goog-api-client" in headers or "key" in args
