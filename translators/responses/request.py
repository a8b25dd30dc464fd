"""Requests: a Responses ``POST /v1/responses`` body <-> the IR request.

Field names follow the API reference ("Responses > Create") and the
openai SDK's ``ResponseCreateParams``.  Tools are translated in
``tools.py``, which says what becomes of the ones only OpenAI has.
"""
from translators import history, prefill, tool_memo, turn_memo
from translators.dropped import unread_keys
from translators.ir import TranslationError, new_request, text
from translators.reasoning import budget_for_effort, effort_for_budget

from .items import parse_input, render_input, round_name, round_starts
from .tools import parse_tool_choice, parse_tools, render_tool_choice, render_tools

# Features that live in OpenAI's own storage: a stateless gateway in front of
# another provider has nothing to resolve them against.
_STATEFUL = {
    "previous_response_id": "previous_response_id needs conversation state stored by "
                            "OpenAI, which this gateway does not keep; send the whole "
                            "conversation in input instead (the full history, as Codex "
                            "CLI does by default)",
    "conversation": "conversation needs state stored by OpenAI; send the whole "
                    "conversation in input instead",
    "prompt": "prompt templates are stored by OpenAI; send instructions and input instead",
    "background": "background responses are stored and polled at OpenAI; "
                  "use a normal or streamed request",
}


# Top-level keys parse_request reads; any other (store, include,
# prompt_cache_key, service_tier, truncation, context_management...) is
# dropped with a debug line.
_READ = {"model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls",
         "max_output_tokens", "temperature", "top_p", "reasoning", "text", "stream",
         "user", "safety_identifier", "metadata", *_STATEFUL}


def parse_request(body):
    """The IR of a client's Responses request body."""
    for field, message in _STATEFUL.items():
        if body.get(field):
            raise TranslationError(message)
    unread_keys("responses", body, _READ)
    ir = new_request(body.get("model"))
    system, ir["messages"] = turn_memo.parsed(
        "responses", body.get("input"), round_starts, round_name, parse_input,
        last_wins=True)
    instructions = body.get("instructions")
    ir["system"] = ([text(instructions)] if instructions else []) + system
    ir["tools"] = tool_memo.parsed("responses", body.get("tools"), parse_tools)
    ir["tool_choice"] = parse_tool_choice(body.get("tool_choice"),
                                          offered=bool(body.get("tools")), tools=ir["tools"])
    ir["parallel_tool_calls"] = body.get("parallel_tool_calls")
    ir["max_tokens"] = body.get("max_output_tokens")
    ir["temperature"] = body.get("temperature")
    ir["top_p"] = body.get("top_p")
    ir["reasoning"] = _parse_reasoning(body.get("reasoning"))
    ir["response_format"] = _parse_format((body.get("text") or {}).get("format"))
    ir["stream"] = bool(body.get("stream"))
    # A Responses stream always ends with usage, so the client expects it.
    ir["include_usage"] = True
    ir["user"] = body.get("user") or body.get("safety_identifier")
    ir["metadata"] = body.get("metadata")
    # Dropped as harmless (Codex CLI sends them all): store and include
    # (nothing is stored across dialects, and reasoning.encrypted_content is
    # OpenAI's own state), prompt_cache_key (OpenAI's cache routing hint;
    # other providers cache by prefix on their own), service_tier (an OpenAI
    # billing tier), truncation, top_logprobs and text.verbosity (no
    # counterpart elsewhere).
    return ir


def _parse_reasoning(reasoning):
    if not reasoning:
        return None
    effort = reasoning.get("effort")
    # ``generate_summary`` is the deprecated spelling of ``summary``.
    summary = reasoning.get("summary") or reasoning.get("generate_summary")
    if effort is None and summary is None:
        return None
    return {"effort": effort, "budget_tokens": budget_for_effort(effort) if effort else None,
            "summary": summary, "enabled": effort != "none"}


def _parse_format(fmt):
    if not fmt:
        return None
    kind = fmt.get("type")
    if kind in ("text", "json_object"):
        return {"type": kind}
    if kind == "json_schema":
        return {"type": "json_schema", "name": fmt.get("name"),
                "schema": fmt.get("schema") or {}, "strict": fmt.get("strict")}
    raise TranslationError(f"text.format type {kind!r} cannot be translated")


def render_request(ir, model):
    """A Responses request body for upstream ``model``."""
    if ir["stop"]:
        raise TranslationError("the Responses API has no stop sequences")
    if (ir["n"] or 1) > 1:
        raise TranslationError("the Responses API returns one answer per request (n must be 1)")
    messages = prefill.as_instruction(history.repair(ir["messages"]))
    body = {"model": model, "input": render_input(messages, ir["tools"])}
    if ir["system"]:
        body["instructions"] = "\n\n".join(part["text"] for part in ir["system"])
    if ir["tools"]:
        body.update(_render_tools(ir))
    _copy_set(ir, body)
    reasoning = _render_reasoning(ir["reasoning"])
    if reasoning:
        body["reasoning"] = reasoning
    if ir["response_format"]:
        body["text"] = {"format": _render_format(ir["response_format"])}
    if ir["stream"]:
        body["stream"] = True
    # Responses stores every response unless told not to (API reference,
    # ``store``); a client of another dialect never asked for that and could
    # not use it (parse_request refuses previous_response_id).
    body["store"] = False
    return body


def _copy_set(ir, body):
    # top_k has no Responses field; a sampling hint, harmless to drop.
    for ir_key, key in (("max_tokens", "max_output_tokens"), ("temperature", "temperature"),
                        ("top_p", "top_p"), ("user", "user"), ("metadata", "metadata")):
        if ir[ir_key] is not None:
            body[key] = ir[ir_key]


def _render_tools(ir):
    # tool_choice and parallel_tool_calls only mean something beside tools.
    out = {"tools": tool_memo.rendered("responses", ir["tools"], render_tools)}
    if ir["tool_choice"]:
        out["tool_choice"] = render_tool_choice(ir["tool_choice"], ir["tools"])
    if ir["parallel_tool_calls"] is not None:
        out["parallel_tool_calls"] = ir["parallel_tool_calls"]
    return out


def _render_reasoning(reasoning):
    if not reasoning:
        return None
    effort = reasoning.get("effort") or effort_for_budget(reasoning.get("budget_tokens"))
    if reasoning.get("enabled") is False and effort != "none":
        return None  # "off" with no effort to say so: leave the model's default
    out = {}
    if effort:
        out["effort"] = effort
    # A summary is only asked for when the client asked: OpenAI refuses
    # summaries to unverified organisations.
    if reasoning.get("summary"):
        out["summary"] = reasoning["summary"]
    return out or None


def _render_format(fmt):
    if fmt["type"] != "json_schema":
        return {"type": fmt["type"]}
    out = {"type": "json_schema", "name": fmt.get("name") or "response",
           "schema": fmt.get("schema") or {}}
    if fmt.get("strict") is not None:
        out["strict"] = fmt["strict"]
    return out
