"""The ``messages`` history: OpenAI <-> IR system parts and messages.

OpenAI interleaves instructions (``system`` / ``developer``) with the turns
and answers tool calls with one ``tool`` message per call; the IR keeps
instructions apart and groups consecutive results in one ``tool`` message.
"""
from translators import call_ids, turn_memo
from translators.dropped import dropped
from translators.ir import TranslationError, new_id, text, tool_call, with_cache_mark

from . import custom
from .content import parse_content, render_text, render_user_content

_USER_PARTS = ("text", "image_url", "file", "input_audio")
_ASSISTANT_PARTS = ("text", "refusal")
_LEGACY = "legacy function calling (functions / function_call) cannot be translated; use tools"


def parse_messages(messages):
    """``(system_parts, ir_messages)`` of an OpenAI ``messages`` list.

    ``system`` / ``developer`` messages before the first turn are the system
    prompt; later ones stay in place as IR ``system`` messages.
    """
    if not isinstance(messages, list):
        raise TranslationError("messages must be a list")
    system, out = [], []
    names = {}      # tool-call id -> tool name, of the assistant turns so far
    for message in messages:
        if not isinstance(message, dict):
            raise TranslationError("every message must be an object")
        role = message.get("role")
        if role == "assistant":         # the roles of most messages first
            parts = _marked(message, parse_assistant(message))
            for part in parts:
                if part["type"] == "tool_call":
                    names[part["id"]] = part["name"]
            out.append({"role": "assistant", "content": parts})
        elif role == "tool":
            _add_tool_result(out, message, names)
        elif role in ("system", "developer"):
            parts = _marked(message, parse_content(message.get("content"), ("text",)))
            if not out:
                system.extend(parts)
            elif parts:
                out.append({"role": "system", "content": parts})
        elif role == "user":
            out.append({"role": "user", "content": _marked(
                message, parse_content(message.get("content"), _USER_PARTS))})
        elif role == "function":
            raise TranslationError(_LEGACY)
        else:
            dropped("openai", f"message with role {role!r}")
    return system, out


# Where the history's rounds start (``translators.turn_memo``): at each
# assistant message that follows a tool message.
round_starts = turn_memo.assistant_after("tool")


def round_name(messages):
    """The id of a round's first tool call, or None."""
    for message in messages:
        calls = message.get("tool_calls") if message.get("role") == "assistant" else None
        if calls and type(calls) is list and type(calls[0]) is dict:
            return calls[0].get("id")
    return None


def _marked(message, parts):
    """A message-level ``cache_control`` (clients that target Anthropic
    through the OpenAI format put it there) marks the message's last part,
    where Anthropic expects a breakpoint."""
    if parts and message.get("cache_control"):
        with_cache_mark(parts[-1], message)
    return parts


def parse_assistant(message):
    """IR parts of an assistant message (a history turn or a response's ``message``)."""
    if message.get("function_call"):
        raise TranslationError(_LEGACY)
    parts = []
    # DeepSeek, vLLM and OpenRouter return reasoning beside ``content``
    # (``reasoning_content``, OpenRouter ``reasoning``) and take it back in history.
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        parts.append({"type": "reasoning", "text": reasoning, "signature": None})
    content = message.get("content")
    if type(content) is str:            # the usual content, read here
        if content:
            parts.append({"type": "text", "text": content})
    else:
        parts.extend(parse_content(content, _ASSISTANT_PARTS))
    if message.get("refusal"):
        parts.append(text(message["refusal"]))
    for call in message.get("tool_calls") or ():
        if type(call) is dict and call.get("type", "function") == "function":
            # the usual call, read here as parse_tool_call reads it
            function = call.get("function") or {}
            parts.append({"type": "tool_call", "id": call.get("id") or new_id("call_"),
                          "name": function.get("name"),
                          "arguments": function.get("arguments") or "{}"})
            continue
        part = parse_tool_call(call)
        if part is not None:
            parts.append(part)
    return parts


def parse_tool_call(call):
    """An IR tool_call part of one ``tool_calls`` entry (request or response);
    None for a kind of call with no IR form (dropped; its result then answers
    nothing and goes too)."""
    if not isinstance(call, dict):
        raise TranslationError("every tool call must be an object")
    if call.get("type") == custom.CUSTOM:
        return custom.parse_call(call)
    if call.get("type", "function") != "function":
        dropped("openai", f"tool call of type {call.get('type')!r}")
        return None
    function = call.get("function") or {}
    return tool_call(call.get("id") or new_id("call_"), function.get("name"),
                     function.get("arguments") or "{}")


def _add_tool_result(out, message, names):
    """Add a ``tool`` message's result to ``out``; ``names`` maps the ids
    of the calls made so far to their tool names (kept as the history is
    read: looking back over ``out`` for each result would be quadratic)."""
    call_id = message.get("tool_call_id")
    # OpenAI tool messages carry no error flag: an error is just result text.
    content = message.get("content")
    if type(content) is str:            # the usual result, read here
        content, marks = [{"type": "text", "text": content}] if content else [], None
    else:
        content = parse_content(content, ("text",))
        # A mark on the tool message or on one of its parts marks the result.
        marks = [part.pop("cache_control") for part in content if "cache_control" in part]
    mark = message.get("cache_control") or (marks[-1] if marks else None)
    result = {"type": "tool_result", "tool_call_id": call_id,
              "name": names.get(call_id), "content": content, "is_error": False}
    if mark:
        result["cache_control"] = mark
    if out and out[-1]["role"] == "tool":
        out[-1]["content"].append(result)
    else:
        out.append({"role": "tool", "content": [result]})


def render_messages(system, messages):
    """An OpenAI ``messages`` list of IR system parts and messages."""
    out = []
    if system:
        # One leading system message: several, or one mid-history, are
        # rejected by some OpenAI-compatible servers' chat templates.
        out.append({"role": "system", "content": "\n\n".join(p["text"] for p in system)})
    for message in messages:
        role = message["role"]
        # assistant and tool turns, most of an agent's history, written
        # here; the others through their renderer
        if role == "assistant":
            out.append(render_assistant(message["content"]))
        elif role == "tool":
            _render_tool(message["content"], out)
        else:
            out.extend(_RENDERERS[role](message["content"]))
    return out


def _render_system(parts):
    # OpenAI takes system messages anywhere in the history, in order.
    return [{"role": "system", "content": render_text(parts)}]


def _render_user(parts):
    return [{"role": "user", "content": render_user_content(parts)}]


def _render_assistant_turn(parts):
    return [render_assistant(parts)]


def _render_tool_turn(parts):
    out = []
    _render_tool(parts, out)
    return out


_ASSISTANT_KINDS = frozenset(("text", "reasoning", "redacted_reasoning", "tool_call"))


def render_assistant(parts, custom_names=()):
    """An assistant message (history turn or response ``message``) of IR
    parts; calls of the tools named in ``custom_names`` are custom calls."""
    texts, reasoning, called, unknown = [], [], [], None
    for part in parts:              # one pass: a history has hundreds of these
        kind = part["type"]
        if kind == "text":
            texts.append(part["text"])
        elif kind == "tool_call":
            called.append(part)
        elif kind == "reasoning":
            reasoning.append(part["text"])
        elif kind not in _ASSISTANT_KINDS:
            if unknown is None:
                unknown = set()
            unknown.add(kind)
    if unknown:
        raise TranslationError(f"an assistant turn cannot hold {', '.join(sorted(unknown))} parts")
    message = {"role": "assistant", "content": "".join(texts) or None}
    # Signatures and redacted reasoning have no OpenAI field and are dropped.
    # The text goes back as ``reasoning_content``: DeepSeek requires it after
    # tool calls (guide "Thinking Mode"); OpenAI's current models ignore it,
    # though legacy gpt-4 / gpt-3.5 rejected unknown message fields.
    if reasoning:
        reasoning = "".join(reasoning)
        if reasoning:
            message["reasoning_content"] = reasoning
    calls = [custom.render_call(p) if p["name"] in custom_names
             else {"id": _chat_id(p["id"]), "type": "function",
                   "function": {"name": p["name"], "arguments": p["arguments"]}}
             for p in called]
    if calls:
        message["tool_calls"] = calls
    elif message["content"] is None:
        message["content"] = ""
    return message


def render_tool_call(part):
    return {"id": _chat_id(part["id"]), "type": "function",
            "function": {"name": part["name"], "arguments": part["arguments"]}}


def _chat_id(call_id):
    # most ids fit already (call_ids.fit leaves those alone): no call for them
    if type(call_id) is str and len(call_id) <= call_ids.CHAT_MAX:
        return call_id
    return call_ids.fit(call_id, call_ids.CHAT_MAX)


def _render_tool(parts, out):
    """Add a tool turn's messages to ``out``.  Tool messages take text only
    (API reference); images a tool returned follow in a user message so
    the model still sees them."""
    images = None
    for part in parts:
        call_id = _chat_id(part["tool_call_id"])
        content = part["content"]
        if len(content) == 1 and content[0]["type"] == "text" \
                and type(content[0]["text"]) is str:                # the usual result
            text = content[0]["text"]
        else:
            text = render_text(content)
            if any(p["type"] == "image" for p in content):
                images = (images or []) + [p for p in content if p["type"] == "image"]
        out.append({"role": "tool", "tool_call_id": call_id, "content": text})
    if images:
        out.append({"role": "user", "content": render_user_content(images)})


_RENDERERS = {"user": _render_user, "assistant": _render_assistant_turn,
              "tool": _render_tool_turn, "system": _render_system}
