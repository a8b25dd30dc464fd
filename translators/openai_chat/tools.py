"""Tool definitions and ``tool_choice``: OpenAI <-> IR.

OpenAI wraps each function as ``{"type": "function", "function": {...}}``
(API reference, "Chat Completions > tools").  ``custom`` (freeform) tools
are parsed in ``custom.py``; every IR tool is rendered as a function, the
one form every OpenAI-compatible server takes (a custom tool's calls then
come back as ``{"input": ...}`` arguments and reach a client that declared
it as custom calls again).
"""
from translators.dropped import dropped
from translators.ir import TranslationError
from translators.tool_schema import with_properties

from . import custom

# OpenAI: omitting ``parameters`` defines a function with an empty parameter
# list; other dialects want a schema, so it is spelled out.
_EMPTY_SCHEMA = {"type": "object", "properties": {}}


def parse_tools(tools):
    parsed = (_parse_tool(tool) for tool in tools or [])
    return [tool for tool in parsed if tool is not None]


def _parse_tool(tool):
    if not isinstance(tool, dict):
        raise TranslationError("every tool must be an object")
    kind = tool.get("type")
    if kind == custom.CUSTOM:
        return custom.parse_tool(tool)
    if kind != "function":
        dropped("openai", f"tool of type {kind!r}")
        return None
    function = tool.get("function") or {}
    # ``strict`` is dropped: the IR Tool has no such field (the schema survives).
    return {"name": function.get("name"), "description": function.get("description"),
            "parameters": function.get("parameters") or dict(_EMPTY_SCHEMA)}


def parse_tool_choice(choice, tools):
    """``(ir_choice, tools)``: ``allowed_tools`` narrows the tool list itself."""
    if choice is None:
        return None, tools
    if isinstance(choice, str):
        if choice not in ("auto", "none", "required"):
            raise TranslationError(f"unknown tool_choice {choice!r}")
        return {"type": choice}, tools
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind in ("function", custom.CUSTOM):
        return {"type": "tool", "name": (choice.get(kind) or {}).get("name")}, tools
    if kind == "allowed_tools":
        return _parse_allowed(choice.get("allowed_tools") or {}, tools)
    raise TranslationError(f"tool_choice type {kind!r} cannot be translated")


def _parse_allowed(allowed, tools):
    # The IR cannot restrict a declared tool list, so the tools outside it
    # are left out of the request instead (the same effect for the model).
    names = {(t.get("function") or t.get(custom.CUSTOM) or {}).get("name")
             for t in allowed.get("tools") or []}
    mode = allowed.get("mode") or "auto"
    return {"type": mode}, [tool for tool in tools if tool["name"] in names]


def render_tools(tools):
    return [{"type": "function", "function": _render_function(tool)} for tool in tools]


def _render_function(tool):
    function = {"name": tool["name"]}
    if tool.get("description"):
        function["description"] = tool["description"]
    function["parameters"] = with_properties(tool.get("parameters") or _EMPTY_SCHEMA)
    return function


def render_tool_choice(choice):
    if choice is None:
        return None
    if choice["type"] == "tool":
        return {"type": "function", "function": {"name": choice["name"]}}
    return choice["type"]
