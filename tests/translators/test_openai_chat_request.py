"""OpenAI Chat Completions requests <-> IR, driven by fixture files.

Each file under ``tests/fixtures/translators/openai_chat/<kind>/`` is one case.
"""
import pytest
from pydantic import TypeAdapter

from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolUnionParam
from translators import openai_chat
from translators.ir import TranslationError
from tests.translators.cases import cases


_MESSAGE = TypeAdapter(ChatCompletionMessageParam)
_TOOL = TypeAdapter(ChatCompletionToolUnionParam)


def validate_message(message):
    """Validate against the SDK's TypedDicts; their ``Iterable`` fields are
    checked lazily, so they are consumed here."""
    checked = _MESSAGE.validate_python(message)
    for key in ("content", "tool_calls"):
        if checked.get(key) is not None and not isinstance(checked[key], str):
            list(checked[key])


@pytest.mark.parametrize("case", cases("openai_chat", "parse_request"))
def test_parse_request(case):
    assert openai_chat.parse_request(case["input"]) == case["expected"]


@pytest.mark.parametrize("case", cases("openai_chat", "parse_request"))
def test_parse_request_inputs_are_sdk_shapes(case):
    # The fixtures must be what the official SDK would send.
    for message in case["input"]["messages"]:
        validate_message(message)
    for tool in case["input"].get("tools", []):
        _TOOL.validate_python(tool)


@pytest.mark.parametrize("case", cases("openai_chat", "render_request"))
def test_render_request(case):
    assert openai_chat.render_request(case["input"], case["model"]) == case["expected"]


@pytest.mark.parametrize("case", cases("openai_chat", "render_request"))
def test_rendered_request_is_sdk_shape(case):
    body = openai_chat.render_request(case["input"], case["model"])
    for message in body["messages"]:
        validate_message(message)
    for tool in body.get("tools", []):
        _TOOL.validate_python(tool)


@pytest.mark.parametrize("case", cases("openai_chat", "request_errors"))
def test_untranslatable_request_raises(case):
    with pytest.raises(TranslationError, match=case["error"]):
        if case.get("render"):
            openai_chat.render_request(case["input"], case["model"])
        else:
            openai_chat.parse_request(case["input"])


@pytest.mark.parametrize("case", cases("openai_chat", "parse_request"))
def test_round_trip_keeps_the_request(case):
    ir = case["expected"]
    # An upstream configured to take reasoning back (DeepSeek) keeps it all.
    again = openai_chat.parse_request(
        openai_chat.render_request(dict(ir, replay_reasoning=True), ir["model"]))
    # What rendering knowingly folds: system parts join into one message,
    # the client-only include_usage flag becomes "always ask the upstream".
    assert again["system"] == _joined(ir["system"], "\n\n")
    assert again["include_usage"] == ir["stream"]
    for key in ("messages", "tools", "tool_choice", "parallel_tool_calls", "max_tokens",
                "temperature", "top_p", "stop", "n", "reasoning", "response_format",
                "stream", "user", "metadata"):
        assert again[key] == _expected_after_round_trip(ir, key), key


def _joined(parts, separator):
    if not parts:
        return []
    return [{"type": "text", "text": separator.join(p["text"] for p in parts)}]


def _expected_after_round_trip(ir, key):
    if key == "messages":
        return [_joined_texts(m) for m in ir["messages"]]
    if key in ("parallel_tool_calls", "tool_choice") and not ir["tools"]:
        return None
    return ir[key]


def _joined_texts(message):
    # Text-only content (tool results, assistant turns) renders as one string.
    if message["role"] == "tool":
        return dict(message, content=[dict(r, content=_joined(r["content"], ""))
                                      for r in message["content"]])
    return message


def test_tool_call_without_id_gets_a_call_id():
    body = {"model": "m", "messages": [{"role": "assistant", "tool_calls": [
        {"type": "function", "function": {"name": "f", "arguments": ""}}]}]}
    call = openai_chat.parse_request(body)["messages"][0]["content"][0]
    assert call["id"].startswith("call_") and len(call["id"]) > len("call_")
    assert call["arguments"] == "{}"


def test_effort_beats_budget_when_both_are_given():
    ir = openai_chat.parse_request({"model": "m", "messages": [], "reasoning_effort": "minimal"})
    assert ir["reasoning"]["budget_tokens"] == 1024
    assert openai_chat.render_request(ir, "o3")["reasoning_effort"] == "minimal"


def test_raw_base64_file_data_takes_media_type_from_filename():
    part = {"type": "file", "file": {"file_data": "JVBERi0=", "filename": "a.pdf"}}
    ir = openai_chat.parse_request({"model": "m", "messages": [{"role": "user", "content": [part]}]})
    document = ir["messages"][0]["content"][0]
    assert (document["media_type"], document["data"]) == ("application/pdf", "JVBERi0=")


def test_history_reasoning_is_replayed_only_when_the_upstream_takes_it():
    case = next(c.values[0] for c in cases("openai_chat", "parse_request")
                if c.id == "reasoning_effort_and_history")
    ir = case["expected"]
    plain = openai_chat.render_request(ir, ir["model"])["messages"]
    replayed = openai_chat.render_request(dict(ir, replay_reasoning=True), ir["model"])["messages"]
    assert not any("reasoning_content" in m for m in plain)
    assert any("reasoning_content" in m for m in replayed)
