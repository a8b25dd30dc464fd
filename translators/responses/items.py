"""The conversation: Responses ``input`` items <-> IR system parts and messages.

Responses spells a conversation as a flat list of items (API reference,
"Responses > Create > input"): ``message`` items for each role,
``function_call`` / ``function_call_output`` for tool use (and their
``custom_tool_call`` / ``local_shell_call`` twins, see ``calls.py``) and
``reasoning`` for earlier thinking.  The IR groups them into turns.
"""
from translators import call_ids
from translators.dropped import dropped
from translators.ir import TranslationError, text, tool_call

from .calls import custom_input, parse_custom_call, parse_local_shell_call
from .content import parse_content, parse_part, render_input_parts
from .namespaces import flat_name
from .output import reasoning_text

_CALLS = {"custom_tool_call": parse_custom_call, "local_shell_call": parse_local_shell_call}
# Output item type -> the field naming the call it answers (SDK
# ``LocalShellCallOutput`` puts the call's id in ``id``).
_OUTPUTS = {"function_call_output": "call_id", "custom_tool_call_output": "call_id",
            "local_shell_call_output": "id"}

_SYSTEM_ROLES = ("system", "developer")


def parse_input(value):
    """``(system parts, IR messages)`` of a request's ``input``."""
    if isinstance(value, str):
        return [], [{"role": "user", "content": [text(value)]}]
    if not isinstance(value, list):
        raise TranslationError("input must be a string or a list of items")
    system, messages = [], []
    for item in value:
        if not isinstance(item, dict):
            raise TranslationError("every input item must be an object")
        kind = item.get("type")
        # An agent's calls and their outputs, read here as _parse_item
        # reads them; every other item through _parse_item.
        if kind == "function_call":
            part = {"type": "tool_call", "id": item.get("call_id") or item.get("id"),
                    "name": flat_name(item.get("namespace"), item.get("name")),
                    "arguments": item.get("arguments") or "{}"}
            role = "assistant"
        elif kind == "function_call_output":
            output = item.get("output")
            part = {"type": "tool_result", "tool_call_id": item.get("call_id"), "name": None,
                    "content": ([{"type": "text", "text": output}] if output else [])
                    if isinstance(output, str) else _output_parts(output),
                    "is_error": False}
            role = "tool"
        else:
            _parse_item(item, system, messages)
            continue
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].append(part)
        else:
            messages.append({"role": role, "content": [part]})
    _name_results(messages)
    return system, messages


# Items that open an assistant turn, and the outputs of calls.
_ASSISTANT_ITEMS = frozenset(("function_call", "reasoning", *_CALLS))


def round_starts(items):
    """Where the conversation's rounds start (``translators.turn_memo``): at
    each item opening an assistant turn right after a call's output.  None
    for anything but a list of objects (read whole, and refused as ever)."""
    if type(items) is not list:
        return None
    starts, after_output = [], False
    for at, item in enumerate(items):
        if type(item) is not dict:
            return None
        kind = item.get("type")
        if after_output and (kind in _ASSISTANT_ITEMS
                             or (kind == "message" and item.get("role") == "assistant")):
            starts.append(at)
        after_output = kind in _OUTPUTS
    return starts


def round_name(items):
    """The call id of a round's first function call, or None."""
    for item in items:
        if item.get("type") == "function_call":
            return item.get("call_id") or item.get("id")
    return None


def _parse_item(item, system, messages):
    # ``type`` may be omitted on messages ("EasyInputMessage" in the SDK).
    kind = item.get("type") or ("message" if "role" in item else None)
    if kind == "message":
        _parse_message(item, system, messages)
    elif kind == "function_call":
        call = tool_call(item.get("call_id") or item.get("id"),
                         flat_name(item.get("namespace"), item.get("name")),
                         item.get("arguments") or "{}")
        _append(messages, "assistant", [call])
    elif kind in _CALLS:
        _append(messages, "assistant", [_CALLS[kind](item)])
    elif kind in _OUTPUTS:
        _append(messages, "tool", [_parse_output(item, item.get(_OUTPUTS[kind]))])
    elif kind == "reasoning":
        _append(messages, "assistant", _parse_reasoning(item))
    elif kind == "web_search_call":
        # A trace of OpenAI's hosted search (its query, no results): what it
        # found reached the conversation in the assistant message after it.
        pass
    elif kind == "item_reference":
        raise TranslationError("item_reference points at state stored by OpenAI; "
                               "send the referenced items themselves in input")
    else:
        # Traces of hosted tools (file_search_call, code_interpreter_call,
        # image_generation_call, mcp_*...), compaction items and whatever
        # comes next: no other provider can read them.
        dropped("responses", f"input item {kind!r}")


def _parse_message(item, system, messages):
    role = item.get("role")
    parts = parse_content(item.get("content"))
    if role in _SYSTEM_ROLES:
        # Leading instructions are the system prompt; later ones stay in
        # place as IR system messages.
        if any(part["type"] != "text" for part in parts):
            dropped("responses", f"non-text parts of a {role} message")
            parts = [part for part in parts if part["type"] == "text"]
        if not messages:
            system.extend(parts)
        elif parts:
            messages.append({"role": "system", "content": parts})
    elif role == "user":
        messages.append({"role": "user", "content": parts})
    elif role == "assistant":
        _append(messages, "assistant", parts)
    else:
        dropped("responses", f"message with role {role!r}")


def _append(messages, role, parts):
    """Add parts to the last turn when it has ``role``: reasoning, text and
    calls of one assistant turn are separate items in Responses."""
    if not parts:
        return
    if messages and messages[-1]["role"] == role:
        messages[-1]["content"].extend(parts)
    else:
        messages.append({"role": role, "content": list(parts)})


def _parse_output(item, call_id):
    output = item.get("output")
    content = ([text(output)] if output else []) if isinstance(output, str) \
        else _output_parts(output)
    # Responses has no error flag on tool outputs.
    return {"type": "tool_result", "tool_call_id": call_id, "name": None,
            "content": content, "is_error": False}


def _output_parts(output):
    """The IR parts of an output given as a list of parts."""
    content = [p for p in map(parse_part, output or []) if p is not None]
    if any(part["type"] not in ("text", "image") for part in content):
        raise TranslationError("a function_call_output may only hold text and images "
                               "when translated")
    return content


def _parse_reasoning(item):
    # ``encrypted_content`` is OpenAI's opaque state and means nothing to other
    # providers; it must not pose as an IR signature, so it is dropped.
    value = reasoning_text(item)
    return [{"type": "reasoning", "text": value, "signature": None}] if value else []


def _name_results(messages):
    """Fill tool_result names from the calls they answer (Gemini needs them):
    the name of the last call with the result's id (``ir.tool_names_by_id``,
    in the same pass that finds the results)."""
    names, results = {}, []
    for message in messages:
        for part in message["content"]:
            kind = part["type"]
            if kind == "tool_call":
                names[part["id"]] = part["name"]
            elif kind == "tool_result":
                results.append(part)
    for result in results:
        result["name"] = names.get(result["tool_call_id"])


def render_input(messages, tools):
    """Responses ``input`` items for IR messages; calls of the ``tools`` the
    IR marks as custom become ``custom_tool_call`` items again."""
    custom = {tool["name"] for tool in tools if tool.get("custom") is not None}
    custom_ids = {part["id"] for message in messages for part in message["content"]
                  if part["type"] == "tool_call" and part["name"] in custom}
    items = []
    for message in messages:
        if message["role"] == "user":
            items.append({"type": "message", "role": "user",
                          "content": render_input_parts(message["content"])})
        elif message["role"] == "assistant":
            items.extend(_render_assistant(message["content"], custom_ids))
        elif message["role"] == "system":
            # Responses takes developer messages anywhere in input, in order.
            items.append({"type": "message", "role": "developer",
                          "content": render_input_parts(message["content"])})
        else:
            items.extend(_render_result(part, custom_ids) for part in message["content"])
    return items


def _render_assistant(parts, custom_ids):
    items = []
    for part in parts:
        if part["type"] == "text" and part["text"]:
            # String content: a list would need output_text parts, which the
            # SDK types only allow on an output message with a stored id.
            items.append({"type": "message", "role": "assistant", "content": part["text"]})
        elif part["type"] == "tool_call" and part["id"] in custom_ids:
            items.append({"type": "custom_tool_call", "call_id": _call_id(part["id"]),
                          "name": part["name"], "input": custom_input(part["arguments"])})
        elif part["type"] == "tool_call":
            items.append({"type": "function_call", "call_id": _call_id(part["id"]),
                          "name": part["name"], "arguments": part["arguments"]})
        # Reasoning from history is dropped: Responses accepts a reasoning item
        # only with an ``rs_`` id it stored or its own encrypted_content (guide
        # "Reasoning"), neither of which another provider's thinking has.
        # Assistant input has no image or document form either.
    return items


def _render_result(part, custom_ids):
    content = part["content"]
    if all(p["type"] == "text" for p in content):
        output = "\n".join(p["text"] for p in content)
    else:
        output = render_input_parts(content)
    # is_error has no field here; the output text itself carries the failure.
    kind = ("custom_tool_call_output" if part["tool_call_id"] in custom_ids
            else "function_call_output")
    return {"type": kind, "call_id": _call_id(part["tool_call_id"]), "output": output}


def _call_id(call_id):
    return call_ids.fit(call_id, call_ids.RESPONSES_MAX)
