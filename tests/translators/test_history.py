"""Histories real conversations produce, translated to every other dialect:
each fixture under tests/fixtures/translators/history/ is one client
request (``source`` dialect) and, per target dialect, the parts of the
upstream body that history rules decide (see translators/history.py)."""
import json

import pytest

import translators
from translators import history, ir
from tests.translators.cases import cases

CASES = cases("history")


@pytest.mark.parametrize("case,target", [pytest.param(c.values[0], t, id=f"{c.id}->{t}")
                                         for c in CASES for t in c.values[0]["expected"]])
def test_history_reaches_the_target_valid(case, target):
    body = translators.translate_request(case["source"], target, case["input"],
                                         model=case.get("model", "m"), stream=False)
    expected = case["expected"][target]
    assert {key: body.get(key) for key in expected} == expected


def _call(call_id, name="f", arguments="{}"):
    return ir.tool_call(call_id, name, arguments)


def _result(call_id, value):
    return {"type": "tool_result", "tool_call_id": call_id, "name": None,
            "content": [ir.text(value)], "is_error": False}


def test_repair_leaves_its_input_alone():
    messages = [{"role": "user", "content": [ir.text("go")]},
                {"role": "assistant", "content": [_call("a"), _call("a", "g")]},
                {"role": "tool", "content": [_result("a", "1"), _result("a", "2")]}]
    before = json.dumps(messages)
    repaired = history.repair(messages)
    assert json.dumps(messages) == before
    assert [p["id"] for p in repaired[1]["content"]] == ["a", "a_2"]
    assert [p["tool_call_id"] for p in repaired[2]["content"]] == ["a", "a_2"]


def test_repair_is_stable_across_requests():
    """The next request of the conversation renders the same history (prompt caches)."""
    messages = [{"role": "user", "content": [ir.text("go")]},
                {"role": "assistant", "content": [_call("a"), _call("a", "g")]},
                {"role": "tool", "content": [_result("a", "1")]},
                {"role": "user", "content": [ir.text("next")]}]
    assert history.repair(messages) == history.repair(json.loads(json.dumps(messages)))
    assert history.repair(history.repair(messages)) == history.repair(messages)


def test_trailing_call_turn_gets_no_invented_results():
    messages = [{"role": "user", "content": [ir.text("go")]},
                {"role": "assistant", "content": [_call("a")]}]
    assert history.repair(messages) == messages
