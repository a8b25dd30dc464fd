"""Anthropic Messages requests (``POST /v1/messages``) <-> IR requests."""
import json

from translators import history, ir
from translators.ir import TranslationError

from .content import blocks_of, parse_block, render_block
from .thinking import DEFAULT_MAX_TOKENS, apply_thinking, parse_thinking

_CHOICE_TO_IR = {"auto": "auto", "any": "required", "none": "none"}
_CHOICE_FROM_IR = {"auto": "auto", "required": "any", "none": "none", "tool": "tool"}

# Anthropic's classic Messages API has no response_format.  Structured
# output is asked for in the system prompt, which every Claude model
# honours; output_config.format (structured outputs) exists only on recent
# models and would turn a working request into a 400 on the others.
_JSON_OBJECT_INSTRUCTION = "Respond with a single valid JSON object and nothing else."
_JSON_SCHEMA_INSTRUCTION = ("Respond with a single JSON value, and nothing else, that "
                            "conforms to this JSON schema:\n")

# Name given to an Anthropic output_config.format schema, which has none.
_SCHEMA_NAME = "response"


def parse_request(body):
    """An Anthropic Messages request body as an IR request."""
    req = ir.new_request(body.get("model"))
    req["system"] = _parse_system(body.get("system"))
    req["messages"] = _parse_messages(body.get("messages") or [])
    req["tools"] = [_parse_tool(tool) for tool in body.get("tools") or []]
    req["tool_choice"], req["parallel_tool_calls"] = _parse_tool_choice(body.get("tool_choice"))
    req["max_tokens"] = body.get("max_tokens")
    for key in ("temperature", "top_p", "top_k"):
        req[key] = body.get(key)
    req["stop"] = list(body.get("stop_sequences") or [])
    output_config = body.get("output_config") or {}
    req["reasoning"] = parse_thinking(body.get("thinking"), output_config.get("effort"))
    req["response_format"] = _parse_output_format(output_config.get("format"))
    req["stream"] = bool(body.get("stream"))
    # Anthropic streams always report usage; ask other upstreams for it too.
    req["include_usage"] = req["stream"]
    req["user"] = (body.get("metadata") or {}).get("user_id")
    return req


def _parse_system(system):
    if not system:
        return []
    # cache_control marks on system blocks are dropped: no IR field, and
    # losing them only costs the cache discount.
    return [ir.text(block["text"]) for block in blocks_of(system)]


def _parse_messages(messages):
    out = []
    for message in messages:
        if message.get("role") not in ("user", "assistant"):
            raise TranslationError(f"unknown message role {message.get('role')!r}")
        parts = [parse_block(block) for block in blocks_of(message.get("content"))]
        out.extend(_split_tool_results(message["role"], parts))
    names = ir.tool_names_by_id(out)
    for message in out:
        for part in message["content"]:
            if part["type"] == "tool_result":
                part["name"] = names.get(part["tool_call_id"])
    return out


def _split_tool_results(role, parts):
    """A user turn's tool_result blocks become IR ``tool`` messages, the
    rest stays a ``user`` message, in the order they came."""
    messages = []
    for part in parts:
        part_role = "tool" if part["type"] == "tool_result" else role
        if messages and messages[-1]["role"] == part_role:
            messages[-1]["content"].append(part)
        else:
            messages.append({"role": part_role, "content": [part]})
    return messages or [{"role": role, "content": []}]


def _parse_tool(tool):
    if tool.get("type") not in (None, "custom"):
        # Server tools (web_search_20250305, code_execution_...) run inside
        # Anthropic; no other upstream can run them.
        raise TranslationError(f"Anthropic server tool {tool['type']!r} cannot be translated")
    return {"name": tool["name"], "description": tool.get("description"),
            "parameters": tool.get("input_schema") or {"type": "object", "properties": {}}}


def _parse_tool_choice(choice):
    if not choice:
        return None, None
    parallel = False if choice.get("disable_parallel_tool_use") else None
    kind = choice.get("type")
    if kind == "tool":
        return {"type": "tool", "name": choice["name"]}, parallel
    if kind not in _CHOICE_TO_IR:
        raise TranslationError(f"unknown tool_choice type {kind!r}")
    return {"type": _CHOICE_TO_IR[kind]}, parallel


def _parse_output_format(output_format):
    if not output_format:
        return None
    if output_format.get("type") != "json_schema":
        raise TranslationError(f"unknown output format {output_format.get('type')!r}")
    return {"type": "json_schema", "name": _SCHEMA_NAME,
            "schema": output_format.get("schema") or {}, "strict": None}


def render_request(req, model):
    """An IR request as an Anthropic Messages request body for ``model``."""
    if (req.get("n") or 1) > 1:
        raise TranslationError("Anthropic cannot return several choices (n > 1)")
    body = {"model": model, "max_tokens": req.get("max_tokens") or DEFAULT_MAX_TOKENS,
            "messages": _render_messages(history.repair(req["messages"]))}
    system = _render_system(req.get("system") or [], req.get("response_format"))
    if system:
        body["system"] = system
    _render_tools(body, req)
    _render_sampling(body, req)
    apply_thinking(body, req.get("reasoning"))
    if req.get("user"):
        # Anthropic metadata holds only user_id; other IR metadata is
        # informational and dropped.
        body["metadata"] = {"user_id": req["user"]}
    if req.get("stream"):
        body["stream"] = True
    return body


def _render_system(system, response_format):
    blocks = [{"type": "text", "text": part["text"]} for part in system if part["text"]]
    instruction = _format_instruction(response_format)
    if instruction:
        blocks.append({"type": "text", "text": instruction})
    return blocks


def _format_instruction(response_format):
    kind = (response_format or {}).get("type")
    if kind == "json_object":
        return _JSON_OBJECT_INSTRUCTION
    if kind == "json_schema":
        return _JSON_SCHEMA_INSTRUCTION + json.dumps(response_format["schema"], ensure_ascii=False)
    return None


def _render_messages(messages):
    """IR messages as alternating Anthropic turns: ``tool`` messages join
    the user turn, and consecutive same-role messages merge (Anthropic
    requires alternation)."""
    turns = []
    for message in messages:
        role = "assistant" if message["role"] == "assistant" else "user"
        blocks = [block for block in map(render_block, message["content"]) if block]
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:
        # tool_result blocks must open their user turn ("Tool use", handling
        # results); sorted() is stable, so each group keeps its order.
        turn["content"].sort(key=lambda block: block["type"] != "tool_result")
    return turns


def _render_tools(body, req):
    if not req.get("tools"):
        # Anthropic rejects tool_choice without tools; with none, it means nothing.
        return
    body["tools"] = [_render_tool(tool) for tool in req["tools"]]
    choice = _render_tool_choice(req.get("tool_choice"), req.get("parallel_tool_calls"))
    if choice:
        body["tool_choice"] = choice


def _render_tool(tool):
    schema = tool.get("parameters") or {}
    rendered = {"name": tool["name"], "input_schema": {"type": "object", **schema}}
    if tool.get("description"):
        rendered["description"] = tool["description"]
    return rendered


def _render_tool_choice(choice, parallel):
    if choice is None and parallel is not False:
        return None
    kind = _CHOICE_FROM_IR[(choice or {"type": "auto"})["type"]]
    rendered = {"type": kind}
    if kind == "tool":
        rendered["name"] = choice["name"]
    if parallel is False and kind != "none":
        rendered["disable_parallel_tool_use"] = True
    return rendered


def _render_sampling(body, req):
    if req.get("temperature") is not None:
        # OpenAI allows 0..2, Anthropic 0..1.
        body["temperature"] = min(req["temperature"], 1.0)
    elif req.get("top_p") is not None:
        # Claude 4.1 and later answer 400 "temperature and top_p cannot both
        # be specified"; temperature is the knob clients mean (OpenAI SDKs
        # often send top_p=1 as a default), so top_p goes.
        body["top_p"] = req["top_p"]
    if req.get("top_k") is not None:
        body["top_k"] = req["top_k"]
    if req.get("stop"):
        body["stop_sequences"] = list(req["stop"])
