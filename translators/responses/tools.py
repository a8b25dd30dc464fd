"""Tool definitions and ``tool_choice``: Responses <-> IR.

Besides functions, a Responses request may declare tools no other provider
has.  Codex CLI sends several on every request (a ``shell`` function, a
``custom`` ``apply_patch`` tool, ``web_search``), so refusing them would
fail it on its first turn.  What each becomes when translated:

- ``custom`` (freeform) tools take raw text, optionally constrained by a
  Lark or regex grammar that only OpenAI enforces (guide "Function calling >
  Custom tools").  They become a function with one string parameter
  ``input`` whose description carries the grammar, so the model still knows
  the syntax; its calls go back to the client as ``custom_tool_call`` items
  (``calls.py``).  The IR tool keeps ``"custom": {"format": ...}`` so a
  Responses upstream gets the custom tool itself back.
- ``local_shell`` runs on the client like a function: it becomes a function
  ``local_shell`` with the exec action's fields, and its calls go back as
  ``local_shell_call`` items.  A Responses upstream sees that function (a
  ``local_shell_call`` in its history would need an id OpenAI stored).
- Hosted tools (``HOSTED``) execute on OpenAI's servers; no other upstream
  can run them.  They are dropped: the model answers without them, as it may
  when it chooses not to search.  A ``tool_choice`` that forces one, or that
  requires a call when only hosted tools were offered, cannot be honoured
  and is refused.
- ``namespace`` tools group functions and custom tools: each member
  becomes one flat function (``namespaces.py``), and its calls go back
  split into ``name`` + ``namespace``.
- Other built-ins (the ``shell`` and ``apply_patch`` built-ins, tool
  search, whatever comes next) carry call protocols of their own that no
  other provider speaks: dropped like hosted tools, with a debug line.
"""
import copy

from translators import freeform
from translators.dropped import dropped
from translators.ir import TranslationError
from translators.tool_schema import with_properties

from .calls import CUSTOM, LOCAL_SHELL
from .namespaces import NAMESPACE, flat_name, members

HOSTED = ("web_search", "web_search_2025_08_26", "web_search_preview",
          "web_search_preview_2025_03_11", "file_search", "code_interpreter",
          "image_generation", "computer_use_preview", "computer", "computer_use", "mcp")

_EMPTY_SCHEMA = {"type": "object", "properties": {}}

_LOCAL_SHELL_TOOL = {
    "name": LOCAL_SHELL,
    "description": "Run a command on the user's machine and return its output.",
    "parameters": {
        "type": "object",
        "properties": {
            "command": {"type": "array", "items": {"type": "string"},
                        "description": "The program and its arguments, one per item "
                                       "(e.g. [\"bash\", \"-lc\", \"ls -la\"])."},
            "workdir": {"type": "string", "description": "The directory to run it in."},
            "timeout_ms": {"type": "integer",
                           "description": "How long it may run, in milliseconds."},
        },
        "required": ["command"],
    },
}

_CHOICES = ("auto", "none", "required")


def parse_tools(tools):
    """IR tools of a request's ``tools``, hosted ones left out."""
    flat = []
    for tool in tools or []:
        if not isinstance(tool, dict):
            raise TranslationError("every tool must be an object")
        flat.extend(members(tool) if tool.get("type") == NAMESPACE else [tool])
    parsed = [_parse_tool(tool) for tool in flat]
    return [tool for tool in parsed if tool is not None]


def _parse_tool(tool):
    kind = tool.get("type")
    if kind == "function":
        # ``strict`` has no IR field: other providers validate arguments their own way.
        return {"name": tool.get("name"), "description": tool.get("description"),
                "parameters": tool.get("parameters") or dict(_EMPTY_SCHEMA)}
    if kind == CUSTOM:
        return _parse_custom(tool)
    if kind == LOCAL_SHELL:
        return copy.deepcopy(_LOCAL_SHELL_TOOL)  # renderers may edit schemas in place
    if kind not in HOSTED:
        dropped("responses", f"tool of type {kind!r}")
    return None


def _parse_custom(tool):
    return freeform.tool(tool.get("name"), tool.get("description"), tool.get("format"))


def parse_tool_choice(choice, offered, tools):
    """IR tool_choice; ``offered`` says whether the request declared any
    tools, ``tools`` are those left after hosted ones were dropped."""
    if choice is None:
        return None
    kind = choice.get("type") if isinstance(choice, dict) else choice
    if kind in HOSTED:
        raise TranslationError(f"tool_choice forces {kind!r}, a tool that runs on "
                               "OpenAI's servers and no other provider has")
    if offered and not tools:
        if choice == "required":
            raise TranslationError("tool_choice 'required' but every tool offered runs on "
                                   "OpenAI's servers, which no other provider has")
        return None  # nothing left to choose from
    if choice in _CHOICES:
        return {"type": choice}
    if kind in ("function", CUSTOM):
        name = flat_name(choice.get("namespace"), choice.get("name"))
        if name not in {tool["name"] for tool in tools}:
            raise TranslationError(f"tool_choice forces {name!r}, which is not among the "
                                   "tools another provider can run")
        return {"type": "tool", "name": name}
    raise TranslationError(f"tool_choice {choice!r} forces a tool other providers cannot run")


def render_tools(tools):
    """Responses ``tools`` for IR tools."""
    return [_render_tool(tool) for tool in tools]


def _render_tool(tool):
    if tool.get("custom") is not None:
        out = {"type": CUSTOM, "name": tool["name"]}
        if tool["custom"].get("format"):
            out["format"] = tool["custom"]["format"]
    else:
        out = {"type": "function", "name": tool["name"],
               "parameters": with_properties(tool.get("parameters") or _EMPTY_SCHEMA),
               # Responses defaults ``strict`` to true, which rejects ordinary JSON
               # schemas (every property required, no additionalProperties).
               "strict": False}
    if tool.get("description"):
        out["description"] = tool["description"]
    return out


def render_tool_choice(choice, tools):
    if choice["type"] != "tool":
        return choice["type"]
    custom = any(t["name"] == choice["name"] and t.get("custom") is not None for t in tools)
    return {"type": CUSTOM if custom else "function", "name": choice["name"]}
