"""Responses requests <-> IR, driven by fixtures under
tests/fixtures/translators/responses/ (one case per file)."""
import pydantic
import pytest
from openai.types.responses import response_create_params

from translators import responses
from translators.ir import TranslationError, new_request
from tests.translators.cases import cases


# What the openai SDK accepts as a create call: the proof a real upstream
# (or the SDK's own client-side typing) recognises every field we render.
CREATE_PARAMS = pydantic.TypeAdapter(response_create_params.ResponseCreateParamsNonStreaming
                                     | response_create_params.ResponseCreateParamsStreaming)


def ir_request(partial):
    """An IR request with the fixture's keys over the defaults."""
    return {**new_request(), **partial}


@pytest.mark.parametrize("case", cases("responses", "parse_request"))
def test_parse_request(case):
    assert responses.parse_request(case["input"]) == case["expected"]


@pytest.mark.parametrize("case", cases("responses", "request_errors"))
def test_parse_request_refuses(case):
    with pytest.raises(TranslationError, match=case["error"]):
        responses.parse_request(case["input"])


@pytest.mark.parametrize("case", cases("responses", "render_request"))
def test_render_request(case):
    body = responses.render_request(ir_request(case["input"]), case["model"])
    assert body == case["expected"]
    CREATE_PARAMS.validate_python(body)


@pytest.mark.parametrize("case", cases("responses", "render_errors"))
def test_render_request_refuses(case):
    with pytest.raises(TranslationError, match=case["error"]):
        responses.render_request(ir_request(case["input"]), "gpt-4.1")


@pytest.mark.parametrize("case", cases("responses", "parse_request"))
def test_parse_request_input_is_valid_sdk_params(case):
    # Guards the fixtures themselves: they must be real Responses requests.
    CREATE_PARAMS.validate_python(case["input"])


ROUND_TRIP = ir_request({
    "model": "gpt-4.1",
    "system": [{"type": "text", "text": "Be brief."}],
    "messages": [
        {"role": "user", "content": [
            {"type": "text", "text": "Look:"},
            {"type": "image", "media_type": "image/png", "data": "iVBORw0KGgo=", "url": None},
            {"type": "image", "media_type": None, "data": None, "url": "https://example.com/a.png"},
            {"type": "document", "media_type": "application/pdf", "data": "JVBERi0=",
             "url": None, "text": None, "title": "a.pdf"}]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Calling."},
            {"type": "tool_call", "id": "call_1", "name": "f", "arguments": "{\"x\":1}"},
            {"type": "tool_call", "id": "call_2", "name": "g", "arguments": "{}"}]},
        {"role": "tool", "content": [
            {"type": "tool_result", "tool_call_id": "call_1", "name": "f",
             "content": [{"type": "text", "text": "one"}], "is_error": False},
            {"type": "tool_result", "tool_call_id": "call_2", "name": "g",
             "content": [{"type": "text", "text": "two"},
                         {"type": "image", "media_type": "image/png", "data": "AA==", "url": None}],
             "is_error": False}]},
        {"role": "user", "content": [{"type": "text", "text": "Thanks"}]},
    ],
    "tools": [{"name": "f", "description": "F", "parameters": {"type": "object", "properties": {}}},
              {"name": "g", "description": None, "parameters": {"type": "object", "properties": {}}}],
    "tool_choice": {"type": "tool", "name": "f"}, "parallel_tool_calls": False,
    "max_tokens": 100, "temperature": 0.3, "top_p": 0.5,
    "reasoning": {"effort": "low", "budget_tokens": 4096, "summary": "auto", "enabled": True},
    "response_format": {"type": "json_schema", "name": "out", "schema": {"type": "object"},
                        "strict": True},
    "stream": True, "include_usage": True, "user": "u1", "metadata": {"k": "v"},
})


def test_round_trip_keeps_everything_responses_can_carry():
    assert responses.parse_request(responses.render_request(ROUND_TRIP, "gpt-4.1")) == ROUND_TRIP


def test_request_without_input_is_refused():
    with pytest.raises(TranslationError, match="input"):
        responses.parse_request({"model": "gpt-4.1"})
