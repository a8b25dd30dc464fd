"""Responses streams: upstream events -> IR (decoder) and IR -> client
events (encoder), driven by fixtures under
tests/fixtures/translators/responses/ (one case per file).

Encoder output is also checked by the official SDK: every event against the
``ResponseStreamEvent`` union, and the whole stream replayed through
``client.responses.stream()``, which rebuilds the response and rejects
events out of order.
"""
import json
import re
import typing

import httpx2
import openai
import pytest
from openai.types.responses import ResponseStreamEvent

from translators import responses
from tests.translators.cases import cases, load

# The SDK's union is not a pydantic discriminated union: pick the member by
# ``type`` so a failure names the one event model that rejected the payload.
EVENT_MODELS = {typing.get_args(cls.model_fields["type"].annotation)[0]: cls
                for cls in typing.get_args(typing.get_args(ResponseStreamEvent)[0])}
_GENERATED_ID = re.compile(r"^(resp|msg|fc|ctc|lsh|rs|call)_[0-9a-f]{24}$")


def validate_event(payload):
    return EVENT_MODELS[payload["type"]].model_validate(payload)


def decode(events):
    decoder = responses.StreamDecoder()
    out = [ir for name, data in events for ir in decoder.feed(name, data)]
    return out + decoder.close()


def encode(case):
    encoder = responses.StreamEncoder(case["model"], case["request"])
    return [pair for event in case["events"] for pair in encoder.feed(event)]


def assert_matches(actual, expected, path="$"):
    """``actual`` has every key of ``expected`` with an equal value (dicts
    compared recursively, lists item by item); generated ids match ``prefix_*``."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} missing"
            assert_matches(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for index, (got, want) in enumerate(zip(actual, expected)):
            assert_matches(got, want, f"{path}[{index}]")
    elif isinstance(actual, str) and _GENERATED_ID.match(actual):
        assert expected == actual.split("_")[0] + "_*", path
    else:
        assert actual == expected, path


def replay_with_sdk(pairs, model):
    """Serve ``pairs`` as SSE to the openai SDK's stream helper; the events it yields."""
    body = "".join(f"event: {name}\ndata: {json.dumps(payload)}\n\n" for name, payload in pairs)

    def handler(_request):
        return httpx2.Response(200, headers={"content-type": "text/event-stream"},
                               content=body.encode())

    client = openai.OpenAI(api_key="test", base_url="http://gateway.test/v1",
                           http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    with client.responses.stream(model=model, input="hi") as stream:
        return list(stream)


@pytest.mark.parametrize("case", cases("responses", "decode_stream"))
def test_decoder(case):
    assert decode(case["events"]) == case["expected"]


@pytest.mark.parametrize("case", cases("responses", "decode_stream"))
def test_decoder_fixtures_are_real_stream_events(case):
    for _name, data in case["events"]:
        if isinstance(data, dict):
            validate_event(data)


@pytest.mark.parametrize("case", cases("responses", "encode_stream"))
def test_encoder(case):
    pairs = encode(case)
    assert [name for name, _ in pairs] == [name for name, _ in case["expected"]]
    for (_, payload), (_, expected) in zip(pairs, case["expected"]):
        assert_matches(payload, expected)


@pytest.mark.parametrize("case", cases("responses", "encode_stream"))
def test_encoder_events_validate_and_count_from_zero(case):
    pairs = encode(case)
    for name, payload in pairs:
        assert payload["type"] == name
        validate_event(payload)
    assert [payload["sequence_number"] for _, payload in pairs] == list(range(len(pairs)))


@pytest.mark.parametrize("case", [c for c in cases("responses", "encode_stream")
                                  if not any(e["type"] == "error" for e in c.values[0]["events"])])
def test_sdk_stream_helper_accepts_encoder_output(case):
    last = replay_with_sdk(encode(case), case["model"])[-1]
    assert last.type in ("response.completed", "response.incomplete")
    assert last.response.model == case["model"]
    texts = [e["text"] for e in case["events"] if e["type"] == "text_delta"]
    assert last.response.output_text == "".join(texts)


def test_sdk_stream_helper_surfaces_the_error_event():
    case = load("responses", "encode_stream", "error_mid_stream")
    last = replay_with_sdk(encode(case), case["model"])[-1]
    assert (last.type, last.code, last.message) == ("error", "overloaded_error", "Overloaded")


def test_decoder_starts_on_the_first_event_whatever_it_is():
    decoder = responses.StreamDecoder()
    first = decoder.feed("response.output_item.added", {
        "type": "response.output_item.added", "sequence_number": 0, "output_index": 0,
        "item": {"type": "message", "id": "msg_1", "role": "assistant", "content": [],
                 "status": "in_progress"}})
    assert first == [{"type": "start", "id": None, "model": None, "created": None, "usage": None}]
    assert decoder.close() == [{"type": "finish", "stop_reason": "length", "stop_sequence": None},
                               {"type": "end"}]
    assert decoder.close() == []


def test_decoder_closes_an_open_block_when_upstream_stops_short():
    """No terminal event: the answer was cut short and ends incomplete."""
    events = [["response.output_text.delta", {"type": "response.output_text.delta",
               "output_index": 0, "content_index": 0, "delta": "cut", "item_id": "msg_1"}]]
    decoded = decode(events)
    assert [e["type"] for e in decoded] == [
        "start", "block_start", "text_delta", "block_stop", "finish", "end"]
    assert decoded[-2]["stop_reason"] == "length"


def test_decoding_encoder_output_gives_back_the_ir_stream():
    case = load("responses", "encode_stream", "parallel_tool_calls")
    decoded = decode(encode(case))
    blocks = [e for e in case["events"] if e["type"].startswith(("block_", "arguments_"))]
    # The zero-argument call comes back with the "{}" the encoder closed it with.
    blocks.insert(-1, {"type": "arguments_delta", "index": 1, "arguments": "{}"})
    usage = next(e for e in case["events"] if e["type"] == "usage")
    assert decoded[0]["model"] == "gpt-alias"
    assert decoded[1:] == blocks + [
        usage, {"type": "finish", "stop_reason": "tool_calls", "stop_sequence": None},
        {"type": "end"}]


def test_error_event_helper_is_flat_for_the_sdk():
    name, payload = responses.stream_error_event("boom", "server_error", sequence_number=7)
    assert name == "error" and "error" not in payload
    assert validate_event(payload).sequence_number == 7


def test_sdk_stream_helper_rebuilds_custom_and_local_shell_calls():
    case = load("responses", "encode_stream", "custom_tool_call")
    streamed = "".join(e["arguments"] for e in case["events"]
                       if e["type"] == "arguments_delta" and e["index"] == 0)
    patch_call = replay_with_sdk(encode(case), case["model"])[-1].response.output[0]
    assert (patch_call.type, patch_call.input) == ("custom_tool_call",
                                                   json.loads(streamed)["input"])
    case = load("responses", "encode_stream", "local_shell_call")
    shell_call = replay_with_sdk(encode(case), case["model"])[-1].response.output[0]
    assert (shell_call.type, shell_call.action.command) == ("local_shell_call", ["ls", "-la"])
