"""Gemini generateContent requests <-> IR, table-driven from
``tests/fixtures/translators/gemini/{parse,render}_request/`` and
``{request,render}_errors/`` (one case per file)."""
import pytest
from google.genai import types

from translators import gemini, ir
from tests.translators.cases import cases


def ir_request(partial):
    return dict(ir.new_request(), **partial)


def assert_sdk_valid(body):
    """The body validates against google-genai's pydantic types (extra="forbid")."""
    for content in body.get("contents", []):
        types.Content.model_validate(content)
    if "systemInstruction" in body or "system_instruction" in body:
        types.Content.model_validate(body.get("systemInstruction") or body["system_instruction"])
    for tool in body.get("tools", []):
        types.Tool.model_validate(tool)
    config = body.get("toolConfig") or body.get("tool_config")
    if config:
        types.ToolConfig.model_validate(config)
    generation = body.get("generationConfig") or body.get("generation_config")
    if generation:
        types.GenerationConfig.model_validate(generation)


@pytest.mark.parametrize("case", cases("gemini", "parse_request") + cases("gemini", "request_errors"))
def test_fixture_inputs_are_real_gemini_requests(case):
    assert_sdk_valid(case["input"])


@pytest.mark.parametrize("case", cases("gemini", "parse_request"))
def test_parse_request(case):
    parsed = gemini.parse_request(case["input"])
    assert {key: parsed[key] for key in case["expected"]} == case["expected"]
    untouched = set(parsed) - set(case["expected"])
    assert {k: parsed[k] for k in untouched} == {k: ir.new_request()[k] for k in untouched}


@pytest.mark.parametrize("case", cases("gemini", "request_errors"))
def test_parse_request_refuses_what_others_cannot_express(case):
    with pytest.raises(ir.TranslationError, match=case["error"]):
        gemini.parse_request(case["input"])


@pytest.mark.parametrize("case", cases("gemini", "render_request"))
def test_render_request(case):
    body = gemini.render_request(ir_request(case["input"]), case["model"])
    assert body == case["expected"]
    assert_sdk_valid(body)


@pytest.mark.parametrize("case", cases("gemini", "render_errors"))
def test_render_request_refuses_what_gemini_cannot_express(case):
    with pytest.raises(ir.TranslationError, match=case["error"]):
        gemini.render_request(ir_request(case["input"]), case["model"])


# Keys a Gemini -> IR -> Gemini -> IR trip must keep exactly.  Tool schemas
# and dynamic thinking are compared loosely below: Gemini cannot carry
# additionalProperties, and a dynamic budget reads back as its effort.
EXACT = ("system", "messages", "tool_choice", "max_tokens", "temperature", "top_p",
         "top_k", "stop", "n")


@pytest.mark.parametrize("case", cases("gemini", "parse_request"))
def test_round_trip_keeps_the_request(case):
    first = gemini.parse_request(case["input"])
    second = gemini.parse_request(gemini.render_request(first, "gemini-2.5-flash"))
    assert {k: second[k] for k in EXACT} == {k: first[k] for k in EXACT}
    assert [t["name"] for t in second["tools"]] == [t["name"] for t in first["tools"]]
    assert (second["response_format"] or {}).get("type") == (first["response_format"] or {}).get("type")
    assert (second["reasoning"] or {}).get("effort") == (first["reasoning"] or {}).get("effort")


def test_stable_ids_survive_a_growing_history():
    """The client resends history each turn: generated call ids must not change."""
    turn = [{"role": "user", "parts": [{"text": "go"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]}]
    reply = {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"output": "ok"}}}]}
    short = gemini.parse_request({"contents": turn})
    longer = gemini.parse_request({"contents": turn + [reply]})
    call_id = short["messages"][1]["content"][0]["id"]
    assert call_id.startswith("call_")
    assert longer["messages"][1]["content"][0]["id"] == call_id
    assert longer["messages"][2]["content"][0]["tool_call_id"] == call_id


def test_model_and_stream_stay_out_of_the_body():
    body = gemini.render_request(ir_request({
        "model": "x", "stream": True, "messages": [{"role": "user", "content": [ir.text("hi")]}]}), "x")
    assert body == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    assert gemini.parse_request(body)["model"] is None


def test_empty_text_parts_are_not_sent():
    """Gemini rejects a part with no data; an empty assistant text has none."""
    unsigned = {"type": "reasoning", "text": "", "signature": None}
    body = gemini.render_request(ir_request({"messages": [
        {"role": "user", "content": [ir.text("hi")]},
        {"role": "assistant", "content": [unsigned, ir.text(""), ir.tool_call("c1", "f", "{}")]}]}),
        "m")
    assert body["contents"][1]["parts"] == [{"functionCall": {"id": "c1", "name": "f", "args": {}}}]


def test_disabled_thinking_on_gemini_3_asks_for_the_least():
    body = gemini.render_request(ir_request({
        "messages": [{"role": "user", "content": [ir.text("hi")]}],
        "reasoning": {"effort": "none", "budget_tokens": 0, "summary": None, "enabled": False}}),
        "gemini-3-flash-preview")
    assert body["generationConfig"]["thinkingConfig"] == {"thinkingLevel": "low", "includeThoughts": False}


def test_inline_media_without_type_is_sniffed():
    part = {"type": "image", "media_type": None, "data": "/9j/4AAQSkZJRg==", "url": None}
    body = gemini.render_request(ir_request({"messages": [{"role": "user", "content": [part]}]}), "m")
    assert body["contents"][0]["parts"] == [{"inlineData": {"mimeType": "image/jpeg",
                                                            "data": "/9j/4AAQSkZJRg=="}}]


def test_cached_content_is_refused():
    with pytest.raises(ir.TranslationError, match="cachedContent"):
        gemini.parse_request({"contents": [], "cachedContent": "cachedContents/abc"})


def test_thinking_without_effort_leaves_the_level_to_gemini_3():
    body = gemini.render_request(ir_request({
        "messages": [{"role": "user", "content": [ir.text("hi")]}],
        "reasoning": {"effort": None, "budget_tokens": None, "summary": "auto", "enabled": True}}),
        "gemini-3-pro-preview")
    assert body["generationConfig"]["thinkingConfig"] == {"includeThoughts": True}
