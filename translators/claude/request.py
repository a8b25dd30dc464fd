"""Anthropic Messages requests (``POST /v1/messages``) <-> IR requests."""
import copy
import json

from translators import history, ir, reminder, tool_memo, turn_memo
from translators.dropped import dropped, unread_keys
from translators.tool_schema import with_properties
from translators.ir import TranslationError, with_cache_mark

from .content import (UNMARKABLE, blocks_of, parse_block, parse_tool_result, parse_tool_use,
                      render_block, render_tool_call, render_tool_result)
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

# Top-level keys parse_request reads; any other (context_management,
# container, mcp_servers, service_tier...) steers Anthropic's own servers
# and is dropped with a debug line (README, "Never refuse the unseen").
_READ = {"model", "system", "messages", "tools", "tool_choice", "max_tokens", "temperature",
         "top_p", "top_k", "stop_sequences", "output_config", "thinking", "stream", "metadata"}

# Claude Code's client metadata, sent as the first system block; it is for
# Anthropic's billing and never prompt text for another vendor's model.
_CLIENT_METADATA_PREFIX = "x-anthropic-billing-header:"

# Anthropic's server tools (web search, web fetch, code execution, tool
# search, the MCP toolset...) run inside Anthropic; no other upstream can
# run them.  Client tools with a versioned type have schemas Anthropic
# keeps to itself; the bash tool's is documented (Messages API, "Bash tool":
# ``command``, ``restart``) and becomes a function the client still runs.
# The others (text_editor_*, computer_*, memory_*) are dropped, like server
# tools, unless tool_choice forces one.
_FUNCTION_TOOL_TYPES = (None, "custom")
_BASH_SCHEMA = {"type": "object", "properties": {
    "command": {"type": "string", "description": "The bash command to run."},
    "restart": {"type": "boolean", "description": "Restart the bash session instead."}}}
_BASH_DESCRIPTION = ("Run a command in a persistent bash session on the user's machine "
                     "and return its output.")


def parse_request(body):
    """An Anthropic Messages request body as an IR request."""
    unread_keys("claude", body, _READ)
    req = ir.new_request(body.get("model"))
    req["system"] = _parse_system(body.get("system"))
    hoisted, req["messages"] = turn_memo.parsed(
        "claude", body.get("messages") or [], _round_starts, _round_name, _parse_round,
        last_wins=True)
    req["system"] += hoisted
    req["tools"] = tool_memo.parsed("claude", body.get("tools") or [], _parse_tools)
    req["tool_choice"], req["parallel_tool_calls"] = _parse_tool_choice(body.get("tool_choice"))
    _check_forced_tool(req["tool_choice"], req["tools"])
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
    """Text parts of ``system`` (a string or text blocks), cache marks kept."""
    if not system:
        return []
    parts = []
    for block in blocks_of(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            dropped("claude", f"system block {_kind(block)!r}")
            continue
        text = _without_client_metadata(block.get("text") or "")
        if text:
            parts.append(with_cache_mark(ir.text(text), block))
    return parts


def _without_client_metadata(text):
    """System text without a leading client-metadata line (the whole block,
    as Claude Code sends it, or the first line of a longer string)."""
    if not text.startswith(_CLIENT_METADATA_PREFIX):
        return text
    dropped("claude", "client metadata system text (x-anthropic-billing-header)")
    return text.partition("\n")[2].lstrip("\n")


def _kind(value):
    return value.get("type") if isinstance(value, dict) else type(value).__name__


def _parse_round(messages):
    """``(the system messages it opens with, IR messages)`` of ``messages``."""
    hoisted = []
    return hoisted, _parse_messages(messages, hoisted)


# Where the history's rounds start (``translators.turn_memo``): at each
# assistant message that follows a user message.
_round_starts = turn_memo.assistant_after("user")


def _round_name(messages):
    """The id of a round's first tool_use block, or None."""
    for message in messages:
        content = message.get("content") if message.get("role") == "assistant" else None
        if type(content) is list:
            for block in content:
                if type(block) is dict and block.get("type") == "tool_use":
                    return block.get("id")
    return None


def _parse_messages(messages, system):
    """IR messages; ``role: "system"`` messages (Anthropic's mid-conversation
    system messages, which Claude Code sends) before the first turn join
    ``system``, later ones stay in place as IR system messages.

    A user turn's tool_result blocks become IR ``tool`` messages, the rest
    stays a ``user`` message, in the order they came; each result is named
    after the tool_use it answers (the last one with its id), once all are read.
    """
    out = []
    names, results = {}, []
    for message in messages:
        if not isinstance(message, dict):
            raise TranslationError("every message must be an object")
        role = message.get("role")
        if role == "system":
            parts = _parse_system(message.get("content"))
            if not out:
                system.extend(parts)
            elif parts:
                out.append({"role": "system", "content": parts})
            continue
        if role not in ("user", "assistant"):
            dropped("claude", f"message with role {role!r}")
            continue
        turn = None
        content = message.get("content")
        for block in content if type(content) is list else blocks_of(content):
            # The blocks of every turn (text, a call, a result) are read
            # here, the rest by parse_block: the same parts either way.
            kind = block.get("type") if type(block) is dict else None
            if kind == "text":
                part = {"type": "text", "text": block.get("text") or ""}
            elif kind == "tool_use":
                part = parse_tool_use(block)
                kind = "tool_call"
            elif kind == "tool_result":
                part = parse_tool_result(block)
            else:
                part = parse_block(block)
                if part is None:
                    continue
                kind = part["type"]
            if "cache_control" in block and block["cache_control"]:
                # (parse_block has carried it over already; again is the same)
                part["cache_control"] = block["cache_control"]
            if kind == "tool_result":
                results.append(part)
                part_role = "tool"
            else:
                if kind == "tool_call":
                    names[part["id"]] = part["name"]
                part_role = role
            if turn is not None and turn["role"] == part_role:
                turn["content"].append(part)
            else:
                turn = {"role": part_role, "content": [part]}
                out.append(turn)
        if turn is None:
            out.append({"role": role, "content": []})
    for result in results:
        result["name"] = names.get(result["tool_call_id"])
    return out


def _parse_tools(tools):
    parsed = []
    for tool in tools:
        if not isinstance(tool, dict):
            raise TranslationError("every tool must be an object")
        if str(tool.get("type")).startswith("bash_"):
            parsed.append({"name": tool.get("name") or "bash", "description": _BASH_DESCRIPTION,
                           "parameters": copy.deepcopy(_BASH_SCHEMA)})
            continue
        if tool.get("type") not in _FUNCTION_TOOL_TYPES:
            dropped("claude", f"tool {tool.get('name')!r} of type {tool.get('type')!r}")
            continue
        parsed.append(with_cache_mark(
            {"name": tool.get("name"), "description": tool.get("description"),
             "parameters": tool.get("input_schema") or {"type": "object", "properties": {}}},
            tool))
    return parsed


def _check_forced_tool(choice, tools):
    """Refuse a tool_choice naming a tool that was dropped: answering
    without it would silently not be what the client forced."""
    if choice and choice["type"] == "tool" and choice["name"] not in {t["name"] for t in tools}:
        raise TranslationError(f"tool_choice forces {choice['name']!r}, a tool that only "
                               "Anthropic can run (or that was not declared)")


def _parse_tool_choice(choice):
    if not choice:
        return None, None
    parallel = False if choice.get("disable_parallel_tool_use") else None
    # {"disable_parallel_tool_use": true} alone is valid Anthropic: auto.
    kind = choice.get("type") or "auto"
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
            # Anthropic requires at least one message; a request that is only
            # a system prompt gets the smallest user turn that starts the answer.
            "messages": None}
    body["messages"], marks = turn_memo.rendered("claude", history.repair(req["messages"]),
                                                  _render_messages, merges=True)
    body["messages"] = body["messages"] or [_OPENING_TURN]
    system = _render_system(req.get("system") or [], req.get("response_format"))
    if system:
        body["system"] = system
    _render_tools(body, req)
    _limit_cache_marks(body, marks)
    _render_sampling(body, req)
    apply_thinking(body, req.get("reasoning"))
    if req.get("user"):
        # Anthropic metadata holds only user_id; other IR metadata is
        # informational and dropped.
        body["metadata"] = {"user_id": req["user"]}
    if req.get("stream"):
        body["stream"] = True
    return body


_OPENING_TURN = {"role": "user", "content": [{"type": "text", "text": "Begin."}]}

# Anthropic refuses a request with more than four cache_control breakpoints.
_MAX_CACHE_MARKS = 4


def _limit_cache_marks(body, message_marks):
    """Keep the last four cache marks, in prompt order (tools, system,
    messages): the later a breakpoint, the longer the prefix it caches.
    ``message_marks``: how many the messages carry (the messages are only
    walked to find them when there are too many)."""
    marked = [block for block in body.get("tools", []) + body.get("system", [])
              if "cache_control" in block]
    if len(marked) + message_marks <= _MAX_CACHE_MARKS:
        return
    marked += [block for turn in body["messages"] for block in turn["content"]
               if "cache_control" in block]
    surplus = marked[:-_MAX_CACHE_MARKS]
    tools = body.get("tools") or []
    shared = {id(block) for block in tools}
    unmark = {id(block) for block in surplus if id(block) in shared}
    if unmark:
        # The rendered tool list may be shared (``translators.tool_memo``):
        # its blocks lose their marks in copies.
        body["tools"] = [{k: v for k, v in block.items() if k != "cache_control"}
                         if id(block) in unmark else block for block in tools]
    for block in surplus:
        if id(block) not in shared:
            del block["cache_control"]
        dropped("claude", "a cache_control mark beyond Anthropic's four")


def _render_system(system, response_format):
    blocks = [block for block in map(render_block, system) if block]
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
    """IR messages as alternating Anthropic turns: ``tool`` and ``system``
    messages join the user turn, and consecutive same-role messages merge
    (Anthropic requires alternation).  ``(turns, how many of their blocks
    carry a cache mark)``."""
    turns, marks, with_results = [], 0, []
    for message in messages:
        role = "assistant" if message["role"] == "assistant" else "user"
        content = message["content"]
        if message["role"] == "system":
            content = [reminder.as_user_text(part) for part in content]
        blocks, results = [], False
        for part in content:
            # The parts of every turn (text, a call, a result) are written
            # here, the rest by render_block: the same blocks either way.
            kind = part["type"]
            if kind == "tool_call":
                block = render_tool_call(part)
            elif kind == "tool_result":
                block = render_tool_result(part)
                results = True
            elif kind == "text":
                block = {"type": "text", "text": part["text"]} if part["text"] else None
            else:
                block = render_block(part)
            if block:
                if "cache_control" in part and part["cache_control"] \
                        and block["type"] not in UNMARKABLE:
                    # (render_block has carried it over already; again is the same)
                    block["cache_control"] = part["cache_control"]
                    marks += 1
                blocks.append(block)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
        if results:
            with_results.append(turns[-1])
    for turn in with_results:
        # tool_result blocks must open their user turn ("Tool use", handling
        # results); each group keeps its order.
        content = turn["content"]
        if len(content) < 2:
            continue
        results = [block for block in content if block["type"] == "tool_result"]
        if results and len(results) < len(content):
            turn["content"] = results + [b for b in content if b["type"] != "tool_result"]
    return turns, marks


def _render_tools(body, req):
    if not req.get("tools"):
        # Anthropic rejects tool_choice without tools; with none, it means nothing.
        return
    body["tools"] = tool_memo.rendered("claude", req["tools"], _rendered_tools)
    choice = _render_tool_choice(req.get("tool_choice"), req.get("parallel_tool_calls"))
    if choice:
        body["tool_choice"] = choice


def _rendered_tools(tools):
    rendered = [_render_tool(tool) for tool in tools]
    for block, tool in zip(rendered, tools):
        if tool.get("cache_control"):
            block["cache_control"] = tool["cache_control"]
    return rendered


def _render_tool(tool):
    schema = tool.get("parameters") or {}
    rendered = {"name": tool["name"],
                "input_schema": with_properties({"type": "object", **schema})}
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
