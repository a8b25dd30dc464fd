"""proxy.wire.json_resume: which checkpoint a body is read again from, and
that every such read answers as ``json_top.top_level`` would with no memory.

Each test reads a sequence of bodies and compares every answer with the
oracle; ``resumed`` counts the reads that did not go back to a whole read,
so a test also proves the path it names was taken.
"""
import orjson
import pytest

from bench import agent_session
from proxy.wire import json_resume, json_top

KEEP = ("stream_options", "metadata")


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    json_resume.forget()
    monkeypatch.setattr(json_resume, "FROM", 0)
    yield
    json_resume.forget()


def _answers(monkeypatch, name):
    """``[n]``: how many times ``json_resume``'s step ``name`` answered."""
    count = [0]
    original = getattr(json_resume, name)

    def counting(*args):
        found = original(*args)
        count[0] += found is not None
        return found
    monkeypatch.setattr(json_resume, name, counting)
    return count


@pytest.fixture
def resumed(monkeypatch):
    """How many reads were answered from a remembered body."""
    return _answers(monkeypatch, "_resumed")


def _same(got, want):
    if want is None:
        assert got is None
        return
    assert got is not None and got.raw is want.raw
    assert list(got.items()) == list(want.items())
    assert [type(v) for v in got.values()] == [type(v) for v in want.values()]
    assert got.heads == want.heads and got.spans == want.spans


def _read(raw, heads=("messages",), turns=None, scope=""):
    raw = raw if isinstance(raw, bytes) else orjson.dumps(raw)
    got = json_resume.top_level(raw, KEEP, heads, turns=turns, scope=scope)
    _same(got, json_top.top_level(raw, KEEP, heads))
    return got


def _session(turns, first="messages", **extra):
    body = {"model": "m", first: [{"role": "user", "content": f"turn {i} " * 20}
                                  for i in range(turns)]}
    body.update(extra)
    return body


@pytest.mark.parametrize("dialect,key", [("claude", "messages"), ("openai", "messages"),
                                         ("responses", "input")])
@pytest.mark.parametrize("heads", [True, False])
def test_agent_session_resumes_after_an_element(dialect, key, heads, resumed):
    earlier = agent_session.previous(dialect, "m", 60_000).encode()
    later = agent_session.body(dialect, "m", 60_000).encode()
    names = (key,) if heads else ()
    _read(earlier, names, turns=key)
    _read(later, names, turns=key)
    _read(earlier, names, turns=key)         # a rewind
    _read(earlier, names, turns=key)         # an identical resend
    assert resumed[0] == 3
    kept = json_resume._recent[0]
    start, end = kept.members[kept.array][1:3]
    assert (kept.starts, kept.ends) == json_top.element_spans(earlier, start, end)


def test_element_places_carry_over_a_growing_session(resumed):
    for turns in range(10, 16):
        _read(_session(turns, stream=True))
    kept = json_resume._recent[0]
    start, end = kept.members[kept.array][1:3]
    assert (kept.starts, kept.ends) == json_top.element_spans(kept.raw, start, end)
    assert resumed[0] == 5 and len(json_resume._recent) == 1


def test_a_change_after_the_conversation_resumes_after_a_member(resumed):
    body = _session(12, tools=[{"name": "t"}], max_tokens=100, stream=False)
    _read(body)
    _read(dict(body, stream=True))
    _read(dict(body, stream=True, extra={"a": [1, 2]}))
    assert resumed[0] == 2


def test_a_number_that_goes_on_is_not_a_checkpoint(resumed):
    """``12`` remembered, ``12.5`` now: the end of ``12`` lies inside the
    common prefix, the byte after it does not, so the read resumes after
    the member before (a resume after ``12`` would say 12)."""
    def body(number):
        return _session(12, max_tokens=number, stream=True)
    for number in (12, 12.5, 123, 12, 12e3):
        _read(body(number))
    assert resumed[0] == 4


def test_a_difference_inside_a_string_resumes_only_at_a_real_boundary(resumed):
    """A turn whose text looks like more turns: the checkpoint is the end of
    the element before it, never a place inside the text."""
    trap = '"},{"role":"user","content":"x'
    body = _session(12)
    body["messages"].append({"role": "user", "content": trap * 3})
    _read(body)
    body["messages"][-1]["content"] = trap * 2 + '"}], "model": "n", "x": "'
    _read(body)
    raw = orjson.dumps(body)
    cut = raw.rindex(b'\\"},{') + 3
    assert _read(raw[:cut] + b"]}") is None        # the text never ends
    assert resumed[0] == 1


@pytest.mark.parametrize("tail", [
    b',"stream":true,"stream":false}',     # a key twice, both after the checkpoint
    b',"model":"n"}',                      # a key of the prefix again
    b',"":1}',                             # the synthetic member's own name
    b',"x":"\xed\xa0\x80"}',               # an encoded surrogate
    b',"x":1e999}',                        # a number orjson refuses where it is read
    b',"x":[1,]}',
    b'}  x',
    b'} ',
])
def test_a_tail_that_only_a_whole_read_can_tell(tail):
    head = orjson.dumps(_session(12))[:-1]
    _read(head + b',"stream":true}')
    _read(head + tail)


def test_leading_heads_need_the_prefix_to_hold_them(resumed):
    _read(_session(5))
    _read(_session(6))                      # the checkpoint would be the fifth turn
    assert resumed[0] == 0
    _read(_session(5), heads=(), turns="messages")
    _read(_session(6), heads=(), turns="messages")
    assert resumed[0] == 2


def test_whitespace_around_the_checkpoints(resumed):
    pretty = orjson.dumps(_session(12, stream=True), option=orjson.OPT_INDENT_2)
    _read(pretty)
    _read(pretty.replace(b'"stream": true', b'"stream": false'))
    grown = _session(13, stream=True)
    _read(orjson.dumps(grown, option=orjson.OPT_INDENT_2))
    assert resumed[0] == 2


def test_another_scope_is_never_compared(resumed):
    _read(_session(12), scope="key-a")
    _read(_session(13), scope="key-b")
    assert resumed[0] == 0
    _read(_session(14), scope="key-a")
    assert resumed[0] == 1
    assert [kept.scope for kept in json_resume._recent] == ["key-a", "key-b"]


def test_interleaved_sessions_each_resume_from_their_own(resumed):
    for turns in range(12, 16):
        _read(_session(turns, system="session one"))
        _read(_session(turns, first="input", system="session two"), heads=("input",))
    assert resumed[0] == 6 and len(json_resume._recent) == 2


def test_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(json_resume, "RECENT", 3)
    for n in range(5):
        _read({"system": f"session {n}", **_session(12)})
    assert len(json_resume._recent) == 3
    monkeypatch.setattr(json_resume, "LIMIT", 2 * len(json_resume._recent[0].raw))
    _read({"system": "one more", **_session(12)})
    assert len(json_resume._recent) == 2


def test_small_bodies_are_not_remembered(monkeypatch):
    monkeypatch.setattr(json_resume, "FROM", 10_000)
    _read(_session(3))
    assert json_resume._recent == []


# --- parsed: the whole parse, resumed -----------------------------------------

def _parse(raw):
    return orjson.loads(raw)


def _parsed(raw, turns="messages", scope=""):
    """``json_resume.parsed`` of ``raw``, checked to be the whole parse:
    equal, and written out the same (types and key order, nested too)."""
    raw = raw if isinstance(raw, bytes) else orjson.dumps(raw)
    got = json_resume.parsed(raw, _parse, turns=turns, scope=scope)
    want = orjson.loads(raw)
    assert got == want and orjson.dumps(got) == orjson.dumps(want)
    return got


@pytest.mark.parametrize("dialect,key", [("claude", "messages"), ("openai", "messages"),
                                         ("responses", "input")])
def test_parsed_shares_the_unchanged_turns(dialect, key, resumed):
    earlier = agent_session.previous(dialect, "m", 60_000).encode()
    later = agent_session.body(dialect, "m", 60_000).encode()
    first = _parsed(earlier, key)
    second = _parsed(later, key)
    assert resumed[0] == 1
    shared = sum(a is b for a, b in zip(first[key], second[key]))
    assert shared >= len(first[key]) - 2
    assert _parsed(earlier, key)[key][0] is first[key][0]      # a rewind


def test_parsed_after_a_member_and_with_new_members(resumed):
    body = _session(12, tools=[{"name": "t", "input_schema": {"b": 1, "a": [True, 1.0]}}],
                    max_tokens=100, stream=False)
    first = _parsed(body)
    second = _parsed(dict(body, stream=True, temperature=0.5))
    assert second["tools"] is first["tools"] and second["messages"] is first["messages"]
    assert list(second) == ["model", "messages", "tools", "max_tokens", "stream", "temperature"]
    assert resumed[0] == 1


def _parsed_or_the_same_error(raw):
    """``parsed`` gives the whole parse's value, or raises its very error."""
    try:
        want = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        with pytest.raises(orjson.JSONDecodeError) as got:
            json_resume.parsed(raw, _parse, turns="messages")
        assert str(got.value) == str(exc)
    else:
        assert json_resume.parsed(raw, _parse, turns="messages") == want


@pytest.mark.parametrize("tail", [
    b',"stream":true,"stream":false}',     # orjson keeps the last; the whole parse says it
    b',"x":1e999}',                        # the whole parse's error
    b',"":[0,1]}',
    b',"x":[1,]}',
])
def test_parsed_tails_only_the_whole_parse_can_tell(tail):
    head = orjson.dumps(_session(12))[:-1]
    _parsed(head + b',"stream":true}')
    _parsed_or_the_same_error(head + tail)


def test_parsed_bodies_are_never_changed_by_a_translation(resumed):
    """Translators read the shared turns and never change them: every
    remembered body still writes out as its bytes after each request is
    translated to every upstream dialect."""
    import translators
    from translators import turn_memo
    turn_memo.forget()
    previous = []
    for size in (40_000, 45_000, 50_000, 55_000):
        raw = agent_session.body("claude", "m", size).encode()
        body = _parsed(raw)
        for upstream in ("openai", "responses", "gemini", "claude"):
            translators.translate_request("claude", upstream, body, model="m", stream=False)
        previous.append((raw, body))
        for seen, parsed in previous:
            assert orjson.dumps(parsed) == orjson.dumps(orjson.loads(seen))
    assert resumed[0] == 3
    turn_memo.forget()


def test_parsed_does_not_resume_from_a_top_level_read():
    _read(_session(12))
    assert json_resume.parsed(orjson.dumps(_session(13)), _parse, turns="messages") \
        == _session(13)
    assert json_resume._recent[0].body is not None


# --- the conversation first: what follows it read from the last body ---------

def _claude_code(turns, **rest):
    """Claude Code's key order: the conversation, then system prompt and
    tools, then the small fields."""
    return {"model": "m", **_session(turns), "system": [{"type": "text", "text": "be brief"}],
            "tools": [{"name": f"t{i}", "input_schema": {"type": "object"}} for i in range(5)],
            "max_tokens": 100, **rest}


@pytest.fixture
def between(monkeypatch):
    """How many reads took the rest after the conversation from the last body."""
    return _answers(monkeypatch, "_between")


def test_the_rest_after_the_conversation_is_the_last_bodys(between, resumed):
    for turns in range(12, 16):
        _read(_claude_code(turns, stream=True))
    assert resumed[0] == 3 and between[0] == 3
    kept = json_resume._recent[0]
    start, end = kept.members[kept.array][1:3]
    assert (kept.starts, kept.ends) == json_top.element_spans(kept.raw, start, end)


def test_a_rest_that_changed_too_is_read_to_the_end(between, resumed):
    _read(_claude_code(12, stream=True))
    _read(_claude_code(13, stream=False))            # grown, and the flag flipped
    _read(_claude_code(14, stream=False, extra=1))   # grown, and a member more
    pretty = orjson.dumps(_claude_code(15, stream=False, extra=1), option=orjson.OPT_INDENT_2)
    _read(pretty)                                    # nothing shared that far
    assert resumed[0] == 2 and between[0] == 0


@pytest.mark.parametrize("middle", [
    b',{"role":"user","content":"\xed\xa0\x80"}',    # an encoded surrogate in a new turn
    b',{"role":"user","content":"x"',                # a turn left open
    b',{"role":"user","content":1e999}',             # a number orjson refuses
    b',]',
])
def test_new_turns_only_a_whole_read_can_tell(middle):
    raw = orjson.dumps(_claude_code(12, stream=True))
    _read(raw)
    cut = raw.index(b'],"system"')
    _read(raw[:cut] + middle + raw[cut:])
    _parsed(raw)
    _parsed_or_the_same_error(raw[:cut] + middle + raw[cut:])


def test_parsed_shares_what_follows_the_conversation(between):
    first = _parsed(_claude_code(12, stream=True))
    second = _parsed(_claude_code(13, stream=True))
    assert second["tools"] is first["tools"] and second["system"] is first["system"]
    assert second["messages"][0] is first["messages"][0]
    assert list(second) == list(first) and between[0] == 1
