"""Anthropic Messages responses, usage and count-tokens <-> IR, table-driven
from tests/fixtures/translators/claude/{parse,render}_response/ and usage/."""
import pytest
from anthropic.types import Message, MessageTokensCount

from translators import ir
from translators.claude import parse_response, parse_usage, render_count_tokens, render_response
from tests.translators.cases import cases


@pytest.mark.parametrize("case", cases("claude", "parse_response"))
def test_parse_response(case):
    parsed = parse_response(case["input"])
    assert set(parsed) == set(ir.new_response())
    assert {key: parsed[key] for key in case["expected"]} == case["expected"]


@pytest.mark.parametrize("case", cases("claude", "parse_response"))
def test_parse_response_fixtures_are_real_messages(case):
    Message.model_validate(case["input"])


@pytest.mark.parametrize("case", cases("claude", "render_response"))
def test_render_response(case):
    resp = dict(ir.new_response(), **case["input"])
    assert render_response(resp, case["model"], case["request"]) == case["expected"]


@pytest.mark.parametrize("case", cases("claude", "render_response"))
def test_rendered_response_parses_with_sdk(case):
    resp = dict(ir.new_response(), **case["input"])
    message = Message.model_validate(render_response(resp, case["model"], case["request"]))
    assert message.model == case["model"]


def test_foreign_id_becomes_message_id():
    resp = dict(ir.new_response(), id="chatcmpl-abc123", content=[ir.text("hi")])
    assert render_response(resp, "claude-x", {})["id"].startswith("msg_")


@pytest.mark.parametrize("case", cases("claude", "usage"))
def test_parse_usage(case):
    assert parse_usage(case["input"]) == case["expected"]


def test_parse_usage_of_non_dict():
    assert parse_usage("[DONE]") is None


def test_count_tokens_shape():
    assert MessageTokensCount.model_validate(render_count_tokens(42)).input_tokens == 42
