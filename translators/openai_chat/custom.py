"""Chat Completions ``custom`` (freeform) tools and their calls <-> IR.

Shapes per the API reference ("Chat Completions > tools", the SDK's
``ChatCompletionCustomToolParam`` and ``ChatCompletionMessageCustomToolCall``):
a tool ``{"type": "custom", "custom": {"name", "description", "format"}}``
whose format is ``{"type": "text"}`` or ``{"type": "grammar", "grammar":
{"definition", "syntax"}}``, and a call ``{"id", "type": "custom",
"custom": {"name", "input"}}`` answered by an ordinary ``tool`` message.
In the IR they are freeform tools (``translators/freeform.py``); a client
that declared one gets its calls back in this form.
"""
from translators import freeform
from translators.ir import new_id, tool_call

CUSTOM = "custom"


def parse_tool(tool):
    """The IR tool of a Chat ``custom`` tool."""
    custom = tool.get(CUSTOM) or {}
    return freeform.tool(custom.get("name"), custom.get("description"),
                         _format(custom.get("format")))


def _format(fmt):
    """A Chat custom-tool format in the IR's (Responses') spelling."""
    if not isinstance(fmt, dict) or fmt.get("type") != "grammar":
        return fmt
    grammar = fmt.get("grammar") or {}
    return {"type": "grammar", "syntax": grammar.get("syntax"),
            "definition": grammar.get("definition")}


def parse_call(call):
    """The IR tool_call of a ``custom`` entry of ``tool_calls``."""
    custom = call.get(CUSTOM) or {}
    return tool_call(call.get("id") or new_id("call_"), custom.get("name"),
                     freeform.arguments(custom.get("input")))


def names(request):
    """Names of the custom tools a client's Chat request declares (none when
    ``tools`` is not a list: the encoder of an answer must not fail on it)."""
    tools = request.get("tools") if isinstance(request, dict) else None
    return {(tool.get(CUSTOM) or {}).get("name") for tool in tools
            if isinstance(tool, dict) and tool.get("type") == CUSTOM
            and isinstance(tool.get(CUSTOM) or {}, dict)} if isinstance(tools, list) else set()


def render_call(part):
    """A ``tool_calls`` entry for an IR call of a custom tool (an answer's:
    history sent upstream declares every tool as a function)."""
    return {"id": part["id"], "type": CUSTOM,
            "custom": {"name": part["name"], "input": freeform.raw_input(part["arguments"])}}
