"""Calls of the client-side tools that are not plain functions: ``custom``
(freeform) tools and the ``local_shell`` built-in.

Other providers only call functions, so in the IR both are function calls
(see ``tools.py`` for the schemas they get): a custom call's arguments are
``{"input": <the raw text>}`` and a local shell call's are the exec
action's fields.  Here those arguments are converted to and from the
Responses items (openai SDK ``ResponseCustomToolCall`` and
``ResponseOutputItem.LocalShellCall``) a client such as Codex CLI executes.
"""
import json

from translators import freeform
from translators.ir import new_id, tool_call

from .namespaces import NAMESPACE, flat_name

CUSTOM = "custom"
LOCAL_SHELL = "local_shell"


def call_kinds(request):
    """``{tool name: "custom" | "local_shell"}`` of a client's Responses
    request: which calls the client expects as other items than ``function_call``."""
    kinds = {}
    tools = request.get("tools") if isinstance(request, dict) else None
    # a malformed tools list is the request validator's to refuse, not a crash here
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, dict):
            continue
        if tool.get("type") == CUSTOM:
            kinds[tool.get("name")] = CUSTOM
        elif tool.get("type") == LOCAL_SHELL:
            kinds[LOCAL_SHELL] = LOCAL_SHELL
        elif tool.get("type") == NAMESPACE:
            kinds.update((flat_name(tool.get("name"), member.get("name")), CUSTOM)
                         for member in tool.get("tools") or []
                         if isinstance(member, dict) and member.get("type") == CUSTOM)
    return kinds


# --- custom tools -----------------------------------------------------------

# The IR side of custom tools is shared with Chat Completions (freeform.py).
custom_arguments = freeform.arguments
custom_input = freeform.raw_input


def custom_call_item(item_id, call_id, name, value, status="completed"):
    return {"type": "custom_tool_call", "id": item_id, "call_id": call_id, "name": name,
            "input": value, "status": status}


def parse_custom_call(item):
    """The IR tool_call of a ``custom_tool_call`` item."""
    return tool_call(item.get("call_id") or item.get("id"),
                     flat_name(item.get("namespace"), item.get("name")),
                     custom_arguments(item.get("input")))


# --- local shell ------------------------------------------------------------

# IR argument name <-> exec action field (SDK ``LocalShellCallAction``).
_SHELL_FIELDS = (("command", "command"), ("workdir", "working_directory"),
                 ("timeout_ms", "timeout_ms"))


def parse_local_shell_call(item):
    """The IR tool_call of a ``local_shell_call`` item (Codex sends its id as
    ``call_id`` and the result as a ``function_call_output``)."""
    action = item.get("action") or {}
    arguments = {name: action[field] for name, field in _SHELL_FIELDS
                 if action.get(field) is not None}
    return tool_call(item.get("call_id") or item.get("id"), LOCAL_SHELL,
                     json.dumps(arguments, ensure_ascii=False))


def local_shell_action(arguments):
    """The exec action for IR arguments; None when the model sent no
    command as a list of strings (nothing the client could execute)."""
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return None
    command = value.get("command") if isinstance(value, dict) else None
    if not isinstance(command, list) or not command or not all(
            isinstance(word, str) for word in command):
        return None
    # The model cannot set env or user (they are not in its schema).
    return {"type": "exec", "command": command, "env": {},
            "timeout_ms": value.get("timeout_ms"),
            "working_directory": value.get("workdir"), "user": None}


def local_shell_item(item_id, call_id, action, status="completed"):
    return {"type": "local_shell_call", "id": item_id, "call_id": call_id,
            "action": action, "status": status}


# --- output items -------------------------------------------------------------

def function_call_item(item_id, call_id, name, arguments, status="completed"):
    return {"type": "function_call", "id": item_id, "call_id": call_id, "name": name,
            "arguments": arguments, "status": status}


def call_item(call_id, name, arguments, kinds, status="completed"):
    """The output item of an IR call, as the client declared the tool.  A
    local shell call without a usable command stays a ``function_call`` so
    the client sees (and can answer) what the model actually sent."""
    kind = kinds.get(name)
    if kind == CUSTOM:
        return custom_call_item(new_id("ctc_"), call_id, name, custom_input(arguments), status)
    action = local_shell_action(arguments) if kind == LOCAL_SHELL else None
    if action:
        return local_shell_item(new_id("lsh_"), call_id, action, status)
    return function_call_item(new_id("fc_"), call_id, name, arguments, status)
