"""translators.round_runs: a session's next request is translated taking up
each stage's last pass where its list stops holding the very same objects,
and goes upstream as the very bytes of a translation with no memo at all.

Requests are parsed as a worker parses them (``proxy.wire.json_resume``:
the unchanged turns are the last request's objects), so every stage meets
the lists it saw before; ``passes`` counts the passes taken up, so the
tests also prove the runs were used, not bypassed.
"""
import copy
import json

import orjson
import pytest

import translators
from bench import agent_session
from proxy.wire import json_resume
from tests.translators import shortcuts
from translators import history, round_runs, turn_memo

TURNS = {"claude": "messages", "openai": "messages", "responses": "input"}


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(json_resume, "FROM", 0)
    turn_memo.forget()
    json_resume.forget()
    history._checked.forget()
    yield
    turn_memo.forget()
    json_resume.forget()
    history._checked.forget()


@pytest.fixture
def passes(monkeypatch):
    """How many passes each stage took up, and over how many rounds."""
    taken = {"parse": 0, "render": 0, "history": 0}
    resume = round_runs.Runs.resume

    def counting(self, key, items):
        run, count = resume(self, key, items)
        stage = ("parse" if self is turn_memo._parse_runs else
                 "render" if self is turn_memo._render_runs else "history")
        taken[stage] += count > 0
        return run, count
    monkeypatch.setattr(round_runs.Runs, "resume", counting)
    return taken


def _plain(source, target, body):
    """The bytes sent with every memo and shortcut off, from a fresh parse."""
    with pytest.MonkeyPatch.context() as patch:
        shortcuts.switch_off(patch)
        return orjson.dumps(translators.translate_request(
            source, target, orjson.loads(body), model="m", stream=False))


def _sent(source, target, body):
    parsed = json_resume.parsed(body, orjson.loads, turns=TURNS[source])
    return turn_memo.dumps(translators.translate_request(
        source, target, parsed, model="m", stream=False))


@pytest.mark.parametrize("source,target", [
    ("claude", "openai"), ("claude", "responses"), ("claude", "gemini"),
    ("openai", "claude"), ("openai", "responses"), ("responses", "claude"),
    ("responses", "openai")])
def test_a_growing_session_goes_upstream_as_without_any_memo(source, target, passes):
    window = [body.encode() for body in agent_session.window(source, "m", 60_000, 6)]
    for body in window + window[:3]:            # grown, then rewound and grown again
        assert _sent(source, target, body) == _plain(source, target, body)
    assert passes["parse"] >= 6 and passes["history"] >= 6
    if target in ("claude", "openai"):          # (the renderers turn_memo keeps)
        assert passes["render"] >= 6


def test_an_earlier_turn_changed_is_read_from_there(passes):
    """A session edits a turn halfway (a client that rewrites history):
    the passes take up before it, and the bytes are still the plain ones."""
    body = json.loads(agent_session.body("openai", "m", 60_000))
    _sent("openai", "claude", orjson.dumps(body))
    edited = copy.deepcopy(body)
    middle = len(edited["messages"]) // 2
    edited["messages"][middle]["content"] += " (edited)"
    raw = orjson.dumps(edited)
    assert _sent("openai", "claude", raw) == _plain("openai", "claude", raw)
    assert passes["parse"] == 1 and passes["render"] == 1


def test_a_round_that_minted_an_id_is_never_taken_up(monkeypatch, passes):
    """A call without an id gets a fresh one at every reading; a pass is
    taken up only before such a round."""
    body = json.loads(agent_session.body("openai", "m", 40_000))
    del body["messages"][2]["tool_calls"][0]["id"]
    first = json_resume.parsed(orjson.dumps(body), orjson.loads, turns="messages")
    translators.translate_request("openai", "claude", first, model="m", stream=False)
    run = turn_memo._parse_runs.resume("openai", first["messages"])[0]
    assert run.usable == 0


def test_runs_keep_one_pass_per_session_and_a_few_sessions():
    runs = round_runs.Runs()
    sessions = [[object() for _ in range(6)] for _ in range(round_runs.KEPT + 1)]
    for items in sessions:
        runs.keep("k", round_runs.Run(items, [2, 4, 6], ["a", "b", "c"], 3))
    assert runs.resume("k", sessions[0]) == (None, 0)           # the oldest went
    run, count = runs.resume("k", sessions[-1][:3] + [object()] * 3)
    assert run.items is sessions[-1] and count == 1             # rounds ending before 3
    run, count = runs.resume("k", sessions[-1] + [object()])
    assert count == 2                                           # the last round may grow
    runs.keep("k", round_runs.Run(sessions[-1] + [1], [2, 7], ["a", "d"], 1))
    assert runs.resume("k", sessions[-1])[0].ends == [2, 7]     # the session moved on
    assert runs.resume("other", sessions[-1]) == (None, 0)
