"""The conversation memo changes no request: random sessions say so.

``translators.turn_memo`` reads a client's turns into IR a round at a time
and renders IR rounds once, reusing what it remembers from earlier
requests.  Whatever a session sends, in whatever order, every request must
go upstream as the very bytes the translation gives with both memos
switched off (or fail with the same error).  Hypothesis builds sessions in
the three client dialects the memo reads (Anthropic, Chat Completions,
Responses): tool calls under a small pool of ids reused across rounds,
results missing, repeated, out of order or answering another round's call,
text, thinking and reasoning, instructions mid-history, cache marks,
numbers, booleans and floats (``1``, ``1.0``, ``true``, ``-0.0``) in tool
inputs, empty turns and the odd malformed item.  Each session then sends a
sequence of requests: the conversation growing, an earlier turn changed
(into an equal value of other types or key order, or another value),
resent; each goes to every other dialect with the memo and without.

Minted ids (calls without one) are random by design; ``ir.new_id`` is made
to count instead and the output's minted ids are compared by the order in
which they appear.
"""
import base64
import copy
import itertools
import random
import re
import sys
import types

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import translators
from proxy.relay.signatures import SignatureCache
from proxy.wire import json_resume
from translators import ir, turn_memo

SOURCES = ("claude", "openai", "responses")
_TURNS_KEY = {"claude": "messages", "openai": "messages", "responses": "input"}

# Few ids and names, so ids recur across rounds and under other tools; an
# id with characters Anthropic refuses and one too long for every dialect.
IDS = ("a", "b", "toolu_1", "call x/1", "c" * 70)
NAMES = ("Read", "Bash", "Edit")
TEXTS = ("", " ", "ok", "done", "<system-reminder>x</system-reminder>")
LEAVES = (0, 1, -1, 0.0, -0.0, 1.0, 2.5, 1e-07, 1e16, True, False, None, "", "x", "1")
MARKS = ({"type": "ephemeral"}, {"type": "ephemeral", "ttl": "5m"},
         {"ttl": "5m", "type": "ephemeral"})
PNG = "iVBORw0KGgo="
SIGNATURES = ("c2ln", "", "Z2VtaW5p", None)

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))

# Sessions are built by a ``random.Random`` seeded by hypothesis: a session
# is a hundred small choices, which hypothesis's own draws make twenty times
# slower than the translations under test.  A failure prints the session.


def _pick(rng, choices):
    return choices[rng.randrange(len(choices))]


def _name(rng):
    """A tool name; now and then none a front door would let through (a
    number, a boolean, an object), which the translators still take."""
    if rng.randrange(40):
        return _pick(rng, NAMES)
    return copy.deepcopy(_pick(rng, (1, True, 1.0, {"p": "x", "q": "y"})))


def _value(rng, depth=0):
    """A JSON value of tool input: numbers, booleans and floats that are
    equal across types, nested a little."""
    kind = rng.randrange(6 if depth < 2 else 4)
    if kind == 4:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    if kind == 5:
        return _input(rng, depth + 1)
    return _pick(rng, LEAVES)


def _input(rng, depth=0):
    keys = rng.sample(("p", "q", "r"), rng.randrange(4))
    return {key: _value(rng, depth) for key in keys}


def _arguments(rng):
    if rng.randrange(3):
        return orjson.dumps(_input(rng)).decode()
    return _pick(rng, ("{}", "", "not json", "[1]", '{"p":1}', '{"p":1.0}'))


def _mark(rng):
    return _pick(rng, MARKS) if rng.randrange(5) == 0 else None


def _marked(block, mark):
    if mark is not None:
        block["cache_control"] = mark
    return block


def _rarely(rng, choices):
    """One of ``choices`` (a copy) a time in four, else nothing."""
    return [copy.deepcopy(_pick(rng, choices))] if rng.randrange(4) == 0 else []


def _answers(rng, calls):
    """The ids a turn of results answers: the calls', shuffled, now and then
    one missing, and now and then another id (another round's, or none's)."""
    answered = [call_id for call_id in calls if rng.randrange(6)]
    rng.shuffle(answered)
    if rng.randrange(4) == 0:
        answered.insert(rng.randrange(len(answered) + 1), _pick(rng, IDS))
    return answered


# --- Anthropic Messages -----------------------------------------------------

def _claude_thinking(rng):
    block = {"type": "thinking", "thinking": _pick(rng, TEXTS)}
    signature = _pick(rng, SIGNATURES)
    if signature is not None:
        block["signature"] = signature
    return block


def _claude_text(rng):
    return _marked({"type": "text", "text": _pick(rng, TEXTS)}, _mark(rng))


_CLAUDE_IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                             "data": PNG}}


def _claude_assistant_block(rng):
    kind = rng.randrange(12)
    if kind < 8:
        return _marked({"type": "tool_use", "id": _pick(rng, IDS), "name": _name(rng),
                        "input": _input(rng)}, _mark(rng))
    if kind == 8:
        return _claude_text(rng)
    if kind == 9:
        return _claude_thinking(rng)
    return copy.deepcopy(_pick(rng, (
        {"type": "redacted_thinking", "data": "eA=="},
        {"type": "redacted_thinking", "data": "eA=="},
        {"type": "server_tool_use", "id": "srv", "name": "web_search", "input": {}},
        _CLAUDE_IMAGE, _CLAUDE_IMAGE)))


def _claude_result(rng, call_id):
    block = {"type": "tool_result", "tool_use_id": call_id}
    kind = rng.randrange(5)
    if kind < 2:
        block["content"] = _pick(rng, TEXTS)
    elif kind == 2:
        block["content"] = [_claude_text(rng) if rng.randrange(3) else copy.deepcopy(
            _CLAUDE_IMAGE) for _ in range(rng.randrange(3))]
    elif kind == 3:
        block["content"] = None
    flag = _pick(rng, ("absent", "absent", True, False, 1, 0))
    if flag != "absent":
        block["is_error"] = flag
    return _marked(block, _mark(rng))


_CLAUDE_EXTRAS = (
    {"role": "system", "content": "mind the tests"},
    {"role": "system", "content": [{"type": "text", "text": "note",
                                    "cache_control": {"type": "ephemeral"}}]},
    {"role": "user", "content": "and then?"},
    {"role": "assistant", "content": "prefill"},
    {"role": "assistant", "content": []},
    {"role": "bogus", "content": "x"},
    {"role": "user", "content": [{"type": "document", "source": {"type": "text",
                                                                  "data": "doc"}}]},
    {"role": "user", "content": [{"type": "image", "source": {"type": "file"}}]},
    "not a message")


def _claude_round(rng):
    """An assistant turn (calls, text, thinking), then the user's turn of
    results (for its calls or others, in any order) and text."""
    blocks = [_claude_assistant_block(rng) for _ in range(rng.randrange(4))]
    if rng.randrange(3) == 0:
        blocks.insert(0, _claude_thinking(rng))
    content = blocks if blocks and rng.randrange(5) else _pick(rng, ([], "", "ok"))
    turns = [{"role": "assistant", "content": content}]
    calls = [b["id"] for b in blocks if b["type"] == "tool_use"]
    results = [_claude_result(rng, call_id) for call_id in _answers(rng, calls)]
    extra = [_claude_text(rng) if rng.randrange(2) else _claude_thinking(rng)
             for _ in range(rng.randrange(4) // 3)]
    user = results + extra if rng.randrange(2) else extra + results
    turns.append({"role": "user", "content": user or _pick(rng, ([], "", "go on"))})
    return turns + _rarely(rng, _CLAUDE_EXTRAS)


def claude_session(rng):
    turns = copy.deepcopy(_pick(rng, (
        [{"role": "user", "content": "fix it"}],
        [{"role": "system", "content": "be brief"}, {"role": "user", "content": "fix it"}],
        [])))
    for _ in range(1 + rng.randrange(8)):
        turns += _claude_round(rng)
    body = {"model": "m", "max_tokens": 1000, "messages": turns,
            "system": copy.deepcopy(_pick(rng, ("be careful", "", [
                {"type": "text", "text": "s", "cache_control": MARKS[0]}])))}
    if rng.randrange(3) == 0:
        body["thinking"] = {"type": "enabled", "budget_tokens": 2048}
    if rng.randrange(2):
        # (the tool list's rendering is remembered too and written from its
        # bytes by the same ``turn_memo.dumps``)
        body["tools"] = [_marked({"name": name, "input_schema": {
            "type": "object", "properties": {"p": {"type": "string"}}}}, _mark(rng))
            for name in NAMES]
    return body


# --- Chat Completions -------------------------------------------------------

def _openai_call(rng):
    kind = rng.randrange(10)
    if kind == 0:
        return {"id": _pick(rng, IDS), "type": "custom",
                "custom": {"name": _name(rng), "input": _pick(rng, TEXTS)}}
    call = {"id": _pick(rng, IDS), "type": "function",
            "function": {"name": _name(rng), "arguments": _arguments(rng)}}
    if kind == 1:
        del call["id"]                  # minted
    return call


def _openai_tool_message(rng, call_id):
    if rng.randrange(3):
        content = _pick(rng, TEXTS)
    else:
        content = [_marked({"type": "text", "text": _pick(rng, TEXTS)}, _mark(rng))
                   for _ in range(rng.randrange(3))]
    return _marked({"role": "tool", "tool_call_id": call_id, "content": content}, _mark(rng))


_OPENAI_EXTRAS = (
    {"role": "user", "content": "and then?"},
    {"role": "user", "content": [{"type": "text", "text": "look"},
                                 {"type": "image_url",
                                  "image_url": {"url": "data:image/png;base64," + PNG}}]},
    {"role": "system", "content": "mind the tests"},
    {"role": "developer", "content": [{"type": "text", "text": "note",
                                       "cache_control": {"type": "ephemeral"}}]},
    {"role": "assistant", "content": "prefill"},
    {"role": "bogus", "content": "x"},
    {"role": "function", "content": "legacy"},
    {"role": "user", "content": [{"type": "input_audio"}]},
    "not a message")


def _openai_round(rng):
    calls = [_openai_call(rng) for _ in range(rng.randrange(4))]
    message = {"role": "assistant", "content": copy.deepcopy(_pick(rng, (
        None, "", "ok", [{"type": "text", "text": "x"}], [{"type": "refusal", "refusal": "no"}])))}
    if calls or rng.randrange(2):
        message["tool_calls"] = calls
    reasoning = _pick(rng, (None, None, "", "think"))
    if reasoning is not None:
        message[_pick(rng, ("reasoning_content", "reasoning"))] = reasoning
    turns = [_marked(message, _mark(rng))]
    turns += [_openai_tool_message(rng, call_id)
              for call_id in _answers(rng, [call.get("id") for call in calls])]
    return turns + _rarely(rng, _OPENAI_EXTRAS)


def openai_session(rng):
    turns = copy.deepcopy(_pick(rng, (
        [{"role": "user", "content": "fix it"}],
        [{"role": "system", "content": "be brief"}, {"role": "developer", "content": "x"},
         {"role": "user", "content": "fix it"}],
        [])))
    for _ in range(1 + rng.randrange(8)):
        turns += _openai_round(rng)
    body = {"model": "m", "messages": turns}
    effort = _pick(rng, (None, None, "low", "high"))
    if effort:
        body["reasoning_effort"] = effort
    if rng.randrange(2):
        body["tools"] = [{"type": "function", "function": {"name": name, "parameters": {
            "type": "object", "properties": {"p": {"type": "string"}}}}} for name in NAMES]
    return body


# --- Responses --------------------------------------------------------------

def _responses_call(rng):
    kind = rng.randrange(8)
    if kind == 0:
        return {"type": "custom_tool_call", "call_id": _pick(rng, IDS), "name": "apply_patch",
                "input": _pick(rng, TEXTS)}
    if kind == 1:
        return {"type": "reasoning",
                "summary": [{"type": "summary_text", "text": _pick(rng, TEXTS)}]}
    if kind == 2:
        return {"type": "message", "role": "assistant", "content": copy.deepcopy(_pick(rng, (
            "", "ok", [{"type": "output_text", "text": "ok"}], [])))}
    item = {"type": "function_call", "call_id": _pick(rng, IDS), "name": _name(rng),
            "arguments": _arguments(rng)}
    if kind == 3:
        item["id"] = "fc_" + item.pop("call_id")
    return item


def _responses_output(rng, call_id):
    if rng.randrange(3):
        output = _pick(rng, TEXTS)
    else:
        output = [_marked({"type": "input_text", "text": _pick(rng, TEXTS)}, _mark(rng))
                  for _ in range(rng.randrange(3))]
    kind = _pick(rng, ("function_call_output", "function_call_output", "custom_tool_call_output"))
    return {"type": kind, "call_id": call_id, "output": output}


_RESPONSES_EXTRAS = (
    {"type": "message", "role": "user", "content": "and then?"},
    {"role": "user", "content": [{"type": "input_text", "text": "untyped"}]},
    {"type": "message", "role": "developer", "content": "mind the tests"},
    {"type": "message", "role": "system",
     "content": [{"type": "input_text", "text": "n", "cache_control": {"type": "ephemeral"}}]},
    {"type": "web_search_call", "id": "ws_1", "status": "completed"},
    {"type": "file_search_call", "id": "fs_1"},
    {"type": "item_reference", "id": "msg_1"},
    {"type": "message", "role": "user",
     "content": [{"type": "input_image", "image_url": "data:image/png;base64," + PNG}]},
    "not an item")


def _responses_round(rng):
    items = [_responses_call(rng) for _ in range(1 + rng.randrange(3))]
    calls = [item.get("call_id") or item.get("id") for item in items
             if item["type"] in ("function_call", "custom_tool_call")]
    items += [_responses_output(rng, call_id) for call_id in _answers(rng, calls)]
    return items + _rarely(rng, _RESPONSES_EXTRAS)


def responses_session(rng):
    items = copy.deepcopy(_pick(rng, (
        [{"type": "message", "role": "user", "content": "fix it"}],
        [{"type": "message", "role": "developer", "content": "be brief"},
         {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]}],
        [])))
    for _ in range(1 + rng.randrange(8)):
        items += _responses_round(rng)
    body = {"model": "m", "input": items, "instructions": _pick(rng, ("", "be kind"))}
    if rng.randrange(2):
        body["tools"] = [{"type": "custom", "name": "apply_patch", "description": "patch"},
                         {"type": "function", "name": "Read",
                          "parameters": {"type": "object", "properties": {}}}]
    return body


SESSIONS = {"claude": claude_session, "openai": openai_session,
            "responses": responses_session}


# --- changes a later request makes to its conversation ----------------------

# Values equal (``==``) to each other but written otherwise in JSON.
_TWINS = ((0, 0.0, -0.0, False), (1, 1.0, True), (-1, -1.0), (10 ** 16, 1e16))


def _twin(value, rng):
    """A value equal to ``value`` but of another type or spelling, or None."""
    for group in _TWINS:
        if any(type(value) is type(twin) and repr(value) == repr(twin) for twin in group):
            others = [twin for twin in group
                      if type(twin) is not type(value) or repr(twin) != repr(value)]
            return _pick(rng, others)
    return None


def _places(value, path=()):
    """Every (path, value) below ``value``."""
    out = [(path, value)]
    if type(value) is dict:
        for key, item in value.items():
            out += _places(item, path + (key,))
    elif type(value) is list:
        for at, item in enumerate(value):
            out += _places(item, path + (at,))
    return out


def _put(root, path, value):
    for name in path[:-1]:
        root = root[name]
    root[path[-1]] = value


def _changed(turns, kind, rng):
    """``turns`` (a copy) with one change of ``kind`` somewhere: ``drop`` a
    turn, ``reorder`` an object's keys or ``retype`` a number (the same
    value to ``==``: the memo must see the difference), ``edit`` a string."""
    turns = copy.deepcopy(turns)
    if not turns:
        return turns
    if kind == "drop":
        del turns[rng.randrange(len(turns))]
        return turns
    places = [(path, value) for path, value in _places(turns)[1:]
              if (kind == "reorder" and type(value) is dict and len(value) > 1)
              or (kind == "retype" and _twin(value, rng) is not None)
              or (kind == "edit" and type(value) is str)]
    if kind == "reorder":
        # mostly what a parser keeps or writes out: tool input, cache marks
        inner = [place for place in places if "input" in place[0] or "cache_control" in place[0]]
        places = inner if inner and rng.randrange(4) else places
    if not places:
        return turns
    path, value = _pick(rng, places)
    if kind == "reorder":
        _put(turns, path, dict(reversed(list(value.items()))))
    elif kind == "retype":
        _put(turns, path, _twin(value, rng))
    else:
        _put(turns, path, value + "!")
    return turns


_STEPS = ("grow", "grow", "grow", "resend", "reorder", "retype", "retype", "edit", "drop",
          "prefix")


# --- translating, with the memo and without ---------------------------------

class _Counter:
    """``uuid.uuid4()`` for ``ir.new_id``, counting: ids say they were minted."""

    def __init__(self):
        self.count = 0

    def uuid4(self):
        self.count += 1
        return types.SimpleNamespace(hex=f"MINT{self.count:06d}".ljust(32, "0"))


_MINTED = re.compile(rb"MINT\d{6}")


def _canonical(data):
    seen = {}
    return _MINTED.sub(lambda m: b"MINTED%d" % seen.setdefault(m.group(), len(seen)), data)


def _replay(request):
    request["replay_reasoning"] = True


def _signatures(request):
    """The proxy's Gemini signature cache, knowing two of the session's
    call ids, by other signatures for each request (it learns as answers
    come): filling them in must copy the turns the memo shares."""
    cache = SignatureCache()
    cache.remember("a", base64.b64encode(b"a%d" % request).decode())
    cache.remember("c" * 70, base64.b64encode(b"c%d" % request).decode())
    return cache


_requests = itertools.count()


def _sent(source, target, body, replay, memo, request=0):
    """The bytes sent upstream, or the error the translation raised; the
    request's IR amended as the proxy amends it for the target."""
    if target == "gemini":
        prepare = _signatures(request).fill_request
    else:
        prepare = _replay if replay else None
    try:
        if memo:
            out = translators.translate_request(source, target, _parsed(source, body),
                                                model="m", stream=False, prepare=prepare)
            return _canonical(turn_memo.dumps(out))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(turn_memo, "rendered",
                          lambda key, messages, render, merges: render(messages))
            patch.setattr(turn_memo, "parsed",
                          lambda key, turns, starts, name, parse, last_wins: parse(turns))
            out = translators.translate_request(source, target, copy.deepcopy(body), model="m",
                                                stream=False, prepare=prepare)
            return _canonical(orjson.dumps(out))
    except Exception as error:      # noqa: BLE001 (compared: the same error either way)
        return type(error).__name__, _canonical(str(error).encode())


def _parsed(source, body):
    """``body`` as the gateway parses a request: from its bytes, sharing
    the turns a remembered request of the session had the same bytes for
    (``proxy.wire.json_resume``), so the memos meet the very objects they
    saw before, as they do in a worker."""
    return json_resume.parsed(orjson.dumps(body), orjson.loads, turns=_TURNS_KEY[source])


def _check(source, body, replay):
    request = next(_requests)
    for target in translators.DIALECTS:
        if target != source:
            with_memo = _sent(source, target, body, replay, True, request)
            without = _sent(source, target, body, replay, False, request)
            assert with_memo == without, \
                f"{source} -> {target} (replay {replay}) differs for {body!r}"


def _run_session(source, body, rng):
    """Send ``body``'s conversation a few times: grown by the session's next
    turns, cut back, with a turn changed, or again as it was."""
    key = _TURNS_KEY[source]
    whole = body[key]
    current = whole[:1 + rng.randrange(len(whole))]
    for _ in range(2 + rng.randrange(8)):
        _check(source, dict(body, **{key: current}), rng.randrange(4) == 0)
        kind = _pick(rng, _STEPS)
        if kind == "grow":
            current = current + whole[len(current):len(current) + 1 + rng.randrange(4)]
        elif kind == "prefix":
            current = whole[:rng.randrange(len(whole) + 1)]
        elif kind != "resend":
            current = _changed(current, kind, rng)


@pytest.fixture(autouse=True)
def counted_ids(monkeypatch):
    monkeypatch.setattr(ir, "uuid", _Counter())
    monkeypatch.setattr(sys.modules[__name__], "_requests", itertools.count())
    monkeypatch.setattr(json_resume, "FROM", 0)
    turn_memo.forget()
    json_resume.forget()
    yield
    turn_memo.forget()
    json_resume.forget()


@pytest.mark.parametrize("source", SOURCES)
@SETTINGS
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_every_request_of_a_random_session_is_sent_as_without_the_memo(source, seed):
    turn_memo.forget()
    json_resume.forget()
    rng = random.Random(seed)
    _run_session(source, SESSIONS[source](rng), rng)


@settings(SETTINGS, max_examples=60)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_sessions_of_several_dialects_share_the_memo_exactly(seed):
    """The rendered rounds are shared by every client dialect whose IR
    round is equal: sessions of two dialects, interleaved."""
    turn_memo.forget()
    rng = random.Random(seed)
    sources = rng.sample(SOURCES, 2)
    bodies = {source: SESSIONS[source](rng) for source in sources}
    for _ in range(2 + rng.randrange(4)):
        source = _pick(rng, sources)
        turns = bodies[source][_TURNS_KEY[source]]
        _check(source, dict(bodies[source], **{_TURNS_KEY[source]:
                                               turns[:1 + rng.randrange(len(turns))]}),
               rng.randrange(4) == 0)


# --- what the sessions found, kept as cases ---------------------------------

def _claude_body(first_input, second_input=None, name="Edit"):
    """Two rounds of calls and results, the second call's input given."""
    return {"model": "m", "max_tokens": 100, "messages": [
        {"role": "user", "content": "fix it"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "Read",
                                           "input": first_input}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a",
                                      "content": "r"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "b", "name": name,
                                           "input": second_input or {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "b",
                                      "content": "r"}]}]}


def test_tool_input_with_its_keys_in_another_order_is_read_again():
    """``==`` ignores key order; the arguments text written from the input
    keeps it: ``{"p":"x","q":"y"}`` once remembered must not answer for
    ``{"q":"y","p":"x"}``."""
    _check("claude", _claude_body({}, {"p": "x", "q": "y"}), False)
    _check("claude", _claude_body({}, {"q": "y", "p": "x"}), False)


def test_a_cache_mark_with_its_keys_in_another_order_is_read_again():
    """A Chat Completions client's cache mark is carried into the IR as it
    is and written out to Anthropic as it was read."""
    def body(mark):
        return {"model": "m", "messages": [
            {"role": "user", "content": "fix it"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "Read", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "a", "content": "r"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "b", "type": "function", "function": {"name": "Read", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "b", "content": "r", "cache_control": mark}]}
    _check("openai", body({"type": "ephemeral", "ttl": "5m"}), False)
    _check("openai", body({"ttl": "5m", "type": "ephemeral"}), False)


def test_a_result_is_named_as_the_whole_list_names_it_whatever_the_type():
    """A call id used in two rounds under names ``1`` and ``true`` (equal
    in Python): each result takes the last call's name, as without the memo
    (only a client past the front door's checks sends such names)."""
    body = _claude_body({}, name=True)
    body["messages"][1]["content"][0].update(id="b", name=1)
    body["messages"][2]["content"][0]["tool_use_id"] = "b"
    _check("claude", body, False)


def test_a_round_carrying_a_client_object_is_rendered_afresh():
    """A field that should be a string but is an object travels into the IR
    and out again as it is: its key order is the client's, which ``==`` of
    the IR does not see (only a client past the front door's checks sends
    one)."""
    _check("claude", _claude_body({}, name={"p": "x", "q": "y"}), False)
    _check("claude", _claude_body({}, name={"q": "y", "p": "x"}), False)
