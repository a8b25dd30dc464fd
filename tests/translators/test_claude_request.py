"""Anthropic Messages requests <-> IR, table-driven from
tests/fixtures/translators/claude/{parse,render,reject}_request/."""
import pytest

from translators import ir
from translators.claude import parse_request, render_request
from tests.translators.cases import cases


def ir_request(fields):
    """A full IR request from a fixture's partial one."""
    return dict(ir.new_request(), **fields)


@pytest.mark.parametrize("case", cases("claude", "parse_request"))
def test_parse_request(case):
    parsed = parse_request(case["input"])
    assert set(parsed) == set(ir.new_request())
    assert {key: parsed[key] for key in case["expected"]} == case["expected"]


@pytest.mark.parametrize("case", cases("claude", "render_request"))
def test_render_request(case):
    assert render_request(ir_request(case["input"]), case["model"]) == case["expected"]


@pytest.mark.parametrize("case", cases("claude", "reject_request"))
def test_reject_request(case):
    with pytest.raises(ir.TranslationError, match=case["error"].replace(">", r"\>")):
        if case["direction"] == "parse":
            parse_request(case["input"])
        else:
            render_request(ir_request(case["input"]), "claude-sonnet-4-5")


@pytest.mark.parametrize("case", cases("claude", "render_request"))
def test_rendered_turns_alternate_and_results_lead(case):
    """Anthropic's structural rules, checked on every rendered fixture."""
    turns = render_request(ir_request(case["input"]), case["model"])["messages"]
    roles = [turn["role"] for turn in turns]
    assert all(a != b for a, b in zip(roles, roles[1:]))
    for turn in turns:
        kinds = [block["type"] for block in turn["content"]]
        assert kinds == sorted(kinds, key=lambda kind: kind != "tool_result")
        assert all(block.get("text") != "" for block in turn["content"])


@pytest.mark.parametrize("case", cases("claude", "render_request"))
def test_rendered_thinking_fits_max_tokens(case):
    body = render_request(ir_request(case["input"]), case["model"])
    thinking = body.get("thinking", {})
    if thinking.get("type") == "enabled":
        assert 1024 <= thinking["budget_tokens"] < body["max_tokens"]
        assert not {"temperature", "top_p", "top_k"} & set(body)


def test_render_uses_upstream_model_not_ir_model():
    req = ir_request({"model": "alias", "messages": [{"role": "user", "content": [ir.text("hi")]}]})
    assert render_request(req, "claude-opus-4-6")["model"] == "claude-opus-4-6"


def test_image_without_known_media_type_is_refused():
    image = {"type": "image", "media_type": None, "data": "AAAA", "url": None}
    req = ir_request({"messages": [{"role": "user", "content": [image]}]})
    with pytest.raises(ir.TranslationError, match="media type"):
        render_request(req, "claude-sonnet-4-5")
