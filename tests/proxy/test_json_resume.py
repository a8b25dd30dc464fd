"""proxy.wire.json_resume answers as json_top does with no memory: edge cases.

The oracle for every read is ``json_top.top_level(raw, keep, heads)`` with
nothing remembered: ``json_resume.top_level`` must give the same
``TopLevel`` (the same fields in the same order, values of the very same
types, ``-0.0`` not ``0.0``, ``1.0`` not ``1``, ``True`` not ``1``; the same
heads and spans; ``raw`` the bytes it was given) or ``None`` where it says
``None``.  Each case is a sequence of bodies read in turn, as a session
sends them: the memory may resume any of them from an earlier one, wherever
the two stop sharing bytes, and must still answer as a whole read would.
``FROM`` is 0 here so that small bodies are remembered too.

``json_resume.parsed(raw, parse)`` is held to its own oracle, the whole
parse: ``orjson.loads(raw)``'s value (types, key order and signs, as
above) or the very error it raises; and nothing either function returned
earlier may change when later bodies are read.
"""
import json
import math
import sys

import orjson
import pytest

from bench import agent_session
from proxy.wire import json_resume, json_top
from proxy.wire.json_top import HEAD_ITEMS

KEEP = ("stream_options", "prompt_cache_key", "metadata")
HEADS = ("messages",)


# --- the oracle --------------------------------------------------------------

def same(got, want):
    """Whether two decoded JSON values are the same, types and key order
    included (``==`` says ``1 == 1.0 == True`` and ``0.0 == -0.0``).  A
    loop, not recursion: kept values may nest a thousand deep."""
    pairs = [(got, want)]
    while pairs:
        got, want = pairs.pop()
        if type(got) is not type(want):
            return False
        if isinstance(want, dict):
            if list(got) != list(want):
                return False
            pairs.extend((got[key], want[key]) for key in want)
        elif isinstance(want, (list, tuple)):
            if len(got) != len(want):
                return False
            pairs.extend(zip(got, want))
        elif isinstance(want, float):
            if got != want or math.copysign(1, got) != math.copysign(1, want):
                return False
        elif got != want:
            return False
    return True


def agree(raw, keep=KEEP, heads=HEADS, **options):
    """Read ``raw`` with the memory and assert it answers as a whole read
    with no memory; the answer."""
    want = json_top.top_level(raw, keep, heads)
    got = json_resume.top_level(raw, keep, heads, **options)
    if want is None:
        assert got is None, raw[:300]
        return got
    assert isinstance(got, json_top.TopLevel), raw[:300]
    assert got.raw is raw
    assert same(dict(got), dict(want)), (dict(got), dict(want), raw[:300])
    assert same(got.heads, want.heads), (got.heads, want.heads, raw[:300])
    assert got.spans == want.spans and list(got.spans) == list(want.spans), raw[:300]
    return got


def test_the_oracle_tells_types_signs_and_key_order_apart():
    assert same({"a": [1, 1.0, True, -0.0, None]}, {"a": [1, 1.0, True, -0.0, None]})
    for got, want in ((1, 1.0), (1, True), (0.0, -0.0), ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
                      ([1], (1,)), ([[1]], [[1.0]]), ({"a": [0]}, {"a": [False]}), ("1", 1)):
        assert not same(got, want) and not same(want, got)
    nested = [[]]
    for _ in range(5000):
        nested = [nested]
    assert same(nested, nested)


def whole(raw):
    """``(orjson.loads(raw), None)``, or ``(None, the error it raises)``."""
    try:
        return orjson.loads(raw), None
    except orjson.JSONDecodeError as exc:
        return None, exc


def agree_parsed(raw, **options):
    """Parse ``raw`` through the memory and assert it gives the whole
    parse's value or error; the value."""
    want, error = whole(raw)
    if error is not None:
        with pytest.raises(type(error)) as caught:
            json_resume.parsed(raw, orjson.loads, **options)
        assert str(caught.value) == str(error), raw[:300]
        return None
    got = json_resume.parsed(raw, orjson.loads, **options)
    assert same(got, want), raw[:300]
    return got


def read_in_turn(bodies, keep=KEEP, heads=HEADS):
    return [agree(raw, keep, heads) for raw in bodies]


@pytest.fixture(autouse=True)
def remembered_from_any_size(monkeypatch):
    monkeypatch.setattr(json_resume, "FROM", 0)
    json_resume.forget()
    yield
    json_resume.forget()


@pytest.fixture
def resumed(monkeypatch):
    """How many reads were answered from a remembered body (the lead's
    ``_resumed``: the one way a read avoids the whole one)."""
    count = [0]
    original = json_resume._resumed

    def counting(*args, **kwargs):
        found = original(*args, **kwargs)
        count[0] += found is not None
        return found
    monkeypatch.setattr(json_resume, "_resumed", counting)
    return count


# --- bodies --------------------------------------------------------------------

def _messages(count, text="turn"):
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": f"{text} {i}"}
            for i in range(count)]


def _dumps(members, separators=(",", ":")):
    """A top-level object from ``(key as written, value)`` pairs: keys may
    repeat or be spelled with escapes, which a dict cannot say."""
    item, colon = separators
    return ("{" + item.join(key + colon + json.dumps(value, separators=separators,
                                                     ensure_ascii=False)
                            for key, value in members) + "}").encode()


def _session(count, *, before=(), after=(), key="messages", text="turn"):
    members = [('"model"', "m"), *before, (json.dumps(key), _messages(count, text)), *after]
    return _dumps(members)


def _grown(raw, element, key="messages"):
    """``raw`` (a JSON body) with ``element`` (JSON bytes) appended to its
    array ``key``, every other byte as it was."""
    start, end = json_top.top_level(raw).spans[key]
    close = raw.rindex(b"]", start, end)
    comma = b"," if raw[start + 1:close].strip() else b""
    return raw[:close] + comma + element + raw[close:]


NEXT = b'{"role":"user","content":"next"}'


# --- realistic sessions ---------------------------------------------------------

@pytest.mark.parametrize("dialect", ["claude", "openai", "responses"])
def test_an_agent_session_at_50_kb_read_previous_then_body(dialect, resumed):
    key = "input" if dialect == "responses" else "messages"
    earlier = agent_session.previous(dialect, "model-a", 50 * 1024).encode()
    later = agent_session.body(dialect, "model-a", 50 * 1024).encode()
    assert later[:len(earlier) // 4] == earlier[:len(earlier) // 4] and earlier != later
    agree(earlier, heads=(key,))
    agree(later, heads=(key,))
    assert resumed[0] == 1
    agree(earlier, heads=(key,))                      # a rewind
    agree(bytes(bytearray(later)), heads=(key,))      # a resend, as other bytes


@pytest.mark.parametrize("dialect", ["claude", "openai", "responses"])
def test_a_remembered_body_is_read_again_only_from_where_it_differs(dialect, monkeypatch):
    """The proof the memory is used: on the second read msgspec's pass
    (``json_top._fields``), and any read by ``json_top.top_level``, see only
    a small part of the body (at the real ``FROM``)."""
    key = "input" if dialect == "responses" else "messages"
    monkeypatch.undo()
    size = max(50 * 1024, json_resume.FROM)
    earlier = agent_session.previous(dialect, "model-a", size).encode()
    later = agent_session.body(dialect, "model-a", size).encode()
    want = json_top.top_level(later, KEEP, (key,))
    assert json_resume.top_level(earlier, KEEP, (key,)) is not None
    seen = {"top_level": [], "_fields": []}
    for name in seen:
        def counted(document, *args, _original=getattr(json_top, name), _seen=seen[name]):
            _seen.append(len(document))
            return _original(document, *args)
        monkeypatch.setattr(json_top, name, counted)
    got = json_resume.top_level(later, KEEP, (key,))
    monkeypatch.undo()
    assert sum(seen["_fields"]) < len(later) // 4, (seen, len(later))
    assert sum(seen["top_level"]) < len(later) // 4, (seen, len(later))
    assert same(dict(got), dict(want)) and got.spans == want.spans
    assert same(got.heads, want.heads) and got.raw is later


@pytest.mark.parametrize("dialect", ["claude", "openai", "responses"])
def test_an_agent_session_growing_request_after_request(dialect, resumed):
    key = "input" if dialect == "responses" else "messages"
    sizes = range(40 * 1024, 90 * 1024, 6 * 1024)
    bodies = [agent_session.body(dialect, "model-a", size).encode() for size in sizes]
    # each repeats the conversation of the one before (the rest follows it)
    assert all(b[:len(a) // 4] == a[:len(a) // 4] and b.endswith(a[a.rindex(b"]"):])
               for a, b in zip(bodies, bodies[1:]))
    read_in_turn(bodies, heads=(key,))
    # a resumed read takes the heads from the shared prefix: from the
    # request whose conversation has more turns than that on, every one
    assert resumed[0] == sum(len(json.loads(a)[key]) > HEAD_ITEMS + 1
                             for a in bodies[:-1]) >= len(bodies) - 3
    read_in_turn(bodies[::-1], heads=(key,))                # rewinds, one after another


def test_a_body_smaller_than_from_is_not_remembered(monkeypatch, resumed):
    raw = _session(20)
    grown = _grown(raw, NEXT)
    monkeypatch.setattr(json_resume, "FROM", len(raw) + 1)
    agree(raw)
    agree(grown)
    assert resumed[0] == 0
    json_resume.forget()
    monkeypatch.setattr(json_resume, "FROM", len(raw))
    agree(raw)
    agree(grown)
    assert resumed[0] == 1


def test_bodies_parting_around_the_prefix_compares_chunks(resumed):
    """The common prefix is found a chunk at a time, then by halving: a
    body that parts from the remembered one at any byte around a chunk's
    edge (here a quote or a byte no UTF-8 has, inside a long string: the
    body is no JSON) must be read from before that byte."""
    chunk = json_resume._CHUNK
    turns = [{"role": "user", "content": f"{i} " + "x" * 9000} for i in range(40)]
    raw = orjson.dumps({"model": "m", "messages": turns, "stream": True})
    assert len(raw) > 5 * chunk
    for edge in (chunk, 2 * chunk, 4 * chunk):
        for at in range(edge - 3, edge + 3):
            assert raw[at:at + 1] == b"x", at
            for byte in (b'"', b"\xff", b"y"):
                json_resume.forget()
                agree(raw)
                agree(raw[:at] + byte + raw[at + 1:])
                agree(raw[:at] + byte + raw[at + 1:] + b" ")
    assert resumed[0] > 0


# --- growth, rewinds, resends -----------------------------------------------------

def _claude_turns(count, mark_on):
    turns = []
    for i in range(count):
        block = {"type": "text", "text": f"step {i}"}
        if i == mark_on:
            block["cache_control"] = {"type": "ephemeral"}
        turns.append({"role": "user" if i % 2 == 0 else "assistant", "content": [block]})
    return turns


def test_the_cache_mark_moving_to_the_new_last_message(resumed):
    bodies = [_dumps([('"model"', "claude"), ('"max_tokens"', 100),
                      ('"messages"', _claude_turns(n, n - 1)), ('"stream"', True)])
              for n in (10, 11, 13, 14, 12)]
    read_in_turn(bodies)
    assert resumed[0] >= 3


@pytest.mark.parametrize("count", range(HEAD_ITEMS - 3, HEAD_ITEMS + 4))
@pytest.mark.parametrize("grow", [-2, -1, 0, 1, 2])
def test_heads_and_their_more_flag_around_head_items(count, grow):
    raw = _session(count)
    later = _session(max(0, count + grow))
    read_in_turn([raw, later, raw])


def test_an_empty_array_grows_and_is_emptied_again():
    read_in_turn([_session(0), _session(1), _session(0), _session(0, after=[('"n"', 1)]),
                  _session(10), _session(0)])


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_the_conversation_first_middle_or_last(where):
    def body(count):
        members = [('"model"', "m"), ('"stream"', False), ('"metadata"', {"user_id": "u"})]
        at = {"first": 0, "middle": 2, "last": 3}[where]
        members.insert(at, ('"messages"', _messages(count)))
        return _dumps(members)
    read_in_turn([body(n) for n in (9, 10, 12, 11, 9, 20)])


def test_identical_resends_as_the_same_and_as_other_bytes(resumed):
    raw = _session(12)
    read_in_turn([raw, raw, bytes(bytearray(raw)), raw])
    assert resumed[0] == 3


@pytest.mark.parametrize("later", [
    # a number made longer where the old one ended on the element's end
    (b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,12,5]}',
     b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,123,5]}'),
    (b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,12]}',
     b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,12.5]}'),
    (b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,1],"n":12}',
     b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,1],"n":12e3}'),
    (b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,1],"n":12}',
     b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,1],"n":12 }'),
    (b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,1],"n":-0}',
     b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,1],"n":-0.0}'),
    (b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,1],"n":1}',
     b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,1],"n":1.0}'),
    # a literal made into another, or into garbage
    (b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,true],"s":true}',
     b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,true],"s":truex}'),
    (b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,null,1]}',
     b'{"model":"m","messages":[0,1,2,3,4,5,6,7,8,9,nul]}'),
], ids=lambda pair: pair[1][-16:].decode())
def test_a_value_that_ended_at_the_checkpoint_goes_on_in_the_next_body(later):
    read_in_turn(list(later) + [later[0]])


# --- top-level members --------------------------------------------------------------

@pytest.mark.parametrize("added", [
    b',"model":"m"', b',"model":"other"', b',"mod\\u0065l":"m"', b',"\\u006dodel":"m"',
    b',"messages":[]', b',"messages":[{"role":"user","content":"turn 0"}]',
    b',"messag\\u0065s":1', b',"":1', b',"":[0', b',"stream":true', b',"stream":true,"stream":1',
    b',"metadata":{"n":1e999}', b',"temperature":1e999', b',"temperature":-1E400',
    b',"temperature":1e-999', b',"t":123456789012345678901234567890',
])
def test_a_member_added_after_the_conversation_is_checked_for_repeats(added):
    raw = _session(12)
    read_in_turn([raw, raw[:-1] + added + b"}", _grown(raw, NEXT)[:-1] + added + b"}"])


def test_a_real_empty_key_next_to_the_synthetic_one():
    """The resumed read puts the parser in place with a synthetic ``""``
    member: a body's own ``""`` member, before or after, is no repeat."""
    for before, after in ([('""', 1)], []), ([], [('""', 1)]), ([('""', [1])], [('"n"', 0)]):
        raw = _session(12, before=before, after=after)
        read_in_turn([raw, _grown(raw, NEXT), raw])


def test_members_reordered_added_and_removed():
    a = [('"model"', "m"), ('"stream"', False), ('"messages"', _messages(12)),
         ('"max_tokens"', 100)]
    variants = [a, a[1:], [a[1], a[0]] + a[2:], a + [('"metadata"', {"user_id": "x"})],
                a[:2] + [('"n"', 1)] + a[2:], a[:-1], a[:3] + [('"max_tokens"', 100.0)],
                a[:3] + [('"max_tokens"', True)], a[:1] + [('"str\\u0065am"', False)] + a[2:]]
    read_in_turn([_dumps(members) for members in variants + variants[::-1]])


def test_many_top_level_fields_around_most_fields():
    many = json_top.MOST_FIELDS
    for count in (many - 2, many - 1, many):
        members = [(f'"k{i}"', i) for i in range(count - 1)]
        raw = _dumps([('"messages"', _messages(12))] + members)
        read_in_turn([raw, raw[:-1] + b',"x":1}', raw[:-1] + b',"x":1,"y":2}',
                      _grown(raw, NEXT), raw])


# --- whitespace ---------------------------------------------------------------------

@pytest.mark.parametrize("separators", [(",", ":"), (", ", ": "), (" , ", " : "),
                                        ("\n,\n", "\n:\n"), ("\r\n,\t", "\t:\r\n")])
def test_whitespace_around_the_boundary(separators):
    def body(count):
        return b" \r\n" + _dumps([('"model"', "m"), ('"messages"', _messages(count)),
                                  ('"n"', 1)], separators) + b"\r\n "
    read_in_turn([body(10), body(12), body(11), _session(12), body(13)])


def test_pretty_printed_then_compact_then_crlf():
    body = {"model": "m", "messages": _messages(12), "stream": True}
    pretty = orjson.dumps(body, option=orjson.OPT_INDENT_2)
    crlf = pretty.replace(b"\n", b"\r\n")
    grown = dict(body, messages=_messages(14))
    read_in_turn([pretty, orjson.dumps(grown, option=orjson.OPT_INDENT_2), orjson.dumps(body),
                  crlf, orjson.dumps(grown, option=orjson.OPT_INDENT_2).replace(b"\n", b"\r\n"),
                  pretty])


# --- invalid tails --------------------------------------------------------------------

def _tails(raw):
    """Bodies that share ``raw``'s bytes up to its last element and then go
    wrong."""
    grown = _grown(raw, NEXT)
    cut = raw.rindex(b"]")
    yield grown[:-1]                                   # truncated
    yield grown[:-2]
    yield grown[:cut + 5]
    yield grown + b"x"                                 # trailing garbage
    yield grown + b" }"
    yield grown + b"\x00"
    yield grown + b"\xff"
    yield grown.replace(NEXT, NEXT.replace(b",", b""))  # a missing comma
    yield raw[:cut] + NEXT + raw[cut:]
    yield raw[:cut] + b',"unterminated' + raw[cut:]       # a string left open
    yield raw[:cut] + b',"unterminated\\"]}'
    yield raw[:cut] + b',"\xff"' + raw[cut:]             # not UTF-8, only here
    yield raw[:cut] + b',"\xed\xa0\x80"' + raw[cut:]
    yield raw[:cut] + b',"\xc3"' + raw[cut:]
    yield raw[:cut] + b',"\xf4\x90\x80\x80"' + raw[cut:]
    yield raw[:cut] + b'\x80,' + NEXT + raw[cut:]         # a lone continuation byte
    yield raw[:cut] + b',\x80' + NEXT + raw[cut:]
    yield raw[:cut] + b',"\\ud800"' + raw[cut:]
    yield raw[:cut] + b',"a\x01b"' + raw[cut:]
    yield raw[:cut] + b',[1e999]' + raw[cut:]             # forwarded: nothing reads it
    yield raw[:cut + 1] + b',"t":1e999' + raw[cut + 1:]   # read: orjson refuses it
    yield raw[:cut + 1] + b',"t":[1e999]' + raw[cut + 1:]
    yield raw[:cut + 1] + b',"metadata":{"n":1e999}' + raw[cut + 1:]
    yield raw[:cut] + b',' + b'[' * 200 + b']' * 200 + raw[cut:]
    yield raw[:cut] + b',' + b'[' * 200 + b']' * 199 + raw[cut:]
    yield raw[:cut] + b',' + b'{"a":' * 300 + b'1' + b'}' * 300 + raw[cut:]
    yield raw[:cut] + b',' + b'[' * 2000 + b']' * 2000 + raw[cut:]


@pytest.mark.parametrize("count", [9, 12])
def test_invalid_tails(count):
    raw = _session(count, after=[('"stream"', True)])
    for tail in _tails(raw):
        json_resume.forget()
        read_in_turn([raw, tail, _grown(raw, NEXT), tail])


def test_a_deep_element_in_the_remembered_body():
    """The old body's array is split into elements when a later body
    resumes after one of them: an element nested near msgspec's limit,
    which the old read accepted, must not make that split raise."""
    raw = _session(12)
    cut = raw.rindex(b"]")
    refused = _depth_refused(raw[:cut] + b",", raw[cut:])
    for depth in range(refused - 8, refused + 3):
        json_resume.forget()
        nested = b"," + b"[" * depth + b"]" * depth
        old = raw[:cut] + nested + raw[cut:]
        for heads in ((), HEADS):
            for body in (old, raw[:cut] + nested + b"," + NEXT + raw[cut:], old):
                got = json_resume.top_level(body, KEEP, heads, turns="messages")
                if got is not None:
                    assert same(dict(got), _full_top(body, KEEP, heads)), depth
                if depth < refused - 4:
                    agree(body, KEEP, heads, turns="messages")


def _depth_refused(prefix, suffix):
    """The least nesting depth whose body msgspec refuses when read from
    this test's stack (its limit is the recursion limit less the caller's
    depth: see json_top's docstring)."""
    depth = 1
    while json_top.top_level(prefix + b"[" * depth + b"]" * depth + suffix) is not None:
        depth += 1
    return depth


def _full_top(raw, keep, heads):
    """The top level a full parse gives ``raw``, as json_top_exact states it
    (None: the full parse refuses, or a top-level key repeats)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return {name: value if name in keep or not isinstance(value, (dict, list))
            else type(value)() for name, value in body.items()}


@pytest.mark.parametrize("heads", [(), HEADS])
def test_nesting_around_msgspecs_limit_in_the_tail(heads):
    """Near msgspec's limit the answer depends on the caller's stack depth
    (json_top's docstring: such nesting is left to the full parse), so a
    read one call deeper may say None where the oracle answers.  Whatever
    the depth: no exception, and an answer is the full parse's; outside a
    band of a few levels it is json_top's answer."""
    raw = _session(12)
    cut = raw.rindex(b"]")
    refused = _depth_refused(raw[:cut] + b",", raw[cut:])
    for depth in [*range(refused - 8, refused + 8), 1022, 1023, 1024, 1025]:
        json_resume.forget()
        tail = raw[:cut] + b"," + b"[" * depth + b"]" * depth + raw[cut:]
        json_resume.top_level(raw, KEEP, heads)
        got = json_resume.top_level(tail, KEEP, heads)
        if got is not None:
            assert same(dict(got), _full_top(tail, KEEP, heads)), depth
        if not refused - 4 <= depth <= refused + 4:
            want = json_top.top_level(tail, KEEP, heads)
            assert (got is None) == (want is None), depth


# --- a prefix that is equal but means something else ----------------------------------

_TRICKY = ['"},{"role":"user","content":"', "1, 2, [3], {}, null", '\\"', "\\",
           "]", "}", "},{", '"]}, "model": "evil', "a\\\\\"b", "\u00e9\u4e2d\U0001F600"]


@pytest.mark.parametrize("text", _TRICKY)
def test_a_body_that_leaves_an_old_string_early(text):
    """The new body is the old one up to a point inside one of its strings,
    then something that would read if a checkpoint were taken in there."""
    raw = _session(12, text=text, after=[('"stream"', True)])
    read_in_turn([raw])
    body = json.loads(raw)
    for at in range(raw.index(b'"messages"'), len(raw)):
        for rest in (b'"]}', b']}', b'"}]}', b',1]}', b'"},{"role":"user"}]}', b'1]}',
                     b'"},' + NEXT + b'],"stream":true}', raw[raw.rindex(b"]"):]):
            agree(raw[:at] + rest)
    agree(orjson.dumps(dict(body, messages=body["messages"] + [{"content": text}])))


def test_strings_holding_escapes_and_brackets_at_every_cut():
    texts = ['a\\"', '\\', '"', ']', '}', '\\\\"', '},{"role":"user"']
    raw = _session(12, text="|".join(texts), after=[('"n"', 1)])
    for at in range(raw.index(b'"messages"') + 12, len(raw) - 1):
        json_resume.forget()
        agree(raw)
        agree(raw[:at] + raw[at + 1:])             # one byte less
        agree(raw[:at] + b'\\' + raw[at:])         # ... or one escape more
        agree(raw[:at] + b'"' + raw[at:])


# --- the conversation changing type ---------------------------------------------------------

@pytest.mark.parametrize("other", ['"a string"', '{"role":"user"}', "null", "[]", "1",
                                   '[[{"role":"user"}]]'])
def test_the_conversation_not_an_array_in_the_next_request(other):
    raw = _session(12)
    start = raw.index(b'"messages":') + len(b'"messages":')
    changed = raw[:start] + other.encode() + b"}"
    read_in_turn([raw, changed, raw, changed, _grown(raw, NEXT)])


def test_heads_keep_and_turns_changing_between_reads():
    raw = _session(12, after=[('"metadata"', {"n": [1, 2.5]}), ('"input"', [1, 2])])
    grown = _grown(raw, NEXT)
    for keep, heads in [((), ()), (KEEP, HEADS), (("messages",), HEADS), ((), ("input",)),
                        (KEEP, ("input", "messages")), (("messages", "input"), ())]:
        agree(raw, keep, heads)
        agree(grown, keep, heads)


# --- what a kept or read value orjson refuses does when the read changes -----------------------

@pytest.mark.parametrize("where, first, then", [
    ("metadata", (), KEEP), ("metadata", ("messages",), KEEP),
    ("late turn", (), ("messages",)), ("late turn", KEEP, ("messages", "metadata"))])
def test_a_value_read_now_but_not_before_that_orjson_refuses(where, first, then):
    """A number out of range where the first read read nothing is
    forwarded; the next read keeps that field whole, so orjson must read
    it: None, as json_top says, not an exception."""
    raw = _session(12, before=[('"metadata"', {"n": 1})])
    if where == "metadata":
        raw = raw.replace(b'{"n":1}', b'{"n":1e999}')
    else:
        raw = raw.replace(b'"turn 10"', b'"turn 10","x":1e999')
    grown = _grown(raw, NEXT)
    assert json_top.top_level(raw, first, HEADS) is not None
    agree(raw, first, HEADS)
    agree(grown, then, HEADS)
    agree(grown, then, ())
    agree(raw, then, ("messages",))


@pytest.mark.parametrize("heads_first", [(), ("input",)])
def test_a_head_orjson_refuses_read_only_by_the_later_read(heads_first):
    raw = _session(12).replace(b'"turn 2"', b'[1e999]')
    agree(raw, KEEP, heads_first)
    agree(_grown(raw, NEXT), KEEP, HEADS)
    agree(raw, KEEP, HEADS)


def test_the_conversation_kept_whole_with_a_number_orjson_refuses_in_the_tail():
    raw = _session(12)
    agree(raw, ("messages",), HEADS)
    agree(_grown(raw, b'[1e999]'), ("messages",), HEADS)


def test_an_answer_changed_by_its_caller_changes_no_later_answer():
    raw = _session(12, after=[('"metadata"', {"a": 1})])
    first = agree(raw, KEEP, HEADS)
    first["model"] = "changed"
    first["metadata"]["a"] = 2
    first.heads["messages"][0].append("changed")
    first.heads["messages"][0][0]["content"] = "changed"
    first.spans["model"] = (0, 0)
    agree(raw, KEEP, HEADS)
    second = agree(_grown(raw, NEXT), KEEP, HEADS)
    second.heads["messages"][0].clear()
    agree(raw, KEEP, HEADS)


# --- several sessions ---------------------------------------------------------------------------

def test_two_sessions_interleaved(resumed):
    a = [_session(n, text="alpha") for n in range(9, 16)]
    b = [_session(n, text="beta", after=[('"stream"', True)]) for n in range(9, 16)]
    read_in_turn([body for pair in zip(a, b) for body in pair])
    assert resumed[0] >= len(a)


def test_more_sessions_than_the_memory_holds(resumed):
    sessions = json_resume.RECENT + 3
    bodies = [[_session(n, text=f"session {s}") for n in range(10, 14)] for s in range(sessions)]
    read_in_turn([body for round_ in zip(*bodies) for body in round_])
    read_in_turn([session[0] for session in bodies])


def test_a_memory_smaller_than_one_body(monkeypatch, resumed):
    monkeypatch.setattr(json_resume, "LIMIT", 100)
    read_in_turn([_session(n) for n in range(10, 15)])
    assert resumed[0] == 0


def test_sessions_under_other_scopes_do_not_meet(resumed):
    raw = _session(12)
    agree(raw, scope="a")
    agree(_grown(raw, NEXT), scope="b")
    assert resumed[0] == 0
    agree(_grown(raw, NEXT) + b"x", scope="a")
    agree(_grown(raw, NEXT), scope="a")
    assert resumed[0] == 1


@pytest.mark.parametrize("heads", [(), ("messages",), ("input", "messages")])
def test_turns_named_with_or_without_heads(heads, resumed):
    """Session affinity off: no heads, the conversation named by ``turns``."""
    bodies = [_session(n, after=[('"input"', [1, 2])]) for n in (10, 12, 11, 0, 12, 13)]
    read_in_turn(bodies[:1], heads=heads)
    for raw in bodies[1:]:
        agree(raw, KEEP, heads, turns="messages")
    assert resumed[0] >= 3


def test_recursion_limit_raised_as_a_worker_might():
    """With a higher recursion limit msgspec accepts nesting orjson
    refuses (past 1024): the answers must still be json_top's."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(5000)
    try:
        raw = _session(12)
        cut = raw.rindex(b"]")
        for depth in (1020, 1023, 1024, 1025, 1100):
            json_resume.forget()
            read_in_turn([raw, raw[:cut] + b"," + b"[" * depth + b"]" * depth + raw[cut:]],
                         heads=())
    finally:
        sys.setrecursionlimit(limit)


# --- parsed: the whole parse, from where a body differs from one parsed before -----------

@pytest.fixture
def parsed_resumed(monkeypatch):
    """How many parses were built from a remembered parse (the lead's
    ``_parsed_after``)."""
    count = [0]
    original = json_resume._parsed_after

    def counting(*args, **kwargs):
        found = original(*args, **kwargs)
        count[0] += found is not None
        return found
    monkeypatch.setattr(json_resume, "_parsed_after", counting)
    return count


@pytest.mark.parametrize("dialect", ["claude", "openai", "responses"])
def test_parsed_agent_session_shares_the_turns_it_had(dialect, parsed_resumed):
    key = "input" if dialect == "responses" else "messages"
    sizes = range(50 * 1024, 100 * 1024, 8 * 1024)
    bodies = [agent_session.body(dialect, "model-a", size).encode() for size in sizes]
    parses = [agree_parsed(raw, turns=key) for raw in bodies]
    assert parsed_resumed[0] == len(bodies) - 1
    # the memory's proof: the earlier turns are the very objects parsed before
    assert parses[-1][key][0] is parses[0][key][0]
    for raw, body in zip(bodies, parses):                  # and none of them changed
        assert same(body, orjson.loads(raw))
    for raw in bodies[::-1]:                                # rewinds
        agree_parsed(raw, turns=key)


@pytest.mark.parametrize("count", [3, 9, 12])
def test_parsed_invalid_tails_raise_the_whole_parses_error(count):
    raw = _session(count, after=[('"stream"', True)])
    for tail in _tails(raw):
        json_resume.forget()
        agree_parsed(raw, turns="messages")
        agree_parsed(tail, turns="messages")
        agree_parsed(_grown(raw, NEXT), turns="messages")
        agree_parsed(tail, turns="messages")


@pytest.mark.parametrize("added", [b',"model":"other"', b',"mod\\u0065l":"m"', b',"messages":[]',
                                   b',"":1', b',"t":1e999', b',"n":-0.0,"i":-0',
                                   b',"big":18446744073709551616', b',"stream":true,"stream":1'])
def test_parsed_members_after_the_conversation(added, parsed_resumed):
    """A repeated key is the whole parse's (the last one wins there, at the
    first one's place): never built from the memory."""
    raw = _session(12, after=[('"stream"', False)])
    agree_parsed(raw, turns="messages")
    for body in (raw[:-1] + added + b"}", _grown(raw, NEXT)[:-1] + added + b"}"):
        agree_parsed(body, turns="messages")
        agree_parsed(body, turns="messages")


@pytest.mark.parametrize("text", _TRICKY)
def test_parsed_body_that_leaves_an_old_string_early(text):
    raw = _session(12, text=text, after=[('"stream"', True)])
    agree_parsed(raw, turns="messages")
    for at in range(raw.index(b'"messages"'), len(raw), 3):
        for rest in (b'"]}', b'"},' + NEXT + b'],"stream":true}', raw[raw.rindex(b"]"):]):
            agree_parsed(raw[:at] + rest, turns="messages")


def test_parsed_and_top_level_reads_of_one_session_mixed():
    """A session whose requests go now to a translated upstream (parsed
    whole), now to one of its own dialect (top level only)."""
    bodies = [_session(n, after=[('"metadata"', {"a": [1, 2.5, -0.0]})]) for n in range(9, 17)]
    answers = []
    for i, raw in enumerate(bodies + bodies[::-2]):
        if i % 3 != 1:
            answers.append((raw, agree(raw)))
        if i % 3 != 0:
            answers.append((raw, agree_parsed(raw, turns="messages")))
    for raw, answer in answers:                            # none changed since
        if isinstance(answer, json_top.TopLevel):
            want = json_top.top_level(raw, KEEP, HEADS)
            assert same(dict(answer), dict(want)) and same(answer.heads, want.heads)
            assert answer.spans == want.spans and answer.raw is raw
        else:
            assert same(answer, orjson.loads(raw))


@pytest.mark.parametrize("pattern", ["TPTPTPTP", "PTPTPTPT", "TPPTTPPT", "PPTTPPTT"])
def test_parsed_resumes_in_a_session_that_is_translated_now_and_then(pattern, parsed_resumed):
    """T: an upstream of the client's dialect (the top level read), P: a
    translated one (parsed whole).  Every parse after the session's first
    one is built from the last, whatever top-level reads came between."""
    bodies = [agent_session.body("openai", "model-a", size).encode()
              for size in range(60_000, 120_000, 8_000)]
    for raw, read in zip(bodies, pattern):
        if read == "T":
            agree(raw, heads=("messages",), turns="messages")
        else:
            agree_parsed(raw, turns="messages")
    assert parsed_resumed[0] == pattern.count("P") - 1


def test_parsed_duplicated_keys_in_the_remembered_body():
    """orjson keeps a repeated key's last value at its first place: a body
    parsed so is not one to build the next from."""
    raw = _dumps([('"model"', "a"), ('"messages"', _messages(12)), ('"model"', "b")])
    agree_parsed(raw, turns="messages")
    agree_parsed(raw.replace(b',"model":"b"', b',"stream":true'), turns="messages")
    agree_parsed(raw, turns="messages")
    grown = raw.replace(b'"turn 11"}]', b'"turn 11"},' + NEXT + b']')
    agree_parsed(grown, turns="messages")


def test_parsed_from_nothing_but_other_scopes_and_small_bodies(monkeypatch, parsed_resumed):
    raw = _session(12)
    agree_parsed(raw, turns="messages", scope="a")
    agree_parsed(_grown(raw, NEXT), turns="messages", scope="b")
    assert parsed_resumed[0] == 0
    monkeypatch.setattr(json_resume, "FROM", len(raw) + 1)
    agree_parsed(raw, turns="messages", scope="c")
    agree_parsed(_grown(raw, NEXT), turns="messages", scope="c")
    assert parsed_resumed[0] == 0
    agree_parsed(_grown(raw, NEXT), turns="messages", scope="b")
    assert parsed_resumed[0] == 1


def test_parsed_with_a_parse_that_refuses():
    """``parse`` is the caller's: its own error, not orjson's, on whatever
    path, and nothing remembered of a body it refused."""
    class Refused(Exception):
        pass

    def refuse(raw):
        raise Refused(len(raw))
    raw = _session(12)
    with pytest.raises(Refused):
        json_resume.parsed(raw, refuse, turns="messages")
    agree_parsed(raw, turns="messages")
    with pytest.raises(Refused):
        json_resume.parsed(_grown(raw, NEXT) + b"x", refuse, turns="messages")
