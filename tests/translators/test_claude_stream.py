"""Anthropic Messages streams <-> IR stream events, table-driven from
tests/fixtures/translators/claude/{decode,encode}_stream/."""
import pydantic
import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent

from translators.claude import StreamDecoder, StreamEncoder
from tests.translators.cases import cases

STREAM_EVENT = pydantic.TypeAdapter(RawMessageStreamEvent)
GENERATED = "<generated>"


def decode(events):
    decoder = StreamDecoder()
    out = []
    for name, data in events:
        out.extend(decoder.feed(name, data))
    return out + decoder.close()


def encode(model, events):
    encoder = StreamEncoder(model, {"model": model, "max_tokens": 100, "messages": []})
    return [list(pair) for event in events for pair in encoder.feed(event)]


def assert_well_formed(events):
    """The IR sequence contract: start (block_start delta* block_stop)* usage* finish? end,
    or an error anywhere after start followed only by end."""
    kinds = [event["type"] for event in events]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("end") == 1
    if "error" in kinds:
        assert kinds.index("error") == len(kinds) - 2
        events = events[:-2]
    open_index, next_index, tail = None, 0, False
    for event in events[1:-1]:
        kind = event["type"]
        if kind == "block_start":
            assert open_index is None and not tail and event["index"] == next_index
            open_index, next_index = event["index"], next_index + 1
        elif kind == "block_stop":
            assert event["index"] == open_index
            open_index = None
        elif kind in ("usage", "finish"):
            assert open_index is None
            tail = True
        else:
            assert event["index"] == open_index
    assert kinds.count("finish") <= 1


@pytest.mark.parametrize("case", cases("claude", "decode_stream"))
def test_decode(case):
    assert decode(case["input"]) == case["expected"]


@pytest.mark.parametrize("case", cases("claude", "decode_stream"))
def test_decoded_sequence_is_well_formed(case):
    assert_well_formed(decode(case["input"]))


@pytest.mark.parametrize("case", cases("claude", "decode_stream"))
def test_decode_fixtures_are_real_events(case):
    for _, data in case["input"]:
        if data["type"] not in ("ping", "error"):
            STREAM_EVENT.validate_python(data)


@pytest.mark.parametrize("case", cases("claude", "encode_stream"))
def test_encode(case):
    out = encode(case["model"], case["input"])
    if case["expected"][0][1]["message"]["id"] == GENERATED:
        assert out[0][1]["message"]["id"].startswith(case["expected_id_prefix"])
        out[0][1]["message"]["id"] = GENERATED
    assert out == case["expected"]


@pytest.mark.parametrize("case", cases("claude", "encode_stream"))
def test_encoded_events_accumulate_in_sdk(case):
    """The SDK's own messages.stream() accumulator builds a valid Message."""
    snapshot, buffers = None, {}
    for name, payload in encode(case["model"], case["input"]):
        assert name == payload["type"]
        if name == "error":
            return
        snapshot = accumulate_event(event=STREAM_EVENT.validate_python(payload),
                                    current_snapshot=snapshot, json_bufs=buffers)
    message = Message.model_validate(snapshot.model_dump())
    assert message.model == case["model"] and message.stop_reason


def test_encoder_emits_message_start_at_start():
    out = StreamEncoder("claude-x", {}).feed({"type": "start", "id": None, "model": None,
                                              "created": None, "usage": None})
    assert [name for name, _ in out] == ["message_start"]
    assert out[0][1]["message"]["id"].startswith("msg_")


def test_encoder_is_silent_after_error():
    encoder = StreamEncoder("claude-x", {})
    encoder.feed({"type": "start", "id": "msg_1", "model": None, "created": None, "usage": None})
    assert encoder.feed({"type": "error", "message": "boom", "error_type": None}) == [
        ("error", {"type": "error", "error": {"type": "api_error", "message": "boom"}})]
    assert encoder.feed({"type": "end"}) == []


def test_decoder_starts_on_first_event_and_ends_once():
    decoder = StreamDecoder()
    assert decoder.feed("ping", {"type": "ping"}) == [
        {"type": "start", "id": None, "model": None, "created": None, "usage": None}]
    assert decoder.feed("message_stop", {"type": "message_stop"}) == [{"type": "end"}]
    assert decoder.close() == []


def test_decoder_close_without_events():
    assert [event["type"] for event in StreamDecoder().close()] == ["start", "end"]
