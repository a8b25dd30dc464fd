"""Request bodies shaped like a coding agent's late in a session.

A Claude Code or Codex request carries the whole conversation: a long
system prompt, ~25 tool schemas, then turn after turn of the model calling a
tool and the tool's output (source files, grep hits, command output) coming
back.  ``body(dialect, model, size)`` builds that shape in each client
dialect's own wire format, grown turn by turn until the JSON reaches
``size`` bytes:

- ``claude``: Anthropic Messages, ``system`` blocks with ``cache_control``,
  ``tool_use`` / ``tool_result`` content blocks (Messages API reference,
  "Tool use").
- ``openai``: Chat Completions, assistant ``tool_calls`` with JSON-string
  ``arguments`` and ``role: tool`` answers.
- ``responses``: Responses API ``instructions`` plus ``function_call`` /
  ``function_call_output`` input items.

Pure and deterministic: the same arguments give the same bytes, so every
target of a run is sent identical requests.  The text is code-like (quotes,
backslashes, tabs, newlines), so the JSON escaping work is that of a real
session, not of plain prose.
"""
import json

TOOL_COUNT = 25
_SEPARATORS = (",", ":")

_TOOL_NAMES = ("Bash", "Read", "Edit", "MultiEdit", "Write", "Glob", "Grep", "LS",
               "NotebookRead", "NotebookEdit", "WebFetch", "WebSearch", "TodoRead",
               "TodoWrite", "Task", "ExitPlanMode", "BashOutput", "KillShell",
               "SlashCommand", "ListMcpResources", "ReadMcpResource", "ApplyPatch",
               "ViewImage", "UpdatePlan", "Shell")

# The tools a session calls, in turn (the rest are only declared).
_CALLED = ("Read", "Grep", "Bash", "Edit", "Glob", "Read", "Bash")


def _tool_schema(i, name):
    properties = {
        "path": {"type": "string", "description": f"Absolute path the {name} tool works on."},
        "pattern": {"type": "string", "description": "A regular expression or glob pattern."},
        "timeout": {"type": "integer", "minimum": 1, "maximum": 600000,
                    "description": "Milliseconds before the call is abandoned."},
        "options": {"type": "object", "additionalProperties": False, "properties": {
            "recursive": {"type": "boolean"},
            "mode": {"type": "string", "enum": ["content", "files_with_matches", "count"]},
            "limit": {"type": "integer"}}},
    }
    description = (f"{name}: " + " ".join(
        f"Use this tool for step {k} of a task; it returns the result as text and never "
        f"asks the user." for k in range(1 + i % 4)))
    return name, description, {"type": "object", "properties": properties,
                               "required": ["path"], "additionalProperties": False}


TOOLS = [_tool_schema(i, name) for i, name in enumerate(_TOOL_NAMES[:TOOL_COUNT])]

SYSTEM = ("You are an interactive CLI tool that helps users with software engineering "
          "tasks. Use the instructions below and the tools available to you to assist the "
          "user.\n\n# Tone and style\nBe concise, direct, and to the point. "
          "When you run a non-trivial bash command, explain what it does and why.\n\n"
          "# Following conventions\nWhen making changes to files, first understand the "
          "file's code conventions. Mimic code style, use existing libraries and utilities, "
          "and follow existing patterns.\n\n") * 12


def code(turn, lines):
    """``lines`` lines of Python-like source, different per ``turn``."""
    out = [f'"""Module {turn}: handlers for the \\"{turn}\\" route."""', "import json", ""]
    for k in range(lines - 3):
        if k % 6 == 0:
            out.append(f"def handler_{turn}_{k}(request, *, timeout=30):")
        elif k % 6 == 1:
            out.append(f'\t"""Answer {k}: returns {{\\"ok\\": true}} or raises."""')
        elif k % 6 == 2:
            out.append(f"\tvalue = json.loads(request.body or b'{{}}')  # {turn}.{k}")
        elif k % 6 == 3:
            out.append(f'\tif value.get("path", "").endswith("\\\\"):')
        elif k % 6 == 4:
            out.append(f'\t\traise ValueError(f"bad path {{value[\'path\']!r}} at {k}")')
        else:
            out.append(f"\treturn {{'status': 200, 'turn': {turn}, 'line': {k}}}\n")
    return "\n".join(out)


def _call(turn):
    """``(call id, tool name, input dict, tool output text)`` of one round trip."""
    name = _CALLED[turn % len(_CALLED)]
    arguments = {"path": f"/work/project/src/module_{turn:04d}.py"}
    if name in ("Grep", "Glob"):
        arguments["pattern"] = f"def handler_{turn}_\\d+"
    if name == "Bash":
        arguments = {"path": "/work/project", "command": f"pytest -q tests/test_{turn}.py"}
    return f"{turn:05d}", name, arguments, code(turn, 30 + (turn * 37) % 90)


# --- one builder per dialect: (fixed part of the body, turn -> its items) ---------

def _claude(model):
    base = {"model": model, "max_tokens": 32000, "stream": False,
            "system": [{"type": "text", "text": SYSTEM,
                        "cache_control": {"type": "ephemeral"}}],
            "tools": [{"name": n, "description": d, "input_schema": s} for n, d, s in TOOLS],
            "metadata": {"user_id": "bench-session"},
            "messages": [{"role": "user", "content": "Fix the failing tests in src/."}]}

    def turn(t):
        ident, name, arguments, output = _call(t)
        ident = f"toolu_bench{ident}"
        return [{"role": "assistant", "content": [
                    {"type": "text", "text": f"Looking at step {t} with {name}."},
                    {"type": "tool_use", "id": ident, "name": name, "input": arguments}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": ident, "content": output}]}]
    return base, "messages", turn


def _openai(model):
    base = {"model": model, "stream": False,
            "tools": [{"type": "function", "function": {"name": n, "description": d,
                                                        "parameters": s}}
                      for n, d, s in TOOLS],
            "messages": [{"role": "system", "content": SYSTEM},
                         {"role": "user", "content": "Fix the failing tests in src/."}]}

    def turn(t):
        ident, name, arguments, output = _call(t)
        ident = f"call_bench{ident}"
        return [{"role": "assistant", "content": f"Looking at step {t} with {name}.",
                 "tool_calls": [{"id": ident, "type": "function", "function": {
                     "name": name, "arguments": json.dumps(arguments)}}]},
                {"role": "tool", "tool_call_id": ident, "content": output}]
    return base, "messages", turn


def _responses(model):
    base = {"model": model, "stream": False, "store": False, "instructions": SYSTEM,
            "tools": [{"type": "function", "name": n, "description": d, "parameters": s,
                       "strict": False} for n, d, s in TOOLS],
            "input": [{"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "Fix the failing tests in src/."}]}]}

    def turn(t):
        ident, name, arguments, output = _call(t)
        ident = f"call_bench{ident}"
        return [{"type": "function_call", "call_id": ident, "name": name,
                 "arguments": json.dumps(arguments)},
                {"type": "function_call_output", "call_id": ident, "output": output}]
    return base, "input", turn


_BUILDERS = {"claude": _claude, "openai": _openai, "responses": _responses}
DIALECTS = tuple(_BUILDERS)


def body(dialect, model, size, stream=False):
    """The agent-shaped request of ``dialect`` for ``model``, as JSON text of
    at least ``size`` bytes (the first turn that reaches it is the last)."""
    base, key, turn = _BUILDERS[dialect](model)
    base["stream"] = stream
    length = len(_dumps(base))
    t = 0
    while length < size:
        items = turn(t)
        # each item adds its own JSON plus one separating comma
        length += sum(len(_dumps(item)) + 1 for item in items)
        base[key].extend(items)
        t += 1
    return _dumps(base)


def previous(dialect, model, size, stream=False):
    """The request ``body(dialect, model, size)`` followed in its session:
    the same conversation one round trip shorter (what the gateway saw
    last, in a session that grows instead of repeating itself; the body
    itself when it holds no round trip)."""
    final = json.loads(body(dialect, model, size, stream))
    base, key, turn = _BUILDERS[dialect](model)
    grown, t, last = len(base[key]), 0, 0
    while grown < len(final[key]):
        last = len(turn(t))
        grown += last
        t += 1
    final[key] = final[key][:grown - last]
    return _dumps(final)


def _dumps(obj):
    return json.dumps(obj, separators=_SEPARATORS)
