"""A tool list translated once serves every later request that sends it,
with the same result as translating it afresh, and a request never changes
what a later one gets (``translators.tool_memo``)."""
import copy
import json
import logging

import orjson
import pytest

import translators
from bench import agent_session
from proxy import validation
from proxy.validation import known_tools
from translators import tool_memo

PAIRS = [(s, t) for s in ("claude", "openai", "responses") for t in translators.DIALECTS
         if s != t]


@pytest.fixture(autouse=True)
def fresh_memo():
    tool_memo.forget()
    known_tools.forget()
    yield
    tool_memo.forget()
    known_tools.forget()


def _body(dialect, size=40_000):
    return json.loads(agent_session.body(dialect, "m", size))


def _translated(source, target, body):
    return orjson.dumps(translators.translate_request(source, target, copy.deepcopy(body),
                                                      model="m", stream=False))


def _without_memo(monkeypatch, source, target, body):
    with monkeypatch.context() as patch:
        patch.setattr(tool_memo, "parsed", lambda dialect, tools, parse: parse(tools))
        patch.setattr(tool_memo, "rendered", lambda dialect, tools, render: render(tools))
        return _translated(source, target, body)


@pytest.mark.parametrize("source,target", PAIRS)
def test_cold_warm_and_handed_over_translate_as_without_the_memo(source, target,
                                                                  monkeypatch):
    body = _body(source)
    expected = _without_memo(monkeypatch, source, target, body)
    assert _translated(source, target, body) == expected         # cold
    assert _translated(source, target, body) == expected         # warm
    fresh = copy.deepcopy(body)                                  # as the worker does it
    validation.check_deep(source, fresh)
    out = translators.translate_request(source, target, fresh, model="m", stream=False)
    assert orjson.dumps(out) == expected


def test_a_warm_hit_is_the_remembered_translation():
    body = _body("claude")
    first = translators.translate_request("claude", "openai", copy.deepcopy(body),
                                          model="m", stream=False)
    second = translators.translate_request("claude", "openai", copy.deepcopy(body),
                                           model="m", stream=False)
    assert second["tools"] is first["tools"]


def _marked_claude(marks_in_messages):
    body = _body("claude")
    for tool in body["tools"][:3]:
        tool["cache_control"] = {"type": "ephemeral"}
    blocks = [b for m in body["messages"] for b in m["content"] if isinstance(b, dict)]
    blocks[-1].pop("cache_control")     # body()'s rolling mark: only the marks set here count
    for block in blocks[:marks_in_messages]:
        block["cache_control"] = {"type": "ephemeral"}
    return body


def test_dropping_surplus_cache_marks_leaves_the_shared_tools_alone(monkeypatch):
    """Anthropic takes four marks: a request whose messages carry many loses
    its tools' marks, and the next request with the same tools and few
    marks keeps them."""
    bodies = (_marked_claude(0), _marked_claude(6), _marked_claude(0))
    expected = [_without_memo(monkeypatch, "claude", "claude", b) for b in bodies]
    got = [_translated("claude", "claude", b) for b in bodies]
    assert got == expected
    assert [sum("cache_control" in t for t in orjson.loads(g)["tools"]) for g in got] \
        == [3, 0, 3]


def test_a_list_with_a_dropped_tool_is_said_each_time(caplog):
    body = _body("responses")
    body["tools"].append({"type": "mystery_tool"})
    caplog.set_level(logging.DEBUG, logger="switchyard.translators")
    for _ in range(2):
        caplog.clear()
        translators.translate_request("responses", "claude", copy.deepcopy(body),
                                      model="m", stream=False)
        assert any("mystery_tool" in r.getMessage() for r in caplog.records)


def test_the_bytes_are_handed_over_to_that_very_list_once():
    tools = [{"type": "function", "function": {"name": "a"}}]
    tool_memo.hand_over(tools, b"handed")
    assert tool_memo.json_bytes(list(tools)) == orjson.dumps(tools)   # an equal list: its own
    assert tool_memo.json_bytes(tools) == b"handed"
    assert tool_memo.json_bytes(tools) == orjson.dumps(tools)         # taken once


def test_lists_orjson_cannot_write_are_translated_unremembered():
    body = _body("openai")
    body["tools"][0]["function"]["parameters"]["properties"]["big"] = {"default": 2 ** 70}
    expected = translators.translate_request("openai", "claude", copy.deepcopy(body),
                                             model="m", stream=False)
    again = translators.translate_request("openai", "claude", copy.deepcopy(body),
                                          model="m", stream=False)
    assert again == expected and again["tools"] is not expected["tools"]


def test_the_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(tool_memo, "LIMIT", 30_000)
    body = _body("claude")
    for i in range(3):
        variant = copy.deepcopy(body)
        variant["tools"][0]["description"] = f"variant {i}"
        translators.translate_request("claude", "openai", variant, model="m", stream=False)
    assert tool_memo._held <= 30_000


def test_a_remembered_rendering_is_written_from_its_kept_bytes():
    from translators import turn_memo
    body = _body("openai")
    translators.translate_request("openai", "claude", copy.deepcopy(body), model="m", stream=False)
    second = translators.translate_request("openai", "claude", copy.deepcopy(body),
                                           model="m", stream=False)
    assert tool_memo.written(second["tools"]) is not None
    assert tool_memo.written(list(second["tools"])) is None     # only the memo's own list
    assert turn_memo.dumps(second) == orjson.dumps(second)
