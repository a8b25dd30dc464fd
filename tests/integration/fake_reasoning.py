"""Reasoning for the fake upstream: a thinking part before each streamed
answer, and the providers' checks that a client's history carries it back.

Switched on per credential key (``fake.reason(key)``), as a reasoning
model would answer.  Streams gain, before the answer:

- Anthropic: a ``thinking`` block with a ``signature_delta`` (Messages
  streaming docs, "Streaming with thinking");
- Responses: a ``reasoning`` item with a summary, and its
  ``encrypted_content`` when the request ``include``s it;
- Chat Completions: ``reasoning_content`` deltas (DeepSeek's field);
- Gemini: a ``thought: true`` text part.

and requests are refused the way each provider refuses a history that
lost or altered that reasoning:

- Anthropic (thinking on): the last assistant turn that made tool calls
  answered in this request must start with a thinking block, and a
  thinking block's signature must be one we issued;
- Responses: a reasoning item's ``encrypted_content`` must be ours;
- Gemini: the first function call of each model turn of the current turn
  must carry its ``thoughtSignature``.
"""
import copy

THOUGHT = "Let me look at that first."
CLAUDE_SIGNATURE = "EqQBCkYIBxgCKkDfakeSignatureOfTheThinkingBlock0123456789abcdef=="
ENCRYPTED = "gAAAAABoFakeEncryptedReasoningContent0123456789abcdefghijklmnop=="
GEMINI_SIGNATURE = "c2lnbmF0dXJlLW9mLXRoZS1jYWxs"    # fake_answers' function-call signature


def _invalid(message):
    return {"type": "error", "error": {"type": "invalid_request_error", "message": message}}


def history_error(dialect, body):
    """The provider's 400 body for a history that lost our reasoning, or None."""
    check = {"claude": _claude_error, "responses": _responses_error,
             "gemini": _gemini_error}.get(dialect)
    return check(body) if check else None


def _claude_error(body):
    messages = body.get("messages") or []
    for i, message in enumerate(messages):
        for block in _blocks(message):
            if block.get("type") == "thinking" and block.get("signature") != CLAUDE_SIGNATURE:
                return _invalid(f"messages.{i}.content.0: Invalid `signature` in `thinking` block")
    if (body.get("thinking") or {}).get("type") not in ("enabled", "adaptive"):
        return None
    last_call = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"
                     and any(b.get("type") == "tool_use" for b in _blocks(m))), default=None)
    if last_call is None:
        return None
    first = (_blocks(messages[last_call]) or [{}])[0]
    if first.get("type") not in ("thinking", "redacted_thinking"):
        return _invalid(
            f"messages.{last_call}.content.0.type: Expected `thinking` or `redacted_thinking`, "
            f"but found `{first.get('type')}`. When `thinking` is enabled, a final `assistant` "
            "message must start with a thinking block (preceeding the lastmost set of "
            "`tool_use` and `tool_result` blocks). We recommend you include thinking blocks "
            "from previous turns. To avoid this requirement, disable `thinking`.")
    return None


def _blocks(message):
    content = message.get("content")
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _responses_error(body):
    items = body.get("input") if isinstance(body.get("input"), list) else []
    for item in items:
        if item.get("type") == "reasoning" and item.get("encrypted_content") not in (None, ENCRYPTED):
            return {"error": {"message": f"The encrypted content for item {item.get('id')} "
                                         "could not be verified.",
                              "type": "invalid_request_error", "param": None,
                              "code": "invalid_encrypted_content"}}
    return None


def _gemini_error(body):
    # Checked in the current turn only: the model turns after the last user
    # turn that is not just function responses (Gemini API, thought signatures).
    contents = body.get("contents") or []
    start = max((i for i, c in enumerate(contents) if c.get("role") == "user" and any(
        "functionResponse" not in p for p in c.get("parts") or [])), default=0)
    for content in contents[start:]:
        calls = [p for p in content.get("parts") or [] if "functionCall" in p]
        if content.get("role") == "model" and calls and not calls[0].get("thoughtSignature"):
            name = calls[0]["functionCall"].get("name")
            return {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": (
                "Function call is missing a thought_signature in functionCall parts. This is "
                "required for tools to work correctly, and missing thought_signature may lead "
                f"to degraded model performance. Additional data, function call `{name}`")}}
    return None


# --- streams -------------------------------------------------------------

def add_to_stream(dialect, events, body):
    """``events`` (fake_answers' stream) with a reasoning part first."""
    add = {"claude": _claude_stream, "responses": _responses_stream,
           "openai": _openai_stream, "gemini": _gemini_stream}[dialect]
    return add(copy.deepcopy(events), body)


def _claude_stream(events, body):
    for _, payload in events:
        if "index" in payload:
            payload["index"] += 1
    thinking = [
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "thinking", "thinking": "",
                                                   "signature": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "thinking_delta", "thinking": THOUGHT}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "signature_delta",
                                           "signature": CLAUDE_SIGNATURE}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ]
    return events[:2] + thinking + events[2:]          # after message_start and ping


def _responses_stream(events, body):
    summary = {"type": "summary_text", "text": THOUGHT}
    item = {"type": "reasoning", "id": "rs_fake1", "summary": [summary]}
    if "reasoning.encrypted_content" in (body.get("include") or []):
        item["encrypted_content"] = ENCRYPTED
    where = {"item_id": "rs_fake1", "output_index": 0, "summary_index": 0}
    reasoning = [
        ("response.output_item.added", {"type": "response.output_item.added", "output_index": 0,
                                        "item": dict(item, summary=[])}),
        ("response.reasoning_summary_part.added", dict(
            where, type="response.reasoning_summary_part.added", part=dict(summary, text=""))),
        ("response.reasoning_summary_text.delta", dict(
            where, type="response.reasoning_summary_text.delta", delta=THOUGHT)),
        ("response.reasoning_summary_text.done", dict(
            where, type="response.reasoning_summary_text.done", text=THOUGHT)),
        ("response.reasoning_summary_part.done", dict(
            where, type="response.reasoning_summary_part.done", part=summary)),
        ("response.output_item.done", {"type": "response.output_item.done", "output_index": 0,
                                       "item": item}),
    ]
    for _, payload in events:
        if "output_index" in payload:
            payload["output_index"] += 1
        if payload["type"] == "response.completed":
            payload["response"]["output"].insert(0, item)
    events = events[:2] + reasoning + events[2:]        # after created and in_progress
    for number, (_, payload) in enumerate(events):
        payload["sequence_number"] = number
    return events


def _openai_stream(events, body):
    first = copy.deepcopy(events[0][1])
    first["choices"][0]["delta"] = {"reasoning_content": THOUGHT}
    return events[:1] + [(None, first)] + events[1:]


def _gemini_stream(events, body):
    first = copy.deepcopy(events[0][1])
    candidate = first["candidates"][0]
    candidate["content"]["parts"] = [{"text": THOUGHT, "thought": True}]
    candidate.pop("finishReason", None)
    first.pop("usageMetadata", None)
    return [(None, first)] + events
