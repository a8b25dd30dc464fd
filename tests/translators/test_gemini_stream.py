"""Gemini SSE streams <-> IR stream events, table-driven from
``tests/fixtures/translators/gemini/{decode,encode}_stream/``."""
import json

import pytest
from google.genai import types

from translators import gemini
from tests.translators.cases import cases, load


def decode(chunks):
    decoder = gemini.StreamDecoder()
    events = [event for chunk in chunks for event in decoder.feed(None, chunk)]
    return events + decoder.close()


def encode(events, model="gemini-2.5-flash"):
    encoder = gemini.StreamEncoder(model, {"contents": []})
    return [out for event in events for out in encoder.feed(event)]


def assert_well_formed(events):
    """start (block_start delta* block_stop)* usage* finish? end, one open block
    at a time, indices counting from 0; or an error ending it early."""
    assert events[0]["type"] == "start" and events[-1] == {"type": "end"}
    assert [e["type"] for e in events].count("end") == 1
    phase, open_index, next_index = "blocks", None, 0
    for event in events[1:-1]:
        kind = event["type"]
        if kind == "error":
            assert event is events[-2], "nothing but end after an error"
        elif kind == "block_start":
            assert phase == "blocks" and open_index is None and event["index"] == next_index
            open_index, next_index = event["index"], next_index + 1
        elif kind.endswith("_delta"):
            assert event["index"] == open_index
        elif kind == "block_stop":
            assert event["index"] == open_index
            open_index = None
        elif kind == "usage":
            assert open_index is None and phase in ("blocks", "usage")
            phase = "usage"
        else:
            assert kind == "finish" and open_index is None and phase != "finished"
            phase = "finished"


def assert_client_parses(chunks):
    """google-genai parses every chunk, and its chat would keep the turn
    (each chunk has a candidate with non-empty parts)."""
    for name, payload in chunks:
        assert name is None
        if "error" in payload:
            continue
        response = types.GenerateContentResponse.model_validate(payload)
        assert response.candidates[0].content.parts


@pytest.mark.parametrize("case", cases("gemini", "decode_stream"))
def test_fixture_inputs_are_real_gemini_chunks(case):
    for chunk in case["input"]:
        if "error" not in chunk:
            types.GenerateContentResponse.model_validate(chunk)


@pytest.mark.parametrize("case", cases("gemini", "decode_stream"))
def test_decoder(case):
    events = decode(case["input"])
    assert events == case["expected"]
    assert_well_formed(events)


@pytest.mark.parametrize("case", cases("gemini", "encode_stream"))
def test_encoder(case):
    chunks = encode(case["input"], case["model"])
    ids = {payload["responseId"] for _, payload in chunks if "responseId" in payload}
    assert len(ids) <= 1
    normalised = [[name, dict(p, responseId="<generated>") if "responseId" in p else p]
                  for name, p in chunks]
    assert normalised == case["expected"]
    assert_client_parses(chunks)


def collapse(events):
    """An IR stream folded to what a client ends up with, ids aside."""
    blocks, stop, usage = {}, None, None
    for event in events:
        kind, index = event["type"], event.get("index")
        if kind == "block_start" and event["block"]["type"] != "redacted_reasoning":
            blocks[index] = {"type": event["block"]["type"], "text": "", "signature": None}
        elif kind in ("text_delta", "reasoning_delta"):
            blocks[index]["text"] += event["text"]
        elif kind == "arguments_delta":
            blocks[index]["text"] += event["arguments"]
        elif kind == "signature_delta":
            blocks[index]["signature"] = event["signature"]
        elif kind in ("usage", "finish"):
            usage, stop = event.get("usage", usage), event.get("stop_reason", stop)
    content = [dict(b, text=json.loads(b["text"] or "{}")) if b["type"] == "tool_call" else b
               for b in blocks.values()]
    return content, stop, usage


@pytest.mark.parametrize("name", ["text", "tool_call_arguments", "reasoning"])
def test_encode_then_decode_keeps_the_answer(name):
    events = load("gemini", "encode_stream", name)["input"]
    again = decode([payload for _, payload in encode(events)])
    assert_well_formed(again)
    # tool_calls goes out as STOP and comes back from the calls in content.
    assert collapse(again) == collapse(events)


def test_start_comes_with_the_first_chunk():
    decoder = gemini.StreamDecoder()
    first = decoder.feed(None, {"candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}}],
                                "modelVersion": "gemini-2.5-flash", "responseId": "r1"})
    assert first[0]["type"] == "start" and first[0]["id"] == "r1"
    assert first[1:] == [{"type": "block_start", "index": 0, "block": {"type": "text"}},
                         {"type": "text_delta", "index": 0, "text": "Hi"}]


def test_an_empty_upstream_still_gives_start_and_one_end():
    decoder = gemini.StreamDecoder()
    events = decoder.close()
    assert [e["type"] for e in events] == ["start", "end"]
    assert decoder.close() == [] and decoder.feed(None, {}) == []


def test_function_call_without_id_gets_one():
    events = decode([{"candidates": [{"content": {"role": "model", "parts": [
        {"functionCall": {"name": "f", "args": {"x": 1}}}]}, "finishReason": "STOP"}]}])
    start = next(e for e in events if e["type"] == "block_start")
    assert start["block"]["id"].startswith("call_")
    assert events[-2] == {"type": "finish", "stop_reason": "tool_calls", "stop_sequence": None}


def test_encoder_emits_nothing_after_an_error():
    encoder = gemini.StreamEncoder("m", {})
    encoder.feed({"type": "start", "id": None, "model": None, "created": None, "usage": None})
    [(name, payload)] = encoder.feed({"type": "error", "message": "boom", "error_type": None})
    assert name is None and payload["error"]["message"] == "boom"
    assert encoder.feed({"type": "end"}) == []


def test_encoder_turns_unparseable_arguments_into_the_terminal_error():
    chunks = encode([
        {"type": "start", "id": None, "model": None, "created": None, "usage": None},
        {"type": "block_start", "index": 0, "block": {"type": "tool_call", "id": "c", "name": "f"}},
        {"type": "arguments_delta", "index": 0, "arguments": "{broken"},
        {"type": "block_stop", "index": 0}, {"type": "end"}])
    assert len(chunks) == 1 and chunks[0][1]["error"]["status"] == "INTERNAL"


def test_encoder_sends_every_delta_at_once():
    encoder = gemini.StreamEncoder("m", {})
    assert encoder.feed({"type": "start", "id": None, "model": None, "created": None, "usage": None}) == []
    encoder.feed({"type": "block_start", "index": 0, "block": {"type": "text"}})
    [(_, chunk)] = encoder.feed({"type": "text_delta", "index": 0, "text": "now"})
    assert chunk["candidates"][0]["content"]["parts"] == [{"text": "now"}]
    assert chunk["modelVersion"] == "m"


def test_encoder_drops_a_signature_gemini_clients_cannot_decode():
    encoder = gemini.StreamEncoder("m", {})
    encoder.feed({"type": "block_start", "index": 0, "block": {"type": "reasoning"}})
    assert encoder.feed({"type": "signature_delta", "index": 0, "signature": "abc...def"}) == []
    [(_, chunk)] = encoder.feed({"type": "signature_delta", "index": 0, "signature": "EqQBCkYIBxgC"})
    assert chunk["candidates"][0]["content"]["parts"] == [
        {"text": "", "thought": True, "thoughtSignature": "EqQBCkYIBxgC"}]


def test_other_candidates_are_not_mixed_into_the_first():
    events = decode([
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "A"}]}, "index": 0},
                        {"content": {"role": "model", "parts": [{"text": "B"}]}, "index": 1}]},
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "b"}]}, "index": 1}]},
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "a"}]}, "index": 0,
                         "finishReason": "STOP"}]}])
    assert [e["text"] for e in events if e["type"] == "text_delta"] == ["A", "a"]
