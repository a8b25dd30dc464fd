"""Stop reasons without a direct twin map to the closest meaning, the same
in whole answers and in streams: a moderation stop or a refusal is
``content_filter`` for OpenAI clients, ``refusal`` for Claude clients,
``SAFETY`` for Gemini clients and an incomplete response (reason
``content_filter``) or a refusal part for Responses clients."""
import pytest

import translators


def openai_source(reason):
    whole = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": "no"},
                          "finish_reason": reason}]}
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    stream = [dict(chunk, choices=[{"index": 0, "delta": {"role": "assistant", "content": "no"},
                                    "finish_reason": None}]),
              dict(chunk, choices=[{"index": 0, "delta": {}, "finish_reason": reason}]), "[DONE]"]
    return whole, [(None, c) for c in stream]


def claude_source(reason):
    usage = {"input_tokens": 1, "output_tokens": 1}
    whole = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
             "content": [{"type": "text", "text": "no"}], "stop_reason": reason,
             "stop_sequence": None, "usage": usage}
    events = [{"type": "message_start", "message": dict(whole, content=[], stop_reason=None)},
              {"type": "content_block_start", "index": 0,
               "content_block": {"type": "text", "text": ""}},
              {"type": "content_block_delta", "index": 0,
               "delta": {"type": "text_delta", "text": "no"}},
              {"type": "content_block_stop", "index": 0},
              {"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": None},
               "usage": {"output_tokens": 1}},
              {"type": "message_stop"}]
    return whole, [(e["type"], e) for e in events]


def gemini_source(reason):
    whole = {"candidates": [{"content": {"role": "model", "parts": [{"text": "no"}]},
                             "finishReason": reason, "index": 0}], "modelVersion": "m"}
    return whole, [(None, whole)]


def responses_source(status, part="output_text"):
    incomplete = {"reason": "content_filter"} if status == "incomplete" else None
    content = {"type": part, part.replace("output_", ""): "no"}
    if part == "output_text":
        content["annotations"] = []
    item = {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
            "content": [content]}
    whole = {"id": "resp_1", "object": "response", "created_at": 1, "model": "m",
             "status": status, "incomplete_details": incomplete, "output": [item]}
    delta = ("response.refusal.delta" if part == "refusal" else "response.output_text.delta")
    events = [{"type": "response.created", "response": dict(whole, status="in_progress",
                                                            output=[])},
              {"type": "response.output_item.added", "output_index": 0,
               "item": dict(item, content=[], status="in_progress")},
              {"type": "response.content_part.added", "output_index": 0, "content_index": 0,
               "item_id": "msg_1", "part": dict(content, **{part.replace("output_", ""): ""})},
              {"type": delta, "output_index": 0, "content_index": 0, "item_id": "msg_1",
               "delta": "no"},
              {"type": "response.output_item.done", "output_index": 0, "item": item},
              {"type": "response." + status, "response": whole}]
    return whole, [(e["type"], e) for e in events]


SOURCES = {
    "openai sensitive": ("openai", openai_source("sensitive")),
    "openai content_filter": ("openai", openai_source("content_filter")),
    "claude refusal": ("claude", claude_source("refusal")),
    "gemini SAFETY": ("gemini", gemini_source("SAFETY")),
    "gemini PROHIBITED_CONTENT": ("gemini", gemini_source("PROHIBITED_CONTENT")),
    "responses incomplete content_filter": ("responses", responses_source("incomplete")),
    "responses refusal part": ("responses", responses_source("completed", "refusal")),
}

EXPECTED = {"openai": "content_filter", "claude": "refusal", "gemini": "SAFETY"}


def whole_reason(client, body):
    if client == "openai":
        return body["choices"][0]["finish_reason"]
    if client == "claude":
        return body["stop_reason"]
    if client == "gemini":
        return body["candidates"][0]["finishReason"]
    return body["status"], body["incomplete_details"]


def stream_reason(client, events):
    payloads = [p for _, p in events if isinstance(p, dict)]
    if client == "openai":
        return next(c["choices"][0]["finish_reason"] for c in payloads
                    if c.get("choices") and c["choices"][0]["finish_reason"])
    if client == "claude":
        return next(p["delta"]["stop_reason"] for p in payloads if p["type"] == "message_delta")
    if client == "gemini":
        return next(c["candidates"][0]["finishReason"] for c in payloads
                    if c["candidates"][0].get("finishReason"))
    final = payloads[-1]["response"]
    return final["status"], final["incomplete_details"]


@pytest.mark.parametrize("name", SOURCES)
@pytest.mark.parametrize("client", ["openai", "claude", "gemini", "responses"])
def test_moderation_stops_keep_their_meaning(name, client):
    source, (whole, events) = SOURCES[name]
    if source == client:
        pytest.skip("same dialect: the bytes pass through")
    body = translators.translate_response(source, client, whole, model="m", request={})
    translator = translators.StreamTranslator(source, client, model="m", request={})
    out = [e for name_, data in events for e in translator.feed(name_, data)] + translator.close()
    assert whole_reason(client, body) == stream_reason(client, out)
    if client in EXPECTED:
        assert whole_reason(client, body) == EXPECTED[client]
    elif source == "claude":
        # Anthropic's refusal: the answer ended normally, in a refusal.
        assert whole_reason(client, body) == ("completed", None)
    else:
        assert whole_reason(client, body) == ("incomplete", {"reason": "content_filter"})
