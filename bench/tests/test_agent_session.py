"""Agent-shaped request bodies: size, shape per dialect, determinism."""
import json

import pytest

from bench import agent_session

SIZES = (50_000, 250_000)


@pytest.mark.parametrize("dialect", agent_session.DIALECTS)
@pytest.mark.parametrize("size", SIZES)
def test_body_reaches_the_size_with_whole_turns(dialect, size):
    text = agent_session.body(dialect, "bench-x", size)
    assert size <= len(text) < size + 20_000       # one turn past the size at most
    request = json.loads(text)
    assert request["model"] == "bench-x" and request["stream"] is False
    assert len(request["tools"]) == agent_session.TOOL_COUNT == 25
    assert text == agent_session.body(dialect, "bench-x", size)   # deterministic


def test_claude_turns_pair_tool_use_with_tool_result():
    request = json.loads(agent_session.body("claude", "m", 50_000, stream=True))
    assert request["stream"] is True and request["system"][0]["text"] == agent_session.SYSTEM
    messages = request["messages"]
    assert [m["role"] for m in messages[:3]] == ["user", "assistant", "user"]
    assert messages[-1]["role"] == "user"
    uses = [b["id"] for m in messages if m["role"] == "assistant" for b in m["content"]
            if b["type"] == "tool_use"]
    results = [b["tool_use_id"] for m in messages[1:] if m["role"] == "user"
               for b in m["content"]]
    assert uses == results and len(set(uses)) == len(uses) > 5


def test_openai_tool_calls_carry_json_arguments_and_answers():
    messages = json.loads(agent_session.body("openai", "m", 50_000))["messages"]
    assert [m["role"] for m in messages[:2]] == ["system", "user"]
    calls = [m["tool_calls"][0] for m in messages if m["role"] == "assistant"]
    answers = [m["tool_call_id"] for m in messages if m["role"] == "tool"]
    assert [c["id"] for c in calls] == answers
    assert all("path" in json.loads(c["function"]["arguments"]) for c in calls)
    assert messages[-1]["role"] == "tool"


def test_responses_input_alternates_calls_and_outputs():
    request = json.loads(agent_session.body("responses", "m", 50_000))
    assert request["instructions"] == agent_session.SYSTEM
    kinds = [item["type"] for item in request["input"][1:]]
    assert kinds == ["function_call", "function_call_output"] * (len(kinds) // 2)
    assert request["tools"][0]["type"] == "function" and "parameters" in request["tools"][0]


def test_tool_output_is_code_with_characters_json_must_escape():
    text = agent_session.code(7, 40)
    assert len(text.splitlines()) >= 40
    assert all(c in text for c in ('"', "\\", "\t", "\n"))


@pytest.mark.parametrize("dialect", agent_session.DIALECTS)
def test_previous_is_the_same_session_one_round_trip_shorter(dialect):
    key = {"claude": "messages", "openai": "messages", "responses": "input"}[dialect]
    final = json.loads(agent_session.body(dialect, "m", 60_000))
    before = json.loads(agent_session.previous(dialect, "m", 60_000))
    assert final[key][:len(before[key])] == before[key]
    assert 1 <= len(final[key]) - len(before[key]) <= 3
    assert {k: v for k, v in final.items() if k != key} == \
        {k: v for k, v in before.items() if k != key}
