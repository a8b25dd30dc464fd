"""Whole OpenAI chat completions <-> IR responses, usage and count tokens."""
import pytest

from openai.types.chat import ChatCompletion
from translators import openai_chat
from translators.ir import new_response, usage
from tests.translators.cases import cases


@pytest.mark.parametrize("case", cases("openai_chat", "parse_response"))
def test_parse_response(case):
    ChatCompletion.model_validate(case["input"])  # the fixture is a real shape
    assert openai_chat.parse_response(case["input"]) == case["expected"]


@pytest.mark.parametrize("case", cases("openai_chat", "render_response"))
def test_render_response(case):
    body = openai_chat.render_response(case["input"], case["model"], case["request"])
    assert body == case["expected"]


@pytest.mark.parametrize("case", cases("openai_chat", "render_response"))
def test_rendered_response_parses_with_the_sdk(case):
    body = openai_chat.render_response(case["input"], case["model"], case["request"])
    completion = ChatCompletion.model_validate(body)
    assert completion.model == case["model"]
    if case["input"]["usage"]:
        assert completion.usage.prompt_tokens == case["input"]["usage"]["input_tokens"]


@pytest.mark.parametrize("case", cases("openai_chat", "render_response"))
def test_response_round_trip(case):
    again = openai_chat.parse_response(
        openai_chat.render_response(case["input"], case["model"], case["request"]))
    ir = case["input"]
    assert again["usage"] == ir["usage"]
    assert [p for p in again["content"] if p["type"] == "tool_call"] == \
        [p for p in ir["content"] if p["type"] == "tool_call"]
    texts = "".join(p["text"] for p in ir["content"] if p["type"] == "text")
    assert "".join(p["text"] for p in again["content"] if p["type"] == "text") == texts


def test_foreign_ids_are_replaced_by_chat_completion_ids():
    ir = dict(new_response("claude-sonnet-4-5"), id="msg_013Zva2CMHLNnXjNJJKqJ2EF",
              content=[{"type": "text", "text": "Hi"}], stop_reason="stop")
    body = openai_chat.render_response(ir, "sonnet", {})
    assert body["id"].startswith("chatcmpl-") and body["id"] != "chatcmpl-"
    assert isinstance(body["created"], int) and body["created"] > 1_700_000_000


def test_empty_answer_has_empty_string_content():
    body = openai_chat.render_response(new_response("m"), "m", {})
    message = ChatCompletion.model_validate(body).choices[0]
    assert (message.message.content, message.finish_reason) == ("", "stop")


@pytest.mark.parametrize("case", cases("openai_chat", "parse_usage"))
def test_parse_usage(case):
    assert openai_chat.parse_usage(case["input"]) == case["expected"]


def test_usage_renders_and_parses_back():
    ir_usage = usage(input_tokens=100, output_tokens=40, cached_tokens=60,
                     cache_creation_tokens=30, reasoning_tokens=25)
    body = openai_chat.render_response(dict(new_response("m"), usage=ir_usage), "m", {})
    assert body["usage"]["total_tokens"] == 140
    assert openai_chat.parse_usage(body) == ir_usage


def test_count_tokens_body():
    assert openai_chat.render_count_tokens(1234) == {"input_tokens": 1234}


@pytest.mark.parametrize("finish_reason, stop_reason", [
    ("stop", "stop"), ("length", "length"), ("tool_calls", "tool_calls"),
    ("content_filter", "content_filter"), ("function_call", "tool_calls"),
])
def test_finish_reasons_map_to_ir(finish_reason, stop_reason):
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "finish_reason": finish_reason,
                         "message": {"role": "assistant", "content": "x"}}]}
    assert openai_chat.parse_response(body)["stop_reason"] == stop_reason


@pytest.mark.parametrize("stop_reason, finish_reason", [
    ("stop", "stop"), ("stop_sequence", "stop"), ("length", "length"),
    ("tool_calls", "tool_calls"), ("content_filter", "content_filter"),
    ("refusal", "content_filter"), ("pause", "stop"), (None, "stop"),
])
def test_ir_stop_reasons_map_to_finish_reasons(stop_reason, finish_reason):
    ir = dict(new_response("m"), content=[{"type": "text", "text": "x"}], stop_reason=stop_reason)
    body = openai_chat.render_response(ir, "m", {})
    assert body["choices"][0]["finish_reason"] == finish_reason


def test_error_bodies():
    body = openai_chat.render_error(429, "slow down")
    assert body == {"error": {"message": "slow down", "type": "rate_limit_exceeded",
                              "param": None, "code": None}}
    assert openai_chat.parse_error(body) == ("slow down", "rate_limit_exceeded")
