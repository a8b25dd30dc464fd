"""Whole Responses responses <-> IR, usage and count-tokens, driven by
fixtures under tests/fixtures/translators/responses/ (one case per file)."""
import re
import time

import pytest
from openai.types.responses import InputTokenCountResponse, Response

from translators import responses
from tests.translators.cases import cases


# Ids we generate (``translators.ir.new_id``) are random; fixtures spell them "prefix_*".
_GENERATED_ID = re.compile(r"^(resp|msg|fc|ctc|lsh|rs|call)_[0-9a-f]{24}$")


def masked(value):
    """``value`` with generated ids replaced by ``prefix_*``."""
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    if isinstance(value, str) and _GENERATED_ID.match(value):
        return value.split("_")[0] + "_*"
    return value


@pytest.mark.parametrize("case", cases("responses", "parse_response"))
def test_parse_response(case):
    Response.model_validate(case["input"])  # the fixture is a real response object
    assert responses.parse_response(case["input"]) == case["expected"]


@pytest.mark.parametrize("case", cases("responses", "parse_response"))
def test_parse_usage_of_a_whole_response(case):
    assert responses.parse_usage(case["input"]) == case["expected"]["usage"]


@pytest.mark.parametrize("case", cases("responses", "render_response"))
def test_render_response(case):
    body = responses.render_response(case["input"], case["model"], case["request"])
    assert masked(body) == case["expected"]
    Response.model_validate(body)


def test_rendered_ids_are_unique_per_item():
    ir = {"id": None, "model": None, "created": None, "stop_reason": "tool_calls",
          "stop_sequence": None, "usage": None,
          "content": [{"type": "tool_call", "id": "a", "name": "f", "arguments": "{}"},
                      {"type": "tool_call", "id": "b", "name": "f", "arguments": "{}"}]}
    body = responses.render_response(ir, "m", {})
    assert len({item["id"] for item in body["output"]}) == 2
    assert abs(body["created_at"] - time.time()) < 60  # no upstream timestamp: now


def test_render_then_parse_keeps_content_stop_and_usage():
    ir = {"id": "resp_x", "model": "m", "created": 1, "stop_sequence": None,
          "content": [{"type": "reasoning", "text": "hmm", "signature": None},
                      {"type": "text", "text": "hi"},
                      {"type": "tool_call", "id": "call_1", "name": "f", "arguments": "{\"a\":1}"}],
          "stop_reason": "tool_calls",
          "usage": {"input_tokens": 10, "output_tokens": 5, "cached_tokens": 4,
                    "cache_creation_tokens": 2, "reasoning_tokens": 3}}
    assert responses.parse_response(responses.render_response(ir, "m", {})) == ir


@pytest.mark.parametrize("event, expected", [
    ({"type": "response.created", "sequence_number": 0,
      "response": {"id": "resp_1", "status": "in_progress", "usage": None}}, None),
    ({"type": "response.output_text.delta", "sequence_number": 3, "delta": "hi"}, None),
    ({"type": "response.completed", "sequence_number": 9, "response": {
        "id": "resp_1", "status": "completed",
        "usage": {"input_tokens": 100, "input_tokens_details": {"cached_tokens": 60},
                  "output_tokens": 40, "output_tokens_details": {"reasoning_tokens": 30},
                  "total_tokens": 140}}},
     {"input_tokens": 100, "output_tokens": 40, "cached_tokens": 60,
      "cache_creation_tokens": 0, "reasoning_tokens": 30}),
    ("[DONE]", None),
])
def test_parse_usage_of_stream_events(event, expected):
    assert responses.parse_usage(event) == expected


def test_count_tokens_answer_is_the_input_tokens_object():
    body = responses.render_count_tokens(42)
    assert body == {"object": "response.input_tokens", "input_tokens": 42}
    InputTokenCountResponse.model_validate(body)
