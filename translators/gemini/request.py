"""Gemini ``generateContent`` request bodies <-> IR requests.

The model and the choice of streaming live in the URL
(``models/{model}:streamGenerateContent?alt=sse``), so neither is read from
nor written to the body; the proxy builds the URL.
"""
import hashlib

from translators import history, ir, reminder
from translators.dropped import dropped, unread_keys

from .generation import parse_generation_config, render_generation_config
from .keys import enum, get
from .parts import parse_function_call, parse_part, render_part
from .schema import clean_schema, to_json_schema

_NO_PARAMETERS = {"type": "object", "properties": {}}

_CHOICE_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY", "tool": "ANY"}


def parse_request(body):
    """A Gemini request body as an IR request (``model`` left None)."""
    if not isinstance(body, dict):
        raise ir.TranslationError("request body must be a JSON object")
    if get(body, "cachedContent"):
        raise ir.TranslationError("Gemini cachedContent exists only on Gemini")
    unread_keys("gemini", body, _READ)
    request = ir.new_request()
    request["system"] = _parse_system(get(body, "systemInstruction"))
    request["messages"] = _parse_contents(get(body, "contents") or [])
    request["tool_choice"], allowed = _parse_tool_config(get(body, "toolConfig"))
    tools = _parse_tools(get(body, "tools") or [])
    request["tools"] = [tool for tool in tools if not allowed or tool["name"] in allowed]
    if request["tool_choice"] and request["tool_choice"]["type"] in ("required", "tool") \
            and not request["tools"]:
        raise ir.TranslationError("toolConfig requires a function call, but the only tools "
                                  "offered are Gemini built-ins no other provider has")
    parse_generation_config(get(body, "generationConfig") or {}, request)
    return request


# Top-level keys parse_request reads (both spellings); any other is dropped
# with a debug line, safetySettings included (other providers have no such knob).
_READ = {"contents", "systemInstruction", "system_instruction", "tools", "toolConfig",
         "tool_config", "generationConfig", "generation_config", "cachedContent",
         "cached_content", "model"}


def _parse_system(instruction):
    if not instruction:
        return []
    if isinstance(instruction, str):
        return [ir.text(instruction)]
    parts = [parse_part(part) for part in get(instruction, "parts") or []]
    if any(part is None or part["type"] != "text" for part in parts):
        raise ir.TranslationError("systemInstruction may only hold text")
    return parts


def _parse_contents(contents):
    """Gemini turns as IR messages; function responses become ``tool`` messages.

    Gemini may omit function-call ids.  Calls then get ids derived from
    their position (stable across the client's repeated histories) and each
    id-less response takes the oldest unanswered call of the same name, the
    order Gemini pairs them in.
    """
    messages, pending = [], {}
    for turn, content in enumerate(contents):
        role = "assistant" if get(content, "role") == "model" else "user"
        for index, part in enumerate(get(content, "parts") or []):
            parsed = _parse_history_part(part, f"{turn}.{index}", pending)
            if parsed is None:
                continue
            _append(messages, "tool" if parsed["type"] == "tool_result" else role, parsed)
    return messages


def _parse_history_part(part, position, pending):
    call = get(part, "functionCall")
    if call:
        parsed = parse_function_call(call, get(part, "thoughtSignature"),
                                     _stable_id(position, get(call, "name")))
        pending.setdefault(parsed["name"], []).append(parsed["id"])
        return parsed
    parsed = parse_part(part)
    if parsed and parsed["type"] == "tool_result":
        unanswered = pending.get(parsed["name"]) or []
        if parsed["tool_call_id"] in unanswered:
            unanswered.remove(parsed["tool_call_id"])
        elif parsed["tool_call_id"] is None:
            parsed["tool_call_id"] = (unanswered.pop(0) if unanswered
                                      else _stable_id(position, parsed["name"]))
    return parsed


def _stable_id(position, name):
    return "call_" + hashlib.sha256(f"{position}:{name}".encode()).hexdigest()[:24]


def _append(messages, role, part):
    if messages and messages[-1]["role"] == role:
        messages[-1]["content"].append(part)
    else:
        messages.append({"role": role, "content": [part]})


def _parse_tools(tools):
    declarations = []
    for tool in tools:
        # Built-ins (googleSearch, codeExecution, urlContext, googleMaps...)
        # run inside Gemini: dropped, the model answers without them.
        for key in tool:
            if key not in ("functionDeclarations", "function_declarations"):
                dropped("gemini", f"built-in tool {key!r}")
        declarations += [_parse_declaration(d) for d in get(tool, "functionDeclarations") or []]
    return declarations


def _parse_declaration(declaration):
    if get(declaration, "parametersJsonSchema") is not None:
        parameters = get(declaration, "parametersJsonSchema")
    elif get(declaration, "parameters") is not None:
        parameters = to_json_schema(get(declaration, "parameters"))
    else:
        parameters = dict(_NO_PARAMETERS)
    return {"name": get(declaration, "name"), "description": get(declaration, "description"),
            "parameters": parameters}


def _parse_tool_config(config):
    """IR tool_choice, and the function names tools narrow to (empty: all).

    Several allowed names have no IR form but "required" over just those
    tools; one name is a named choice and keeps the others declared.
    """
    calling = get(config, "functionCallingConfig")
    mode = enum(calling, "mode")
    if mode == "ANY":
        names = list(get(calling, "allowedFunctionNames") or [])
        if len(names) == 1:
            return {"type": "tool", "name": names[0]}, []
        return {"type": "required"}, names
    if mode == "NONE":
        return {"type": "none"}, []
    # VALIDATED lets the model choose, like AUTO, with calls schema-checked.
    if mode in ("AUTO", "VALIDATED"):
        return {"type": "auto"}, []
    return None, []


def render_request(request, model):
    """An IR request as a Gemini body for ``model`` (which goes in the URL).

    Dropped as harmless: ``parallel_tool_calls`` (Gemini has no switch and
    may always call several functions), ``user`` and ``metadata`` (no field).
    """
    body = {"contents": _render_contents(history.repair(request["messages"]))}
    if request.get("system"):
        body["systemInstruction"] = {"parts": [{"text": p["text"]} for p in request["system"]]}
    if request.get("tools"):
        body["tools"] = [{"functionDeclarations": [_render_tool(t) for t in request["tools"]]}]
        if request.get("tool_choice"):
            body["toolConfig"] = _render_tool_choice(request["tool_choice"])
    config = render_generation_config(request, model)
    if config:
        body["generationConfig"] = config
    return body


def _render_contents(messages):
    """IR messages as Gemini turns; tool results join the user turn, and
    consecutive turns of one role merge (parallel calls and their responses
    are parts of one turn, as Gemini returns and expects them)."""
    names = ir.tool_names_by_id(messages)
    contents = []
    for message in messages:
        role = "model" if message["role"] == "assistant" else "user"
        content = message["content"]
        if message["role"] == "system":
            # Gemini has no mid-conversation system role.
            content = [reminder.as_user_text(part) for part in content]
        parts = _seat_signatures([p for p in (render_part(part, names) for part in content)
                                  if p and not _is_empty(p)])
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    return contents


def _seat_signatures(parts):
    """A carrier (an empty part bearing only a signature, see ``parts.py``)
    gives its signature back to the part after it, the part Gemini sent it
    on; it is left out when that part already bears it."""
    out = []
    for part, after in zip(parts, parts[1:] + [None]):
        if part.keys() == {"text", "thoughtSignature"} and not part["text"] and after \
                and after.get("thoughtSignature") in (None, part["thoughtSignature"]):
            after.setdefault("thoughtSignature", part["thoughtSignature"])
            continue
        out.append(part)
    return out


def _is_empty(part):
    """A text part with neither text nor signature: Gemini rejects it
    ("must have one initialized field")."""
    return part.get("text") == "" and "thoughtSignature" not in part


def _render_tool(tool):
    declaration = {"name": tool["name"]}
    if tool.get("description"):
        declaration["description"] = tool["description"]
    parameters = clean_schema(tool.get("parameters") or {})
    # An OBJECT with no properties is rejected in a function declaration;
    # a function without arguments simply has no ``parameters``.
    if parameters.get("properties"):
        declaration["parameters"] = parameters
    return declaration


def _render_tool_choice(choice):
    calling = {"mode": _CHOICE_MODES[choice["type"]]}
    if choice["type"] == "tool":
        calling["allowedFunctionNames"] = [choice["name"]]
    return {"functionCallingConfig": calling}
