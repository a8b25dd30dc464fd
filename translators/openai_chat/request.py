"""Chat Completions request bodies <-> IR requests.

Field names follow the API reference, "Create chat completion".  Dropped
with a debug line (``translators/dropped.py``), because they tune an answer
rather than change what it is and most dialects have no twin: ``frequency_penalty``, ``presence_penalty``,
``logit_bias``, ``logprobs`` / ``top_logprobs`` (the answer then carries
``logprobs: null``, which clients accept), ``seed``, ``store``,
``service_tier``, ``prompt_cache_key`` / ``prompt_cache_retention``,
``prediction``, ``verbosity`` and ``web_search_options`` (OpenAI's hosted
search, dropped like Responses' hosted tools).
"""
from translators import history, prefill, tool_memo, turn_memo
from translators.dropped import dropped, unread_keys
from translators.ir import TranslationError, new_request
from translators.reasoning import budget_for_effort, effort_for_budget

from .messages import parse_messages, render_messages, round_name, round_starts
from .tools import parse_tool_choice, parse_tools, render_tool_choice, render_tools

_COPIED = ("temperature", "top_p", "n", "user", "metadata")

# Top-level keys parse_request reads; any other is dropped with a debug line.
_READ = {"model", "messages", "tools", "tool_choice", "parallel_tool_calls",
         "max_completion_tokens", "max_tokens", *_COPIED, "top_k", "stop", "reasoning_effort",
         "response_format", "stream", "stream_options", "safety_identifier",
         "functions", "function_call", "audio", "modalities"}


def parse_request(body):
    """The IR of a client's ``POST /v1/chat/completions`` body."""
    _reject_untranslatable(body)
    # web_search_options asks for OpenAI's hosted search, which other
    # providers do not run: dropped like Responses' hosted tools.
    unread_keys("openai", body, _READ)
    ir = new_request(body.get("model"))
    ir["system"], ir["messages"] = turn_memo.parsed(
        "openai", body.get("messages"), round_starts, round_name, parse_messages,
        last_wins=False)
    tools = tool_memo.parsed("openai", body.get("tools"), parse_tools)
    ir["tool_choice"], ir["tools"] = parse_tool_choice(body.get("tool_choice"), tools)
    ir["parallel_tool_calls"] = body.get("parallel_tool_calls")
    ir["max_tokens"] = _first(body.get("max_completion_tokens"), body.get("max_tokens"))
    for key in _COPIED:
        ir[key] = body.get(key)
    # Not an OpenAI parameter, but vLLM-style clients send it.
    ir["top_k"] = body.get("top_k")
    ir["stop"] = _parse_stop(body.get("stop"))
    ir["reasoning"] = _parse_reasoning(body.get("reasoning_effort"))
    ir["response_format"] = _parse_response_format(body.get("response_format"))
    ir["stream"] = bool(body.get("stream"))
    ir["include_usage"] = bool((body.get("stream_options") or {}).get("include_usage"))
    ir["user"] = ir["user"] or body.get("safety_identifier")
    return ir


def _reject_untranslatable(body):
    if body.get("functions") or body.get("function_call"):
        raise TranslationError("legacy function calling (functions / function_call) "
                               "cannot be translated; use tools")
    if body.get("audio") or "audio" in (body.get("modalities") or []):
        raise TranslationError("audio output cannot be translated")


def _first(*values):
    return next((value for value in values if value is not None), None)


def _parse_stop(stop):
    if stop is None:
        return []
    return [stop] if isinstance(stop, str) else list(stop)


def _parse_reasoning(effort):
    if effort is None:
        return None
    return {"effort": effort, "budget_tokens": budget_for_effort(effort),
            "summary": None, "enabled": effort != "none"}


def _parse_response_format(response_format):
    if not response_format:
        return None
    kind = response_format.get("type")
    if kind in ("text", "json_object"):
        return {"type": kind}
    if kind == "json_schema":
        schema = response_format.get("json_schema") or {}
        return {"type": "json_schema", "name": schema.get("name"),
                "schema": schema.get("schema") or {}, "strict": schema.get("strict")}
    raise TranslationError(f"response_format type {kind!r} cannot be translated")


def render_request(ir, model):
    """A Chat Completions body for an upstream serving ``model``."""
    messages = prefill.as_instruction(history.repair(ir["messages"]))
    replay = bool(ir.get("replay_reasoning"))
    turns, _ = turn_memo.rendered(_REPLAYING if replay else _NOT_REPLAYING, messages,
                                  _turns_replaying if replay else _turns, merges=False)
    body = {"model": model, "messages": render_messages(ir["system"], ()) + turns}
    if ir["tools"]:
        # OpenAI rejects tool_choice and parallel_tool_calls without tools.
        body["tools"] = tool_memo.rendered("openai", ir["tools"], render_tools)
        _put(body, "tool_choice", render_tool_choice(ir["tool_choice"]))
        _put(body, "parallel_tool_calls", ir["parallel_tool_calls"])
    # max_tokens is deprecated and refused by o-series models (API reference).
    _put(body, "max_completion_tokens", ir["max_tokens"])
    for key in _COPIED:
        _put(body, key, ir[key])
    # top_k is dropped: OpenAI has no such parameter and rejects unknown ones.
    if ir["stop"]:
        # Chat Completions takes "up to 4 sequences" (API reference, stop).
        body["stop"] = list(ir["stop"][:4])
        if len(ir["stop"]) > 4:
            dropped("openai", f"stop sequences beyond the first four: {ir['stop'][4:]!r}")
    _put(body, "reasoning_effort", _render_effort(ir["reasoning"]))
    _put(body, "response_format", _render_response_format(ir["response_format"]))
    if ir["stream"]:
        # Always ask for the usage chunk: the gateway accounts every request;
        # the encoder shows it only to clients that asked.
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


_REPLAYING, _NOT_REPLAYING = ("openai", "replaying reasoning"), "openai"


def _turns_replaying(messages):
    return render_messages((), messages), 0


def _turns(messages):
    turns = render_messages((), messages)
    # History reasoning is another vendor's thinking or this upstream's own
    # unsigned text; only upstreams configured to take it back get it.
    for message in turns:
        if "reasoning_content" in message:
            del message["reasoning_content"]
    return turns, 0


def _put(body, key, value):
    if value is not None:
        body[key] = value


def _render_effort(reasoning):
    if not reasoning:
        return None
    if reasoning.get("effort"):
        return reasoning["effort"]
    if not reasoning.get("enabled"):
        # "Thinking off" from a budget dialect: leave the model's default
        # rather than send "none", which non-reasoning models reject.
        return None
    return effort_for_budget(reasoning.get("budget_tokens"))


def _render_response_format(response_format):
    if not response_format:
        return None
    if response_format["type"] != "json_schema":
        return {"type": response_format["type"]}
    schema = {"name": response_format.get("name") or "response",
              "schema": response_format.get("schema") or {}}
    if response_format.get("strict") is not None:
        schema["strict"] = response_format["strict"]
    return {"type": "json_schema", "json_schema": schema}
