"""Freeform (``custom``) tools in the IR: tools that take raw text, declared
by Responses clients (Codex CLI's ``apply_patch``) and Chat Completions
clients alike (OpenAI guide "Function calling > Custom tools").

Only OpenAI runs them natively, optionally constrained by a Lark or regex
grammar.  In the IR a custom tool is a function with one string parameter
``input`` whose description carries the grammar, so any provider's model
can call it and still knows the syntax; ``"custom": {"format": ...}`` (in
the Responses spelling: ``{"type": "text"}`` or ``{"type": "grammar",
"syntax", "definition"}``) keeps it a custom tool for a dialect that has
them, and its calls' arguments are ``{"input": <the raw text>}``.
"""
import json


def tool(name, description, fmt):
    """The IR tool of a custom tool."""
    return {"name": name, "description": description,
            "parameters": {"type": "object",
                           "properties": {"input": {"type": "string",
                                                    "description": _input_hint(fmt)}},
                           "required": ["input"]},
            "custom": {"format": fmt}}


def _input_hint(fmt):
    hint = ("The tool's raw input, passed to it verbatim as one string "
            "(not JSON unless the tool expects JSON).")
    if (fmt or {}).get("type") == "grammar":
        hint += (f" It must match this {fmt.get('syntax')} grammar:\n"
                 f"{fmt.get('definition')}")
    return hint


def arguments(value):
    """IR arguments of a custom call whose raw input is ``value``."""
    return json.dumps({"input": value or ""}, ensure_ascii=False)


def raw_input(ir_arguments):
    """The raw input of a custom call from its IR arguments.  A model that
    ignored the ``input`` schema gets its arguments passed on verbatim: the
    client's tool reports what it cannot parse, and nothing is lost."""
    try:
        value = json.loads(ir_arguments or "{}")
    except ValueError:
        return ir_arguments
    if isinstance(value, dict) and isinstance(value.get("input"), str):
        return value["input"]
    return ir_arguments
