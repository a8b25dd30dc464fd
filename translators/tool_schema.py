"""Tool parameter schemas made acceptable to strict targets.

OpenAI (Chat Completions and Responses) and Anthropic reject an object
schema without ``properties`` in some places (OpenAI: "object schema missing
properties" for strict functions and several compatible servers for any;
Anthropic's ``input_schema`` validator likewise for nested objects), while
MCP servers and zod/pydantic generators emit bare ``{"type": "object"}`` for
tools without arguments or for free-form maps.  ``properties: {}`` means the
same thing (no named properties), so it is spelled out everywhere an object
schema can sit: the top level, nested properties, array ``items`` and the
combinators.  Gemini has its own schema cleaner (``gemini/schema.py``).
"""
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "if", "then", "else", "contains")


def with_properties(schema):
    """A copy of ``schema`` where every object schema has ``properties``."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    kind = out.get("type")
    if (kind == "object" or isinstance(kind, list) and "object" in kind) \
            and not isinstance(out.get("properties"), dict):
        out["properties"] = {}
    for key in _SCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: with_properties(sub) for name, sub in out[key].items()}
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [with_properties(sub) for sub in out[key]]
    for key in _SCHEMA_VALUES:
        if isinstance(out.get(key), dict):
            out[key] = with_properties(out[key])
    return out
