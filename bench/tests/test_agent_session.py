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


KEYS = {"claude": "messages", "openai": "messages", "responses": "input"}


def _unmarked(request):
    """``request`` without the cache mark on its last message's last block
    (the one mark that moves), after checking it sits there and only there."""
    last = request["messages"][-1]["content"][-1]
    assert last.pop("cache_control") == {"type": "ephemeral"}
    assert "cache_control" not in json.dumps(request["messages"])
    return request


@pytest.mark.parametrize("dialect", agent_session.DIALECTS)
def test_session_grows_by_one_round_trip_up_to_the_body(dialect):
    key = KEYS[dialect]
    bodies = agent_session.session(dialect, "m", 60_000, 6, stream=True)
    assert len(bodies) == 6 and bodies[-1] == agent_session.body(dialect, "m", 60_000, True)
    assert [len(b) for b in bodies] == sorted({len(b) for b in bodies})   # strictly growing
    requests = [json.loads(b) for b in bodies]
    if dialect == "claude":
        requests = [_unmarked(r) for r in requests]
    for before, after in zip(requests, requests[1:]):
        assert after[key][:len(before[key])] == before[key]
        # one round trip: the call and its output
        assert len(after[key]) - len(before[key]) == 2
        assert {k: v for k, v in after.items() if k != key} == \
            {k: v for k, v in before.items() if k != key}


def test_claude_mark_moves_to_each_requests_newest_tool_result():
    requests = [json.loads(b) for b in agent_session.session("claude", "m", 60_000, 4)]
    for request in requests:
        marked = [(i, j) for i, m in enumerate(request["messages"])
                  for j, block in enumerate(m["content"]) if "cache_control" in block]
        last = request["messages"][-1]
        assert marked == [(len(request["messages"]) - 1, len(last["content"]) - 1)]
        assert last["content"][-1]["type"] == "tool_result"
    # the block marked in one request is unmarked in the next
    earlier, later = requests[0]["messages"], requests[1]["messages"]
    assert "cache_control" not in later[len(earlier) - 1]["content"][-1]


def test_claude_opening_request_marks_its_one_user_text():
    request = json.loads(agent_session.body("claude", "m", 1))
    assert request["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "Fix the failing tests in src/.",
         "cache_control": {"type": "ephemeral"}}]}]


@pytest.mark.parametrize("dialect", agent_session.DIALECTS)
def test_session_longer_than_the_conversation_is_refused(dialect):
    held = agent_session.rounds(dialect, "m", 50_000) + 1
    assert len(agent_session.session(dialect, "m", 50_000, held)) == held
    with pytest.raises(ValueError, match="holds only"):
        agent_session.session(dialect, "m", 50_000, held + 1)


@pytest.mark.parametrize("dialect", agent_session.DIALECTS)
def test_window_ends_in_tool_results_and_fits_short_sessions(dialect):
    assert agent_session.SESSION_WINDOW == 10
    big = agent_session.window(dialect, "m", 250_000)
    assert big == agent_session.session(dialect, "m", 250_000, 10)
    small = agent_session.window(dialect, "m", 50_000)
    assert len(small) == agent_session.rounds(dialect, "m", 50_000) < 10
    assert small == agent_session.session(dialect, "m", 50_000, len(small))
    first = json.loads(small[0])[KEYS[dialect]]
    assert len(first) == len(json.loads(agent_session.body(dialect, "m", 1))[KEYS[dialect]]) + 2


@pytest.mark.parametrize("dialect", agent_session.DIALECTS)
def test_previous_is_the_same_session_one_round_trip_shorter(dialect):
    assert agent_session.previous(dialect, "m", 60_000) == \
        agent_session.session(dialect, "m", 60_000, 2)[0]
    assert agent_session.previous(dialect, "m", 1) == agent_session.body(dialect, "m", 1)
