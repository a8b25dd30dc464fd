"""The mock upstream's answers, in each provider's real wire format.

Pure functions: a dialect, a model name and a token count in, bytes out.
The shapes follow the official SDKs' pydantic types (``openai.types.chat``,
``openai.types.responses``, ``anthropic.types``, ``google.genai.types``);
``bench/tests/test_wire.py`` parses them with those SDKs.

Every generated token is ``tokNNN `` (three digits), so a load generator can
time each token's arrival whatever dialect a proxy translated it into.
"""
import json

PROMPT_TOKENS = 12
CREATED = 1700000000

# The SSE terminator a client of each dialect sees last; Gemini has none, so
# its final chunk is recognised by its finishReason.
TERMINATORS = {
    "openai": b"[DONE]",
    "responses": b"response.completed",
    "claude": b"message_stop",
    "gemini": b'"finishReason"',
}

# What marks an event carrying one token's text in each dialect's stream
# (closing events such as Responses' ``response.output_text.done`` repeat the
# whole text and are no token events).
DELTAS = {
    "openai": b'"delta"',
    "responses": b"response.output_text.delta",
    "claude": b"content_block_delta",
    "gemini": b'"parts"',
}


def token(i):
    return f"tok{i:03d} "


def full_text(n):
    return "".join(token(i) for i in range(n))


def tokens_for_text(size):
    """How many tokens make an answer text of at least ``size`` bytes."""
    n = length = 0
    while length < size:
        length += len(token(n))
        n += 1
    return n


def _json(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def sse(data, event=None, sep=b"\n\n"):
    """One SSE event; ``data`` a dict (JSON-encoded) or a verbatim str."""
    payload = data.encode() if isinstance(data, str) else _json(data)
    head = b"event: " + event.encode() + b"\n" if event else b""
    return head + b"data: " + payload + sep


# --- whole responses ---------------------------------------------------------

def whole(dialect, model, n):
    """The body of a non-streamed answer of ``n`` tokens."""
    return _json(_WHOLE[dialect](model, n))


def _openai_usage(n):
    return {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": n,
            "total_tokens": PROMPT_TOKENS + n,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}}


def _openai_whole(model, n):
    message = {"role": "assistant", "content": full_text(n), "refusal": None,
               "annotations": []}
    return {"id": "chatcmpl-bench", "object": "chat.completion", "created": CREATED,
            "model": model, "system_fingerprint": None, "service_tier": "default",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "stop"}],
            "usage": _openai_usage(n)}


def _responses_message(text, status):
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    return {"id": "msg_bench", "type": "message", "status": status,
            "role": "assistant", "content": content if text is not None else []}


def _responses_object(model, n, status):
    done = status == "completed"
    usage = {"input_tokens": PROMPT_TOKENS, "input_tokens_details": {"cached_tokens": 0},
             "output_tokens": n, "output_tokens_details": {"reasoning_tokens": 0},
             "total_tokens": PROMPT_TOKENS + n}
    return {"id": "resp_bench", "object": "response", "created_at": CREATED,
            "status": status, "error": None, "incomplete_details": None,
            "instructions": None, "max_output_tokens": None, "model": model,
            "output": [_responses_message(full_text(n), "completed")] if done else [],
            "parallel_tool_calls": True, "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None}, "store": False,
            "temperature": 1.0, "text": {"format": {"type": "text"}},
            "tool_choice": "auto", "tools": [], "top_p": 1.0, "truncation": "disabled",
            "usage": usage if done else None, "metadata": {}}


def _responses_whole(model, n):
    return _responses_object(model, n, "completed")


def _claude_usage(output_tokens):
    return {"input_tokens": PROMPT_TOKENS, "output_tokens": output_tokens,
            "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}


def _claude_message(model, text, stop_reason, output_tokens):
    content = [{"type": "text", "text": text}] if text is not None else []
    return {"id": "msg_bench", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": stop_reason, "stop_sequence": None,
            "usage": _claude_usage(output_tokens)}


def _claude_whole(model, n):
    return _claude_message(model, full_text(n), "end_turn", n)


def _gemini_chunk(model, text, n, finish):
    candidate = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
    usage = {"promptTokenCount": PROMPT_TOKENS, "totalTokenCount": PROMPT_TOKENS}
    if finish:
        candidate["finishReason"] = "STOP"
        usage = {"promptTokenCount": PROMPT_TOKENS, "candidatesTokenCount": n,
                 "totalTokenCount": PROMPT_TOKENS + n}
    return {"candidates": [candidate], "usageMetadata": usage,
            "modelVersion": model, "responseId": "bench"}


def _gemini_whole(model, n):
    return _gemini_chunk(model, full_text(n), n, True)


_WHOLE = {"openai": _openai_whole, "responses": _responses_whole,
          "claude": _claude_whole, "gemini": _gemini_whole}


# --- streams -----------------------------------------------------------------

def stream(dialect, model, n, include_usage=False):
    """A streamed answer as ``(preamble, tokens, closing)``: lists of SSE
    events.  ``tokens`` holds one event per token, so the mock can pace them."""
    if dialect == "openai":
        return _openai_stream(model, n, include_usage)
    return _STREAMS[dialect](model, n)


def _openai_chunk(model, delta, finish_reason=None):
    return {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": CREATED,
            "model": model, "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None,
                         "finish_reason": finish_reason}]}


def _openai_stream(model, n, include_usage):
    preamble = [sse(_openai_chunk(model, {"role": "assistant", "content": "",
                                          "refusal": None}))]
    tokens = [sse(_openai_chunk(model, {"content": token(i)})) for i in range(n)]
    closing = [sse(_openai_chunk(model, {}, "stop"))]
    if include_usage:
        # stream_options.include_usage: one extra chunk, empty choices
        # (OpenAI API reference, "Streaming" / chat.completion.chunk usage).
        last = _openai_chunk(model, {})
        last.update(choices=[], usage=_openai_usage(n))
        closing.append(sse(last))
    return preamble, tokens, closing + [sse("[DONE]")]


class _Sequenced:
    """Responses events each carry a running ``sequence_number``."""

    def __init__(self):
        self.number = 0

    def __call__(self, event_type, **fields):
        event = {"type": event_type, "sequence_number": self.number, **fields}
        self.number += 1
        return sse(event, event_type)


def _responses_stream(model, n):
    ev = _Sequenced()
    where = {"item_id": "msg_bench", "output_index": 0}
    part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    preamble = [
        ev("response.created", response=_responses_object(model, n, "in_progress")),
        ev("response.in_progress", response=_responses_object(model, n, "in_progress")),
        ev("response.output_item.added", output_index=0,
           item=_responses_message(None, "in_progress")),
        ev("response.content_part.added", content_index=0, part=part, **where),
    ]
    tokens = [ev("response.output_text.delta", content_index=0, delta=token(i),
                 logprobs=[], **where) for i in range(n)]
    text = full_text(n)
    closing = [
        ev("response.output_text.done", content_index=0, text=text, logprobs=[], **where),
        ev("response.content_part.done", content_index=0, part=dict(part, text=text), **where),
        ev("response.output_item.done", output_index=0,
           item=_responses_message(text, "completed")),
        ev("response.completed", response=_responses_object(model, n, "completed")),
    ]
    return preamble, tokens, closing


def _claude_stream(model, n):
    def ev(event_type, **fields):
        return sse({"type": event_type, **fields}, event_type)

    preamble = [
        ev("message_start", message=_claude_message(model, None, None, 1)),
        ev("content_block_start", index=0, content_block={"type": "text", "text": ""}),
        ev("ping"),
    ]
    tokens = [ev("content_block_delta", index=0,
                 delta={"type": "text_delta", "text": token(i)}) for i in range(n)]
    closing = [
        ev("content_block_stop", index=0),
        ev("message_delta", delta={"stop_reason": "end_turn", "stop_sequence": None},
           usage={"output_tokens": n}),
        ev("message_stop"),
    ]
    return preamble, tokens, closing


def _gemini_stream(model, n):
    # streamGenerateContent?alt=sse frames events with CRLF pairs, and every
    # chunk is a whole GenerateContentResponse; the last carries finishReason.
    crlf = b"\r\n\r\n"
    tokens = [sse(_gemini_chunk(model, token(i), n, i == n - 1), sep=crlf)
              for i in range(n)]
    return [], tokens, []


_STREAMS = {"responses": _responses_stream, "claude": _claude_stream,
            "gemini": _gemini_stream}
