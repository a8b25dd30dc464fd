"""Histories real conversations produce, translated to every other dialect:
each fixture under tests/fixtures/translators/history/ is one client
request (``source`` dialect) and, per target dialect, the parts of the
upstream body that history rules decide (see translators/history.py)."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- the in-order fast path gives what the general rebuild gives --------------

_IDS = st.sampled_from(["a", "b", "c", 7])
_PARTS = st.one_of(
    st.builds(ir.text, st.sampled_from(["", " ", "hi"])),
    st.builds(lambda i, n, a: ir.tool_call(i, n, a), _IDS, st.sampled_from(["f", "g"]),
              st.sampled_from(["{}", '{"x":1}'])),
    st.builds(lambda i, n, err: {"type": "tool_result", "tool_call_id": i, "name": n,
                                 "content": [ir.text("r")], "is_error": err},
              _IDS, st.sampled_from([None, "", "f", "g"]), st.booleans()),
    st.builds(lambda t, s: {"type": "reasoning", "text": t, "signature": s},
              st.sampled_from(["", " ", "think"]), st.sampled_from([None, "", "sig"])),
    st.just({"type": "redacted_reasoning", "data": "x"}),
    st.just({"type": "image", "media_type": "image/png", "data": "iVBO", "url": None}),
)
_TEXTS = st.builds(ir.text, st.sampled_from(["", "hi"]))
_SAID = st.one_of(_TEXTS,
                  st.just({"type": "reasoning", "text": "think", "signature": "sig"}),
                  st.just({"type": "redacted_reasoning", "data": "x"}))
_MESSAGES = st.lists(st.builds(lambda r, c: {"role": r, "content": c},
                               st.sampled_from(["user", "assistant", "tool", "system", "odd"]),
                               st.lists(_PARTS, max_size=3)), max_size=7)


def _in_order_history(turns):
    """``turns`` round trips of an agent: text and a call, then its result."""
    out = [{"role": "user", "content": [ir.text("go")]}]
    for t in range(turns):
        out += [{"role": "assistant", "content": [ir.text(f"step {t}"), _call(f"c{t}")]},
                {"role": "tool", "content": [dict(_result(f"c{t}", "out"), name="f")]}]
    return out


@st.composite
def _agent_histories(draw):
    """Round trips as agents send them, each maybe bent a little: calls
    sharing an id, results missing, repeated, reordered or unnamed,
    thinking, text and instructions around them."""
    def now_and_then():
        return draw(st.integers(0, 5)) == 5
    out = [{"role": "user", "content": [ir.text("go")]}]
    for t in range(draw(st.integers(0, 4))):
        ids = draw(st.lists(st.sampled_from([f"c{t}", f"d{t}", "x"]),
                            min_size=0 if now_and_then() else 1, max_size=3))
        said = draw(st.lists(_PARTS if now_and_then() else _SAID, max_size=2))
        calls = [_call(i, draw(st.sampled_from(["f", "g"]))) for i in ids]
        out.append({"role": "assistant", "content": said + calls})
        answered = draw(st.permutations(calls)) if now_and_then() else calls
        if now_and_then():
            answered = answered[:draw(st.integers(0, len(answered)))]
        if answered or now_and_then():
            out.append({"role": "tool", "content": [
                dict(_result(c["id"], "out"), name=None if now_and_then() else c["name"])
                for c in answered] + (draw(st.lists(_PARTS, max_size=1)) if now_and_then()
                                      else [])})
        for _ in range(draw(st.integers(0, 2))):
            role = draw(st.sampled_from(["user", "system", "tool"])) if now_and_then() \
                else draw(st.sampled_from(["user", "system"]))
            out.append({"role": role, "content": draw(st.lists(
                _PARTS if now_and_then() else _TEXTS, min_size=1, max_size=2))})
    return out[:len(out) - draw(st.integers(0, 1))]


@settings(max_examples=600, deadline=None, derandomize=True, database=None)
@given(_MESSAGES | _agent_histories())
def test_in_order_fast_path_gives_the_general_result(messages):
    before = json.dumps(messages)
    assert history.repair(messages) == history._rebuild(messages)
    assert json.dumps(messages) == before


@pytest.mark.parametrize("messages", [
    _in_order_history(3),
    _in_order_history(2)[:-1],                                          # trailing call turn
    _in_order_history(2) + [{"role": "user", "content": [ir.text("next")]},
                            {"role": "system", "content": [ir.text("mind")]},
                            {"role": "user", "content": [ir.text("and")]}],
    _in_order_history(1) + [{"role": "user", "content": [ir.text("a")]},
                            {"role": "user", "content": [ir.text("b")]}],  # merged
    [{"role": "assistant", "content": [{"type": "reasoning", "text": "", "signature": "s"},
                                       _call("a"), _call("b")]},
     {"role": "tool", "content": [dict(_result("b", "2"), name="f"),
                                  dict(_result("a", "1"), name="f")]}],  # results out of order
    [{"role": "assistant", "content": [_call("a")]},
     {"role": "tool", "content": [_result("a", "unnamed")]}],
    [{"role": "assistant", "content": [_call("a")]},
     {"role": "user", "content": [ir.text("between")]},
     {"role": "tool", "content": [dict(_result("a", "1"), name="f")]}],
    [{"role": "assistant", "content": [ir.text("no calls")]},
     {"role": "tool", "content": [dict(_result("a", "1"), name="f")]}],  # orphan
    [{"role": "user", "content": [ir.text("x")]},                      # thinking-only turn
     {"role": "assistant", "content": [{"type": "reasoning", "text": "t", "signature": "s"},
                                       {"type": "redacted_reasoning", "data": "x"}]},
     {"role": "user", "content": [ir.text("y")]}],
    [{"role": "assistant", "content": [_call("a")]},                   # unanswered mid-history
     {"role": "assistant", "content": [ir.text("then")]}],
    [{"role": "assistant", "content": [_call("a")]},
     {"role": "tool", "content": [dict(_result("a", "1"), name="f")]},
     {"role": "tool", "content": [dict(_result("a", "2"), name="f")]}],    # answered twice
    [{"role": "user", "content": []}],
    [{"role": "user", "content": [ir.text("x")], "extra": 1}],             # extra key dropped
    [{"role": "user", "content": [{"text": "no type"}]}],
    [{"role": "assistant", "content": [{"type": "tool_call", "name": "f"}]}],  # no id
])
def test_in_order_fast_path_edges(messages):
    def outcome(repair):
        try:
            return repair(messages)
        except Exception as exc:            # the same failure, raised the same way
            return type(exc), exc.args
    assert outcome(history.repair) == outcome(history._rebuild)


def test_in_order_history_is_returned_as_it_is():
    messages = _in_order_history(4)
    assert history._in_order(messages)
    assert history.repair(messages) == messages
