"""Rounds rendered once serve every later request that sends them, with the
same bytes as rendering them afresh (``translators.turn_memo``)."""
import copy
import json
import logging

import orjson
import pytest

import translators
from bench import agent_session
from translators import dropped, turn_memo
from translators.claude import request as claude_request

SOURCES = ("claude", "openai", "responses")
TARGETS = ("claude", "openai")
_TURNS_KEY = {"claude": "messages", "openai": "messages", "responses": "input"}


@pytest.fixture(autouse=True)
def fresh_memo():
    turn_memo.forget()
    yield
    turn_memo.forget()


def _translated(source, target, body, prepare=None):
    return translators.translate_request(source, target, copy.deepcopy(body), model="m",
                                         stream=False, prepare=prepare)


def _without_memo(monkeypatch, source, target, body, prepare=None):
    with monkeypatch.context() as patch:
        patch.setattr(turn_memo, "rendered",
                      lambda key, messages, render, merges: render(messages))
        patch.setattr(turn_memo, "parsed",
                      lambda key, turns, starts, name, parse, last_wins: parse(turns))
        return orjson.dumps(_translated(source, target, body, prepare))


def _marked_last(source, body):
    """The session's cache breakpoint on its newest turn, as Claude Code
    moves it there with every request."""
    turns = body[_TURNS_KEY[source]]
    last = turns[-1]
    if source == "claude" and isinstance(last.get("content"), list):
        last["content"][-1]["cache_control"] = {"type": "ephemeral"}
    elif source == "openai":
        last["cache_control"] = {"type": "ephemeral"}
    return body


def _session(source, size=100_000):
    """The requests of a session growing a turn at a time, its breakpoint moving."""
    whole = json.loads(agent_session.body(source, "m", size))
    key = _TURNS_KEY[source]
    for length in range(1, len(whole[key]) + 1):
        body = copy.deepcopy(whole)
        body[key] = body[key][:length]
        yield _marked_last(source, body)


@pytest.mark.parametrize("target", translators.DIALECTS)
@pytest.mark.parametrize("source", SOURCES)
def test_a_growing_session_is_sent_as_without_the_memo(source, target, monkeypatch):
    if source == target:
        pytest.skip("same dialect: no translation")
    reused = 0
    last = None
    for body in _session(source):
        out = _translated(source, target, body)
        assert turn_memo.dumps(out) == _without_memo(monkeypatch, source, target, body)
        ir = translators.dialect(source).parse_request(copy.deepcopy(body))["messages"]
        if last is not None:
            reused += len({id(m) for m in ir} & {id(m) for m in last})
        last = ir
    assert reused > 20          # the memo was used, not just passed through


@pytest.mark.parametrize("source,target", [("claude", "openai"), ("openai", "claude"),
                                           ("responses", "claude")])
def test_a_repeated_request_takes_the_remembered_turns(source, target):
    body = json.loads(agent_session.body(source, "m", 40_000))
    first = _translated(source, target, body)
    second = _translated(source, target, body)
    shared = [a is b for a, b in zip(first["messages"], second["messages"])]
    assert sum(shared) >= len(shared) - 3       # all but the last round and the opening
    assert turn_memo.dumps(second) == orjson.dumps(second) == orjson.dumps(first)


def _call(call_id, name="Read", arguments='{"path":"a"}'):
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}


def _result(call_id, text="file text", name="Read"):
    return {"type": "tool_result", "tool_call_id": call_id, "name": name,
            "content": [{"type": "text", "text": text}], "is_error": False}


def _history(rounds, extra=None):
    messages = [{"role": "user", "content": [{"type": "text", "text": "fix it"}]}]
    for n in range(rounds):
        messages.append({"role": "assistant", "content": [_call(f"c{n}")]})
        messages.append({"role": "tool", "content": [_result(f"c{n}")]})
    if extra:
        messages.extend(extra)
    return messages


def _counting(render):
    calls = []

    def counted(messages):
        calls.append(len(messages))
        return render(messages)
    return counted, calls


def test_a_round_holding_a_number_or_a_flag_is_never_reused():
    """``True == 1``: equal IR holding either could be different JSON."""
    render, calls = _counting(claude_request._render_messages)
    for value in (1, True, 1.0, 1):
        messages = _history(3)
        messages[3]["content"][0]["extra"] = value
        got, _ = turn_memo.rendered("claude", messages, render, merges=True)
        assert got == claude_request._render_messages(messages)[0]
    assert calls.count(2) >= 4          # that round rendered every time


def test_a_plain_round_is_rendered_once():
    render, calls = _counting(claude_request._render_messages)
    for _ in range(3):
        got, marks = turn_memo.rendered("claude", _history(4), render, merges=True)
    assert (got, marks) == claude_request._render_messages(_history(4))
    assert len(calls) == 4              # four rounds, each rendered once (the last: at 3 turns)


def test_a_round_that_would_join_the_turn_before_renders_the_history_whole():
    """An assistant turn that renders to nothing leaves the next user turn
    next to the tool results' user turn: Anthropic's renderer merges them."""
    silent = {"role": "assistant", "content": [{"type": "text", "text": ""}]}
    follow = {"role": "user", "content": [{"type": "text", "text": "and then?"}]}
    messages = _history(2) + [silent, follow, {"role": "assistant",
                                               "content": [_call("c9")]},
                              {"role": "tool", "content": [_result("c9")]}]
    expected = claude_request._render_messages(messages)
    for _ in range(2):
        assert turn_memo.rendered("claude", messages, claude_request._render_messages,
                                  merges=True) == expected
    roles = [turn["role"] for turn in expected[0]]
    assert roles == ["user", "assistant"] * 3 + ["user"]      # "and then?" joined r1's turn


def test_a_round_with_a_cache_mark_is_not_remembered():
    messages = _history(2)
    messages[2]["content"][0]["cache_control"] = {"type": "ephemeral"}
    render, calls = _counting(claude_request._render_messages)
    for _ in range(2):
        turn_memo.rendered("claude", messages, render, merges=True)
    assert calls == [3, 2, 3]           # the marked round rendered again, the other not


def test_what_a_round_drops_is_said_for_every_request(caplog):
    def render(messages):
        dropped.dropped("claude", "something")
        return claude_request._render_messages(messages)
    caplog.set_level(logging.DEBUG, logger="switchyard.translators")
    for _ in range(2):
        before = dropped.said()
        turn_memo.rendered("claude", _history(3), render, merges=True)
        assert dropped.said() - before == 3


def test_reasoning_replayed_or_not_is_remembered_apart():
    """Chat Completions upstreams configured to take reasoning back get it
    (DeepSeek's ``reasoning_content``); the others never do."""
    from translators import openai_chat
    body = json.loads(agent_session.body("openai", "m", 20_000))
    for turn in body["messages"]:
        if turn["role"] == "assistant":
            turn["reasoning_content"] = "hm"
    expected = {}
    for replay in (False, True, False, True):
        ir = openai_chat.parse_request(copy.deepcopy(body))
        ir["replay_reasoning"] = replay
        out = turn_memo.dumps(openai_chat.render_request(ir, "m"))
        assert out.count(b'"reasoning_content":"hm"') == (replay and out.count(b'"tool_calls"'))
        assert expected.setdefault(replay, out) == out


def test_the_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(turn_memo, "LIMIT", 2_000)
    for n in range(40):
        messages = _history(3, [{"role": "assistant", "content": [_call(f"n{n}")]},
                                {"role": "tool", "content": [_result(f"n{n}", "x" * 200)]}])
        got, _ = turn_memo.rendered("claude", messages, claude_request._render_messages,
                                    merges=True)
        assert got == claude_request._render_messages(messages)[0]
        assert turn_memo._held <= 2_000
    assert turn_memo._rounds                            # it still remembers


def test_dumps_without_remembered_turns_is_orjson():
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "n": 1.5}
    assert turn_memo.dumps(body) == orjson.dumps(body)
    assert turn_memo.dumps({"contents": []}) == b'{"contents":[]}'


# --- reading the client's turns ------------------------------------------------

def _claude_session(inputs):
    """A Claude history of one round trip per input, the calls' ids fixed."""
    messages = [{"role": "user", "content": "fix it"}]
    for n, value in enumerate(inputs):
        messages.append({"role": "assistant", "content": [
            {"type": "tool_use", "id": f"toolu_{n}", "name": "Read", "input": value}]})
        messages.append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": f"toolu_{n}", "content": "text"}]})
    return {"model": "m", "max_tokens": 10, "messages": messages}


def test_numbers_and_booleans_are_read_with_their_own_types(monkeypatch):
    """``1 == 1.0 == True``: an equal round spelled with other types is read afresh."""
    for value in (1, 1.0, True, 1, -0.0, 0.0, 0):
        body = _claude_session([{"path": "a"}, {"limit": value, "path": "b"}])
        for target in ("openai", "gemini"):
            assert orjson.dumps(_translated("claude", target, body)) == \
                _without_memo(monkeypatch, "claude", target, body)


def test_a_repeated_request_is_read_into_the_same_ir_objects():
    for source in SOURCES:
        body = json.loads(agent_session.body(source, "m", 40_000))
        first = translators.dialect(source).parse_request(copy.deepcopy(body))["messages"]
        second = translators.dialect(source).parse_request(copy.deepcopy(body))["messages"]
        assert first == second and sum(a is b for a, b in zip(first, second)) > len(first) // 2


@pytest.mark.parametrize("target", ["openai", "gemini"])
def test_results_are_named_as_the_whole_history_names_them(target, monkeypatch):
    """Anthropic's parser names a result after the last tool_use with its id,
    anywhere: a later round reusing the id renames an earlier result."""
    body = _claude_session([{"path": "a"}, {"path": "b"}])
    first = copy.deepcopy(body)
    _translated("claude", target, first)                   # rounds remembered
    body["messages"] += [
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "toolu_0", "name": "Grep", "input": {"p": "x"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_0", "content": "hits"}]}]
    assert orjson.dumps(_translated("claude", target, body)) == \
        _without_memo(monkeypatch, "claude", target, body)


def test_a_result_answering_an_earlier_round_is_named_from_it(monkeypatch):
    """Chat Completions' parser names a result after the last call before it."""
    body = json.loads(agent_session.body("openai", "m", 40_000))
    call = next(m for m in body["messages"] if m.get("tool_calls"))["tool_calls"][0]
    body["messages"] += [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_late", "type": "function",
             "function": {"name": "Bash", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_late", "content": "ok"},
        {"role": "tool", "tool_call_id": call["id"], "content": "late answer"}]
    for _ in range(2):
        for target in ("claude", "gemini"):
            assert orjson.dumps(_translated("openai", target, body)) == \
                _without_memo(monkeypatch, "openai", target, body)


def test_a_round_opening_without_an_assistant_turn_reads_the_list_whole(monkeypatch):
    """Responses: an empty assistant message opens no turn, so the developer
    message after it is no system prompt there, and a round read alone
    would hoist it."""
    body = json.loads(agent_session.body("responses", "m", 40_000))
    at = next(i for i, item in enumerate(body["input"])
              if item.get("type") == "function_call_output") + 1
    body["input"][at:at] = [{"type": "message", "role": "assistant", "content": []},
                            {"type": "message", "role": "developer", "content": "mind"}]
    for _ in range(2):
        assert orjson.dumps(_translated("responses", "claude", body)) == \
            _without_memo(monkeypatch, "responses", "claude", body)


def test_a_round_with_a_minted_id_is_read_afresh():
    body = {"model": "m", "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "A", "arguments": "{}"}},
            {"type": "function", "function": {"name": "B", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "a"}]}
    ids = set()
    for _ in range(2):
        messages = translators.dialect("openai").parse_request(copy.deepcopy(body))["messages"]
        ids.add(messages[1]["content"][1]["id"])
    assert len(ids) == 2                # minted each time, as without the memo


def test_signatures_are_added_to_copies_of_shared_messages():
    from proxy.relay import signatures
    body = json.loads(agent_session.body("openai", "m", 40_000))
    first = translators.dialect("openai").parse_request(copy.deepcopy(body))
    second = translators.dialect("openai").parse_request(copy.deepcopy(body))
    call = next(p for m in second["messages"] for p in m["content"] if p["type"] == "tool_call")
    cache = signatures.SignatureCache()
    cache.remember(call["id"], "c2lnbmF0dXJl")
    cache.fill_request(second)
    assert any(p.get("signature") == "c2lnbmF0dXJl"
               for m in second["messages"] for p in m["content"])
    assert not any(p.get("signature") for m in first["messages"] for p in m["content"])
    third = translators.dialect("openai").parse_request(copy.deepcopy(body))
    assert not any(p.get("signature") for m in third["messages"] for p in m["content"])


def test_remembered_client_rounds_are_bounded(monkeypatch):
    monkeypatch.setattr(turn_memo, "SOURCE_LIMIT", 3_000)
    for n in range(30):
        body = _claude_session([{"path": "a" * 400}, {"path": str(n) * 300}])
        translators.dialect("claude").parse_request(body)
        assert turn_memo._source_held <= 3_000
    assert turn_memo._sources
