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

An agent sends the same tool schemas with every request of a session, so
each result is remembered by the schema's JSON bytes (equal bytes are the
same JSON: key order and ``1`` vs ``1.0`` included, so the same result);
the memo is bounded by the bytes it holds and dropped whole when full.
"""
import orjson

MEMO_LIMIT = 1024 * 1024         # bytes of remembered schemas (their objects: several times that)

_memo = {}                       # schema JSON bytes -> its result
_held = 0

_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "if", "then", "else", "contains")


def with_properties(schema):
    """``schema`` where every object schema has ``properties``.

    Copy on write: the parts that need nothing (all of an agent's usual
    tool schemas) are the caller's own objects, not copies; a schema seen
    before is looked up by its bytes instead of walked.  The result may be
    shared with the caller's schema and with earlier requests': translators
    only read rendered schemas, and nobody may change one in place.
    """
    if not isinstance(schema, dict):
        return schema
    try:
        key = orjson.dumps(schema)
    except TypeError:           # not JSON orjson writes: walked, not remembered
        return _walk(schema)
    out = _memo.get(key)
    if out is None:
        out = _walk(schema)
        _remember(key, out)
    return out


def _remember(key, result):
    global _memo, _held
    if len(key) > MEMO_LIMIT:
        return
    if _held + len(key) > MEMO_LIMIT:
        _memo, _held = {}, 0
    _memo[key] = result
    _held += len(key)


def forget():
    """Empty the memo (tests)."""
    global _memo, _held
    _memo, _held = {}, 0


def _walk(schema):
    if not isinstance(schema, dict):
        return schema
    out = schema
    kind = schema.get("type")
    if (kind == "object" or isinstance(kind, list) and "object" in kind) \
            and not isinstance(schema.get("properties"), dict):
        out = dict(schema)
        out["properties"] = {}
    for key, value in schema.items():
        walk = _WALKS.get(key)
        if walk is None:
            continue
        new = walk(value)
        if new is not value:
            if out is schema:
                out = dict(schema)
            out[key] = new
    return out


def _in_map(value):
    """A name -> schema map (``properties``, ``$defs``...) with each schema done."""
    if not isinstance(value, dict):
        return value
    out = value
    for name, sub in value.items():
        new = _walk(sub)
        if new is not sub:
            if out is value:
                out = dict(value)
            out[name] = new
    return out


def _in_list(value):
    """A schema list (``anyOf``...) with each schema done."""
    if not isinstance(value, list):
        return value
    new = [_walk(sub) for sub in value]
    return value if all(a is b for a, b in zip(new, value)) else new


def _in_value(value):
    return _walk(value) if isinstance(value, dict) else value


_WALKS = {**dict.fromkeys(_SCHEMA_MAPS, _in_map), **dict.fromkeys(_SCHEMA_LISTS, _in_list),
          **dict.fromkeys(_SCHEMA_VALUES, _in_value)}
