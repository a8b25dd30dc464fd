"""What the fake upstream answers, in each provider's real wire format.

Shapes follow the providers' API references (OpenAI Chat Completions and
Responses, Anthropic Messages, Gemini generateContent), event for event.
The answer depends on the request so tool round trips work:

- tools offered and no tool result yet -> call the first tool with
  ``{"city": "Paris"}`` (or, given ``tool_calls`` ``{name: arguments}``,
  the first offered tool named there, with those arguments: how a real
  CLI is made to run one of its own tools);
- a tool result in the last turn -> ``"The tool said: <result text>"``;
- otherwise -> ``"Hello from <dialect>"``.

Usage is fixed so tests can check it end to end: ``USAGE`` in IR meaning.
"""
import json

USAGE = {"input_tokens": 20, "output_tokens": 9, "cached_tokens": 5,
         "cache_creation_tokens": 0, "reasoning_tokens": 3}
TOOL_ARGS = {"city": "Paris"}


# --- reading the request -------------------------------------------------

def _text_of(content):
    if isinstance(content, str):
        return content
    out = []
    for part in content or []:
        if isinstance(part, dict):
            out.append(part.get("text") or _text_of(part.get("content"))
                       or _text_of(part.get("output")) or "")
    return "".join(out)


def plan(dialect, body, tool_calls=None):
    """``("tool", name, arguments)`` or ``("text", text, None)`` for a request."""
    tools, result = _tools_and_result(dialect, body)
    if result is not None:
        return "text", f"The tool said: {result}", None
    if tool_calls is not None:
        tools = [name for name in tools if name in tool_calls]
    if tools:
        return "tool", tools[0], (tool_calls or {}).get(tools[0], TOOL_ARGS)
    return "text", f"Hello from {dialect}", None


def _tools_and_result(dialect, body):
    if dialect == "openai":
        tools = [t["function"]["name"] for t in body.get("tools") or []]
        last = (body.get("messages") or [{}])[-1]
        return tools, _text_of(last.get("content")) if last.get("role") == "tool" else None
    if dialect == "responses":
        tools = [t["name"] for t in body.get("tools") or [] if t.get("type") == "function"]
        items = body.get("input") if isinstance(body.get("input"), list) else []
        outputs = [i for i in items if i.get("type") == "function_call_output"]
        last_is_output = items and items[-1].get("type") == "function_call_output"
        return tools, _text_of(outputs[-1]["output"]) if last_is_output else None
    if dialect == "claude":
        tools = [t["name"] for t in body.get("tools") or []]
        # Claude Code may append a mid-conversation system message after the user turn
        turns = [m for m in body.get("messages") or [] if m.get("role") != "system"]
        content = (turns or [{}])[-1].get("content")
        results = [b for b in content if b.get("type") == "tool_result"] if isinstance(content, list) else []
        return tools, _text_of(results[-1].get("content")) if results else None
    tools = [d["name"] for t in body.get("tools") or [] for d in t.get("functionDeclarations") or []]
    last = (body.get("contents") or [{}])[-1]
    responses = [p["functionResponse"] for p in last.get("parts") or [] if "functionResponse" in p]
    return tools, json.dumps(responses[-1].get("response")) if responses else None


# --- whole responses -----------------------------------------------------

def whole(dialect, body, model, tool_calls=None):
    kind, value, args = plan(dialect, body, tool_calls)
    return {"openai": _openai, "responses": _responses, "claude": _claude,
            "gemini": _gemini}[dialect](kind, value, model, args)


def _openai_usage():
    u = USAGE
    return {"prompt_tokens": u["input_tokens"], "completion_tokens": u["output_tokens"],
            "total_tokens": u["input_tokens"] + u["output_tokens"],
            "prompt_tokens_details": {"cached_tokens": u["cached_tokens"]},
            "completion_tokens_details": {"reasoning_tokens": u["reasoning_tokens"]}}


def _openai(kind, value, model, args=None):
    message = {"role": "assistant", "content": value if kind == "text" else None,
               "refusal": None}
    if kind == "tool":
        message["tool_calls"] = [{"id": "call_fake1", "type": "function",
                                  "function": {"name": value, "arguments": json.dumps(args)}}]
    return {"id": "chatcmpl-fake1", "object": "chat.completion", "created": 1700000000,
            "model": model, "choices": [{"index": 0, "message": message, "logprobs": None,
                                         "finish_reason": "tool_calls" if kind == "tool" else "stop"}],
            "usage": _openai_usage()}


def _responses_usage():
    u = USAGE
    return {"input_tokens": u["input_tokens"], "output_tokens": u["output_tokens"],
            "total_tokens": u["input_tokens"] + u["output_tokens"],
            "input_tokens_details": {"cached_tokens": u["cached_tokens"]},
            "output_tokens_details": {"reasoning_tokens": u["reasoning_tokens"]}}


def _responses_item(kind, value, args=None):
    if kind == "tool":
        return {"type": "function_call", "id": "fc_fake1", "call_id": "call_fake1",
                "name": value, "arguments": json.dumps(args), "status": "completed"}
    return {"type": "message", "id": "msg_fake1", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": value, "annotations": []}]}


def _responses_object(model, status, output, usage):
    return {"id": "resp_fake1", "object": "response", "created_at": 1700000000,
            "status": status, "model": model, "output": output, "usage": usage,
            "error": None, "incomplete_details": None, "instructions": None,
            "metadata": {}, "parallel_tool_calls": True, "temperature": 1.0,
            "tool_choice": "auto", "tools": [], "top_p": 1.0}


def _responses(kind, value, model, args=None):
    return _responses_object(model, "completed", [_responses_item(kind, value, args)],
                             _responses_usage())


def _claude_usage():
    u = USAGE
    return {"input_tokens": u["input_tokens"] - u["cached_tokens"],
            "cache_read_input_tokens": u["cached_tokens"],
            "cache_creation_input_tokens": 0, "output_tokens": u["output_tokens"]}


def _claude(kind, value, model, args=None):
    block = ({"type": "tool_use", "id": "toolu_fake1", "name": value, "input": args}
             if kind == "tool" else {"type": "text", "text": value})
    return {"id": "msg_fake1", "type": "message", "role": "assistant", "model": model,
            "content": [block], "stop_reason": "tool_use" if kind == "tool" else "end_turn",
            "stop_sequence": None, "usage": _claude_usage()}


def _gemini_usage():
    u = USAGE
    return {"promptTokenCount": u["input_tokens"],
            "candidatesTokenCount": u["output_tokens"] - u["reasoning_tokens"],
            "thoughtsTokenCount": u["reasoning_tokens"],
            "cachedContentTokenCount": u["cached_tokens"],
            "totalTokenCount": u["input_tokens"] + u["output_tokens"]}


GEMINI_SIGNATURE = "c2lnbmF0dXJlLW9mLXRoZS1jYWxs"   # base64, as Gemini 3 sends


def _gemini_part(kind, value, args=None):
    if kind == "tool":
        return {"functionCall": {"name": value, "args": args},
                "thoughtSignature": GEMINI_SIGNATURE}
    return {"text": value}


def _gemini(kind, value, model, args=None):
    return {"candidates": [{"content": {"role": "model", "parts": [_gemini_part(kind, value, args)]},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": _gemini_usage(), "modelVersion": model, "responseId": "fake-resp-1"}


# --- streams: lists of (event name | None, payload) ----------------------

def stream(dialect, body, model, tool_calls=None):
    kind, value, args = plan(dialect, body, tool_calls)
    return {"openai": _openai_stream, "responses": _responses_stream,
            "claude": _claude_stream, "gemini": _gemini_stream}[dialect](kind, value, model, body,
                                                                          args)


def _words(text):
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


def _openai_stream(kind, value, model, body, args):
    def chunk(delta, finish=None):
        return None, {"id": "chatcmpl-fake1", "object": "chat.completion.chunk",
                      "created": 1700000000, "model": model,
                      "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                   "finish_reason": finish}]}
    events = [chunk({"role": "assistant", "content": ""})]
    if kind == "tool":
        args = json.dumps(args)
        events.append(chunk({"tool_calls": [{"index": 0, "id": "call_fake1", "type": "function",
                                             "function": {"name": value, "arguments": ""}}]}))
        events += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                   for piece in (args[:8], args[8:])]
        events.append(chunk({}, "tool_calls"))
    else:
        events += [chunk({"content": w}) for w in _words(value)]
        events.append(chunk({}, "stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append((None, {"id": "chatcmpl-fake1", "object": "chat.completion.chunk",
                              "created": 1700000000, "model": model, "choices": [],
                              "usage": _openai_usage()}))
    return events + [(None, "[DONE]")]


def _responses_stream(kind, value, model, body, args):
    seq = iter(range(1000))
    def ev(type_, **fields):
        return type_, dict(type=type_, sequence_number=next(seq), **fields)
    start = _responses_object(model, "in_progress", [], None)
    item = _responses_item(kind, value, args)
    events = [ev("response.created", response=start), ev("response.in_progress", response=start)]
    if kind == "tool":
        added = dict(item, arguments="", status="in_progress")
        events += [ev("response.output_item.added", output_index=0, item=added),
                   ev("response.function_call_arguments.delta", item_id="fc_fake1",
                      output_index=0, delta=item["arguments"]),
                   ev("response.function_call_arguments.done", item_id="fc_fake1",
                      output_index=0, arguments=item["arguments"], name=value)]
    else:
        part = {"type": "output_text", "text": "", "annotations": []}
        events += [ev("response.output_item.added", output_index=0,
                      item=dict(item, content=[], status="in_progress")),
                   ev("response.content_part.added", item_id="msg_fake1", output_index=0,
                      content_index=0, part=part)]
        events += [ev("response.output_text.delta", item_id="msg_fake1", output_index=0,
                      content_index=0, delta=w, logprobs=[]) for w in _words(value)]
        events += [ev("response.output_text.done", item_id="msg_fake1", output_index=0,
                      content_index=0, text=value, logprobs=[]),
                   ev("response.content_part.done", item_id="msg_fake1", output_index=0,
                      content_index=0, part=dict(part, text=value))]
    events.append(ev("response.output_item.done", output_index=0, item=item))
    final = _responses_object(model, "completed", [item], _responses_usage())
    return events + [ev("response.completed", response=final)]


def _claude_stream(kind, value, model, body, args):
    usage = _claude_usage()
    start = {"id": "msg_fake1", "type": "message", "role": "assistant", "model": model,
             "content": [], "stop_reason": None, "stop_sequence": None,
             "usage": dict(usage, output_tokens=1)}
    events = [("message_start", {"type": "message_start", "message": start}),
              ("ping", {"type": "ping"})]
    if kind == "tool":
        args = json.dumps(args)
        events.append(("content_block_start", {"type": "content_block_start", "index": 0,
                       "content_block": {"type": "tool_use", "id": "toolu_fake1",
                                         "name": value, "input": {}}}))
        events += [("content_block_delta", {"type": "content_block_delta", "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": piece}})
                   for piece in (args[:8], args[8:])]
    else:
        events.append(("content_block_start", {"type": "content_block_start", "index": 0,
                       "content_block": {"type": "text", "text": ""}}))
        events += [("content_block_delta", {"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": w}}) for w in _words(value)]
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    events.append(("message_delta", {"type": "message_delta",
                   "delta": {"stop_reason": "tool_use" if kind == "tool" else "end_turn",
                             "stop_sequence": None}, "usage": usage}))
    return events + [("message_stop", {"type": "message_stop"})]


def _gemini_stream(kind, value, model, body, args):
    def chunk(parts, finish=None, usage=None):
        cand = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish:
            cand["finishReason"] = finish
        out = {"candidates": [cand], "modelVersion": model, "responseId": "fake-resp-1"}
        if usage:
            out["usageMetadata"] = usage
        return None, out
    if kind == "tool":
        return [chunk([_gemini_part(kind, value, args)], "STOP", _gemini_usage())]
    words = _words(value)
    events = [chunk([{"text": w}]) for w in words[:-1]]
    return events + [chunk([{"text": words[-1]}], "STOP", _gemini_usage())]


def count(dialect):
    """Answers of the count-tokens endpoints."""
    if dialect == "gemini":
        return {"totalTokens": 42}
    if dialect == "responses":
        return {"object": "response.input_tokens", "input_tokens": 42}
    return {"input_tokens": 42}
