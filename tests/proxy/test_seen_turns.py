"""Turns equal to turns found valid in an earlier request are not walked
again (``proxy.validation.seen_turns``), and no request gets another answer
for it: the same 400, naming the same field, or none."""
import copy
import json
import sys

import pytest

from bench import agent_session
from proxy import validation
from proxy.errors import BadRequest
from proxy.validation import known_tools, seen_turns
from proxy.validation.shape import ARRAY, BOOLEAN, NUMBER, OBJECT, STRING, Arr, Either, Obj

DIALECTS = ("claude", "openai", "responses")


@pytest.fixture(autouse=True)
def fresh_memory():
    seen_turns.forget()
    known_tools.forget()
    yield
    seen_turns.forget()
    known_tools.forget()


def _outcome(dialect, body):
    try:
        validation.check_deep(dialect, body)
    except BadRequest as exc:
        return exc.param, exc.message, exc.code
    return "valid"


def _small(dialect):
    """A small agent body with the fields a turn may hold a boolean in."""
    body = json.loads(agent_session.body(dialect, "m", 30_000))
    body["tools"] = body["tools"][:1]
    turns = body[seen_turns.TURNS[dialect]]
    if dialect == "claude":
        turns[2]["content"][0]["is_error"] = True
        turns[1]["content"][1]["input"] = {"limit": 20, "deep": {"flag": True}}
    elif dialect == "openai":
        turns.append({"role": "user", "content": [{"type": "text", "text": "é \ud83d\ude00 \\\"q\""}]})
    else:
        turns.append({"type": "message", "role": "user",
                      "content": [{"type": "input_text", "text": "\u2028 \\ \"q\""}]})
    return body


_VALUES = {"true": True, "one": 1, "float": 1.0, "zero": 0, "false": False, "null": None,
           "text": "s", "list": [1], "dict": {"a": 1}}


def _bent(body, field):
    """``body`` with one place of its turns at a time given another value
    (booleans, numbers and their look-alikes included) or left out."""
    def places(value, path):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield path + (key,)
                yield from places(inner, path + (key,))
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                yield path + (index,)
                yield from places(inner, path + (index,))
    for path in places(body[field], (field,)):
        for change in (*_VALUES, "gone"):
            bent = copy.deepcopy(body)
            holder = bent
            for step in path[:-1]:
                holder = holder[step]
            if change == "gone":
                if isinstance(holder, list):
                    continue
                del holder[path[-1]]
            else:
                holder[path[-1]] = copy.deepcopy(_VALUES[change])
            yield bent


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_bent_turn_gets_the_answer_of_a_first_walk(dialect):
    body = _small(dialect)
    cases = list(_bent(body, seen_turns.TURNS[dialect]))
    cold = []
    for case in cases:
        seen_turns.forget()
        cold.append(_outcome(dialect, copy.deepcopy(case)))
    warm = []
    for case in cases:
        validation.check_deep(dialect, copy.deepcopy(body))     # every turn remembered
        warm.append(_outcome(dialect, copy.deepcopy(case)))
    assert warm == cold
    assert len({c for c in cold if c != "valid"}) > 8          # the bends reached the fields
    assert cold.count("valid") > 8


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_turns_of_the_request_before_are_not_walked_again(dialect, monkeypatch):
    field = seen_turns.TURNS[dialect]
    walked = []
    check = validation._check

    def recording(dialect, body, deep):
        walked.append(len(body[field]))
        return check(dialect, body, deep)
    monkeypatch.setattr(validation, "_check", recording)
    body = json.loads(agent_session.body(dialect, "m", 60_000))
    validation.check_deep(dialect, copy.deepcopy(body))
    longer = copy.deepcopy(body)
    longer[field] += copy.deepcopy(body[field][-2:])            # the next round trip
    validation.check_deep(dialect, longer)
    assert walked == [len(body[field]), 2]


def test_a_new_bad_turn_is_named_by_its_own_index():
    body = json.loads(agent_session.body("claude", "m", 30_000))
    validation.check_deep("claude", copy.deepcopy(body))
    body["messages"].append({"role": "user", "content": [{"type": "text", "text": 7}]})
    with pytest.raises(BadRequest) as info:
        validation.check_deep("claude", body)
    assert info.value.param == f"messages[{len(body['messages']) - 1}].content[0].text"


def test_a_turn_with_a_boolean_where_its_shape_checks_one_is_walked_each_time():
    body = _small("claude")
    validation.check_deep("claude", copy.deepcopy(body))
    turns, reusable = seen_turns._kept["claude"][0]
    assert reusable[2] is False                  # is_error: true
    assert reusable[1] is True                   # numbers inside a tool's input: not checked
    body["messages"][2]["content"][0]["is_error"] = 1        # == True, and no boolean
    with pytest.raises(BadRequest) as info:
        validation.check_deep("claude", body)
    assert info.value.param == "messages[2].content[0].is_error"


def test_turns_nested_past_the_recursion_limit_are_walked():
    deep = {}
    inner = deep
    for _ in range(sys.getrecursionlimit() + 100):
        inner["a"] = {}
        inner = inner["a"]
    body = {"messages": [{"role": "assistant", "content": [
        {"type": "tool_use", "id": "t", "name": "n", "input": deep}]}]}
    assert _outcome("claude", body) == "valid"
    assert _outcome("claude", copy.copy(body)) == "valid"


def test_only_the_last_lists_are_kept():
    for n in range(seen_turns.KEPT + 2):
        validation.check_deep("openai", {"messages": [{"role": "user", "content": f"m{n}"}]})
    assert len(seen_turns._kept["openai"]) == seen_turns.KEPT


def test_numbers_looks_where_a_shape_checks_a_boolean_or_number():
    shape = Obj({"s": STRING, "b": BOOLEAN, "o": OBJECT, "a": ARRAY,
                 "e": Either(STRING, NUMBER), "l": Arr(Obj({"n": NUMBER}))})
    numbers = seen_turns.numbers(shape)
    assert not numbers({"s": "x", "o": {"n": 1}, "a": [1, True], "e": "1", "l": [{}]})
    assert numbers({"b": False})
    assert numbers({"e": 0})
    assert numbers({"l": [{"n": None}, {"n": 2.5}]})
    assert seen_turns.numbers(Obj({"s": STRING, "o": OBJECT})) is None


def test_a_shape_that_contains_itself_says_yes_wherever_it_recurs():
    node = Obj({"name": STRING})
    node.fields["children"] = Arr(node)
    numbers = seen_turns.numbers(node)
    assert not numbers({"name": "x", "children": []})
    assert numbers({"name": "x", "children": [{"name": "y"}]})
