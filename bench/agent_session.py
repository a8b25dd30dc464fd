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

An agent never sends the same body twice: each request is the one before
plus a round trip (the model's tool call, the tool's output).
``session(dialect, model, size, count)`` gives the last ``count`` requests of
the session that ends in ``body(...)``, and ``claude`` requests carry Claude
Code's rolling cache mark (``cache_control`` on the last message's last
block), so the bytes of the previous request's last message change too.

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
    # Claude Code's key order: the conversation, then system prompt and tools
    base = {"model": model,
            "messages": [{"role": "user", "content": "Fix the failing tests in src/."}],
            "system": [{"type": "text", "text": SYSTEM,
                        "cache_control": {"type": "ephemeral"}}],
            "tools": [{"name": n, "description": d, "input_schema": s} for n, d, s in TOOLS],
            "metadata": {"user_id": "bench-session"}, "max_tokens": 32000, "stream": False}

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
    base = {"model": model,
            "messages": [{"role": "system", "content": SYSTEM},
                         {"role": "user", "content": "Fix the failing tests in src/."}],
            "tools": [{"type": "function", "function": {"name": n, "description": d,
                                                        "parameters": s}}
                      for n, d, s in TOOLS],
            "stream": False}

    def turn(t):
        ident, name, arguments, output = _call(t)
        ident = f"call_bench{ident}"
        return [{"role": "assistant", "content": f"Looking at step {t} with {name}.",
                 "tool_calls": [{"id": ident, "type": "function", "function": {
                     "name": name, "arguments": json.dumps(arguments)}}]},
                {"role": "tool", "tool_call_id": ident, "content": output}]
    return base, "messages", turn


def _responses(model):
    # Codex's key order: the input, then the tools and the small fields
    base = {"model": model, "stream": False, "instructions": SYSTEM,
            "input": [{"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "Fix the failing tests in src/."}]}],
            "tools": [{"type": "function", "name": n, "description": d, "parameters": s,
                       "strict": False} for n, d, s in TOOLS],
            "store": False}

    def turn(t):
        ident, name, arguments, output = _call(t)
        ident = f"call_bench{ident}"
        return [{"type": "function_call", "call_id": ident, "name": name,
                 "arguments": json.dumps(arguments)},
                {"type": "function_call_output", "call_id": ident, "output": output}]
    return base, "input", turn


_BUILDERS = {"claude": _claude, "openai": _openai, "responses": _responses}
DIALECTS = tuple(_BUILDERS)


# How many requests of one growing session the bench cycles through per
# target (``bench.scenarios.agent``).  Ten: every request differs from the one
# before (a gateway that reuses work from a session's previous request must
# earn it on bytes that changed), the wrap-around after the tenth is a rewind
# (an agent's /rewind or retry: the gateway meets an older, shorter request)
# once in ten, the bodies of one size stay within ~16% of it (ten round trips
# of ~4 KB under 250 KB, ~4% under 1 MB), and the four targets of a case send
# at most 40 distinct bodies, which the mock's route cache (64) holds.
SESSION_WINDOW = 10

# Claude Code's rolling cache breakpoint (Anthropic "Prompt caching": up to
# four ``cache_control`` marks; the prefix up to a marked block is cached).
_CACHE_MARK = {"type": "ephemeral"}


def body(dialect, model, size, stream=False):
    """The agent-shaped request of ``dialect`` for ``model``, as JSON text of
    at least ``size`` bytes (the first turn that reaches it is the last;
    ``claude``: with the cache mark on its last block, see ``session``)."""
    return _window(dialect, model, size, 1, stream)[0]


def session(dialect, model, size, count, stream=False):
    """The last ``count`` requests of the session that ends in
    ``body(dialect, model, size, stream)``, oldest first: each is the next
    one a round trip shorter, as an agent sends them (the conversation so
    far, plus the tool call and its result).  ``claude`` requests carry the
    cache mark on their last message's last block, so it moves with every
    request.  ValueError when the session holds fewer than ``count``
    requests (one per round trip, plus the one holding none)."""
    bodies = _window(dialect, model, size, count, stream)
    if len(bodies) < count:
        raise ValueError(f"a {dialect} session of {size} bytes holds only "
                         f"{len(bodies)} requests, not {count}")
    return bodies


def window(dialect, model, size, count=SESSION_WINDOW, stream=False):
    """``session(...)`` of ``count`` requests, or of every request that holds
    a round trip when the session is shorter (~50 KB holds seven): the
    bench's requests of one size all end in a tool result, as an agent's
    requests inside its loop do."""
    return session(dialect, model, size, min(count, rounds(dialect, model, size)), stream)


def rounds(dialect, model, size):
    """How many tool round trips ``body(dialect, model, size)`` holds."""
    return len(_grown(dialect, model, size)[2]) - 1


def previous(dialect, model, size, stream=False):
    """The request ``body(dialect, model, size)`` followed in its session:
    the same conversation one round trip shorter (what the gateway saw
    last, in a session that grows instead of repeating itself; the body
    itself when it holds no round trip)."""
    return _window(dialect, model, size, 2, stream)[0]


def _window(dialect, model, size, count, stream):
    """Up to ``count`` requests of the session, the last ``body()``'s."""
    base, key, ends = _grown(dialect, model, size)
    base["stream"] = stream
    items = base[key]
    requests = ({**base, key: items[:end]} for end in ends[-count:])
    if dialect == "claude":
        requests = map(_marked, requests)
    return [_dumps(request) for request in requests]


def _grown(dialect, model, size):
    """``(body, its conversation's key, ends)``: the body grown turn by turn
    to ``size`` bytes (unmarked), and how many conversation items each
    request of its session holds (no round trip, one, ... all of them)."""
    base, key, turn = _BUILDERS[dialect](model)
    length = len(_dumps(base))
    ends = [len(base[key])]
    t = 0
    while length < size:
        items = turn(t)
        # each item adds its own JSON plus one separating comma
        length += sum(len(_dumps(item)) + 1 for item in items)
        base[key].extend(items)
        ends.append(len(base[key]))
        t += 1
    return base, key, ends


def _marked(request):
    """A Messages request with ``cache_control`` on its last message's last
    content block, as Claude Code sends it; a plain-string content (the
    first user message) becomes one text block to carry it.  The shared
    message objects are copied, not changed."""
    *earlier, last = request["messages"]
    content = last["content"]
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
    blocks = blocks[:-1] + [{**blocks[-1], "cache_control": _CACHE_MARK}]
    return {**request, "messages": earlier + [{**last, "content": blocks}]}


def _dumps(obj):
    return json.dumps(obj, separators=_SEPARATORS)
