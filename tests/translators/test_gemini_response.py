"""Gemini generateContent responses <-> IR, usage and countTokens, table-driven
from ``tests/fixtures/translators/gemini/{parse,render}_response/``."""
import json

import pytest
from google.genai import types

from translators import gemini, ir
from tests.translators.cases import cases, load


@pytest.mark.parametrize("case", cases("gemini", "parse_response"))
def test_fixture_inputs_are_real_gemini_responses(case):
    types.GenerateContentResponse.model_validate(case["input"])


@pytest.mark.parametrize("case", cases("gemini", "parse_response"))
def test_parse_response(case):
    assert gemini.parse_response(case["input"]) == case["expected"]


@pytest.mark.parametrize("case", cases("gemini", "render_response"))
def test_render_response(case):
    body = gemini.render_response(case["input"], case["model"], {"contents": []})
    response_id = body.pop("responseId")
    assert len(response_id) >= 16 and response_id.isascii()
    assert body == {k: v for k, v in case["expected"].items() if k != "responseId"}
    parsed = types.GenerateContentResponse.model_validate(dict(body, responseId=response_id))
    assert parsed.model_version == case["model"]


@pytest.mark.parametrize("name", ["text_usage", "tool_calls_reasoning", "length"])
def test_round_trip_keeps_the_response(name):
    case = load("gemini", "render_response", name)
    original = case["input"]
    again = gemini.parse_response(gemini.render_response(original, "m", {}))
    assert again["content"] == original["content"]
    assert again["stop_reason"] == original["stop_reason"]
    if original["usage"]:
        # Cache writes have no Gemini field; they stay inside input_tokens.
        expected = dict(original["usage"], cache_creation_tokens=0)
        assert again["usage"] == expected


def test_missing_function_call_ids_are_generated_and_distinct():
    body = {"candidates": [{"content": {"role": "model", "parts": [
        {"functionCall": {"name": "f", "args": {"a": 1}}},
        {"functionCall": {"name": "f", "args": {"a": 2}}}]}, "finishReason": "STOP"}]}
    first, second = gemini.parse_response(body)["content"]
    assert first["id"].startswith("call_") and second["id"].startswith("call_")
    assert first["id"] != second["id"]
    assert json.loads(first["arguments"]) == {"a": 1}


@pytest.mark.parametrize("reason, stop", [
    ("STOP", "stop"), ("MAX_TOKENS", "length"), ("SAFETY", "content_filter"),
    ("RECITATION", "content_filter"), ("BLOCKLIST", "content_filter"),
    ("PROHIBITED_CONTENT", "content_filter"), ("SPII", "content_filter"),
    ("MALFORMED_FUNCTION_CALL", "stop"), ("OTHER", "stop"),
])
def test_finish_reasons(reason, stop):
    body = {"candidates": [{"content": {"role": "model", "parts": [{"text": "x"}]},
                            "finishReason": reason, "index": 0}]}
    assert gemini.parse_response(body)["stop_reason"] == stop


@pytest.mark.parametrize("stop, reason", [
    ("stop", "STOP"), ("stop_sequence", "STOP"), ("tool_calls", "STOP"), ("pause", "STOP"),
    ("length", "MAX_TOKENS"), ("content_filter", "SAFETY"), ("refusal", "SAFETY"), (None, "STOP"),
])
def test_stop_reasons_render(stop, reason):
    response = dict(ir.new_response(), content=[ir.text("x")], stop_reason=stop)
    assert gemini.render_response(response, "m", {})["candidates"][0]["finishReason"] == reason


def test_parse_usage_from_a_body_or_a_chunk():
    chunk = {"candidates": [{"content": {"role": "model", "parts": [{"text": "a"}]}}],
             "usageMetadata": {"promptTokenCount": 100, "cachedContentTokenCount": 60,
                               "candidatesTokenCount": 7, "thoughtsTokenCount": 30,
                               "totalTokenCount": 137}}
    assert gemini.parse_usage(chunk) == ir.usage(input_tokens=100, output_tokens=37,
                                                 cached_tokens=60, reasoning_tokens=30)
    assert gemini.parse_usage({"candidates": []}) is None
    assert gemini.parse_usage("[DONE]") is None


def test_usage_total_matches_gemini_arithmetic():
    usage = ir.usage(input_tokens=10, output_tokens=25, cached_tokens=4, reasoning_tokens=20)
    meta = gemini.render_response(dict(ir.new_response(), usage=usage), "m", {})["usageMetadata"]
    assert meta["totalTokenCount"] == (meta["promptTokenCount"] + meta["candidatesTokenCount"]
                                       + meta["thoughtsTokenCount"])
    assert gemini.parse_usage({"usageMetadata": meta}) == usage


def test_count_tokens_answer_is_the_sdk_shape():
    body = gemini.render_count_tokens(42)
    assert body == {"totalTokens": 42}
    assert types.CountTokensResponse.model_validate(body).total_tokens == 42


def test_foreign_signatures_that_are_not_base64_are_dropped():
    """A Gemini client's SDK decodes thoughtSignature as bytes and would fail."""
    response = dict(ir.new_response(), content=[
        {"type": "reasoning", "text": "hm", "signature": "not base64!"}])
    part = gemini.render_response(response, "m", {})["candidates"][0]["content"]["parts"][0]
    assert part == {"text": "hm", "thought": True}
