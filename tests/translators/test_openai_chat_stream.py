"""Streamed chat completions <-> IR stream events, driven by fixture files."""
import pytest

from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk
from translators import openai_chat
from tests.translators.cases import cases, load


def decode(upstream_events):
    decoder = openai_chat.StreamDecoder()
    events = []
    for name, data in upstream_events:
        events += decoder.feed(name, data)
    return events + decoder.close()


def encode(ir_events, model, request):
    encoder = openai_chat.StreamEncoder(model, request)
    return [list(out) for event in ir_events for out in encoder.feed(event)]


def assert_well_formed(events):
    """The IR grammar: start (block_start delta* block_stop)* usage* finish? end,
    with an error allowed to cut it short before end."""
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("end") == 1
    open_index, next_index, tail = None, 0, False
    for event in events[1:-1]:
        kind = event["type"]
        if kind == "error":
            break
        if kind in ("usage", "finish"):
            assert open_index is None
            tail = True
        elif kind == "block_start":
            assert open_index is None and not tail and event["index"] == next_index
            open_index, next_index = event["index"], next_index + 1
        elif kind == "block_stop":
            assert event["index"] == open_index
            open_index = None
        else:
            assert event["index"] == open_index, event
    assert kinds.count("finish") <= 1


@pytest.mark.parametrize("case", cases("openai_chat", "decode_stream"))
def test_decoder(case):
    for _, data in case["input"]:
        if isinstance(data, dict) and "error" not in data:
            ChatCompletionChunk.model_validate(data)  # the fixture is a real shape
    events = decode(case["input"])
    assert events == case["expected"]
    assert_well_formed(events)


@pytest.mark.parametrize("case", cases("openai_chat", "encode_stream"))
def test_encoder(case):
    assert encode(case["input"], case["model"], case["request"]) == case["expected"]


@pytest.mark.parametrize("case", cases("openai_chat", "encode_stream"))
def test_encoded_chunks_accumulate_in_the_sdk(case):
    state = ChatCompletionStreamState()
    for name, payload in encode(case["input"], case["model"], case["request"]):
        assert name is None
        if isinstance(payload, dict) and "error" not in payload:
            state.handle_chunk(ChatCompletionChunk.model_validate(payload))
    # The snapshot, not get_final_completion(): that one raises on "length" by design.
    message = state.current_completion_snapshot.choices[0].message
    texts = "".join(e["text"] for e in case["input"] if e["type"] == "text_delta")
    assert (message.content or "") == texts
    calls = [e["block"] for e in case["input"]
             if e["type"] == "block_start" and e["block"]["type"] == "tool_call"]
    assert [c.id for c in message.tool_calls or []] == [c["id"] for c in calls]


def test_openai_to_openai_stream_keeps_tool_arguments():
    case = load("openai_chat", "decode_stream", "parallel_tool_call_arguments")
    state = ChatCompletionStreamState()
    request = {"stream_options": {"include_usage": True}}
    for _, payload in encode(decode(case["input"]), "gpt-4o", request):
        if payload != "[DONE]":
            state.handle_chunk(ChatCompletionChunk.model_validate(payload))
    completion = state.get_final_completion()
    arguments = [c.function.arguments for c in completion.choices[0].message.tool_calls]
    assert arguments == ['{"location": "Paris"}', '{"location": "Bogotá"}']
    assert completion.choices[0].finish_reason == "tool_calls"


def test_decoder_emits_start_on_the_first_event():
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
    assert [e["type"] for e in openai_chat.StreamDecoder().feed(None, chunk)] == ["start"]


def test_decoder_ends_once_after_done_and_close():
    decoder = openai_chat.StreamDecoder()
    events = decoder.feed(None, "[DONE]") + decoder.close() + decoder.feed(None, "[DONE]")
    assert [e["type"] for e in events] == ["start", "end"]


def test_decoder_ignores_other_choices():
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 1, "delta": {"content": "second answer"}}]}
    assert [e["type"] for e in decode([(None, chunk)])] == ["start", "end"]


def test_decoder_names_tool_calls_without_id():
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {"tool_calls": [
                 {"index": 0, "function": {"name": "f", "arguments": "{}"}}]}}]}
    block = decode([(None, chunk)])[1]["block"]
    assert block["id"].startswith("call_") and block["name"] == "f"


def test_encoder_sends_role_chunk_at_start():
    encoder = openai_chat.StreamEncoder("m", {})
    [(name, chunk)] = encoder.feed({"type": "start", "id": None, "model": None,
                                    "created": None, "usage": None})
    assert name is None and chunk["choices"][0]["delta"]["role"] == "assistant"


def test_encoder_makes_chat_completion_ids_for_foreign_streams():
    ir_events = [{"type": "start", "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "model": "claude",
                  "created": None, "usage": None},
                 {"type": "block_start", "index": 0, "block": {"type": "text"}},
                 {"type": "text_delta", "index": 0, "text": "Hi"},
                 {"type": "block_stop", "index": 0}, {"type": "end"}]
    chunks = [payload for _, payload in encode(ir_events, "alias", {}) if payload != "[DONE]"]
    ids = {chunk["id"] for chunk in chunks}
    assert len(ids) == 1 and ids.pop().startswith("chatcmpl-")
    assert {chunk["model"] for chunk in chunks} == {"alias"}
    assert all(isinstance(chunk["created"], int) for chunk in chunks)


def test_encoder_is_silent_after_an_error():
    encoder = openai_chat.StreamEncoder("m", {})
    encoder.feed({"type": "error", "message": "boom", "error_type": None})
    assert encoder.feed({"type": "text_delta", "index": 0, "text": "late"}) == []
    assert encoder.feed({"type": "end"}) == []
