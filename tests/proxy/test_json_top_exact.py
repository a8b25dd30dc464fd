"""proxy.wire.json_top.top_level answers as the full parser would, or not at all.

The oracle is ``orjson.loads``, the parser every caller falls back to when
``top_level`` says ``None``: wherever ``top_level`` answers, its fields, their
order, their JSON types, the scalars and the fields read whole must be the full
parse's; it says ``None`` exactly where the full parse fails, the top level is
not an object, or a top-level key occurs twice.  Two documented exceptions
(the module's docstring) have tables of their own: a number out of range
inside a container nothing reads (forwarded), and nesting msgspec refuses
before orjson does (``None``: a full parse, the same answer).
"""
import collections
import json
import random
import sys

import orjson
import pytest

from bench import agent_session
from proxy.wire.json_top import HEAD_ITEMS, top_level

KEEP = ("stream_options", "metadata")
HEADS = ("messages", "input")


def _full(raw):
    """orjson's top level of ``raw`` and whether a top-level key repeats;
    None where a caller's full parse refuses it (or it is no object)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict):
        return None
    return body, _repeats(raw)


def _repeats(raw):
    """Whether a top-level key occurs twice (json calls the pairs hook for
    the top-level object last)."""
    pairs = []
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 5000))
    try:
        json.loads(raw, object_pairs_hook=lambda p: pairs.append(p) or dict(p))
    finally:
        sys.setrecursionlimit(limit)
    names = [name for name, _ in pairs[-1]]
    return len(names) != len(set(names))


def _agrees(top, body, raw):
    """``top`` is what a full parse of ``raw`` (``body``) says at its top level."""
    assert list(top) == list(body)
    for name, value in body.items():
        if isinstance(value, (dict, list)) and name not in KEEP:
            assert top[name] == type(value)()
        else:
            assert top[name] == value and type(top[name]) is type(value)
        if isinstance(value, list) and name in HEADS:
            assert top.heads[name] == (value[:HEAD_ITEMS], len(value) > HEAD_ITEMS)
        start, end = top.spans[name]
        assert orjson.loads(raw[start:end]) == value
    assert set(top.heads) == {n for n in HEADS if isinstance(body.get(n), list)}
    assert top.raw is raw


def check(raw):
    top = top_level(raw, keep=KEEP, heads=HEADS)
    full = _full(raw)
    if full is None or full[1]:
        assert top is None, raw[:200]
    else:
        assert top is not None, raw[:200]
        _agrees(top, full[0], raw)


HAND_WRITTEN = [
    # valid, every kind of top-level value and spacing
    b'{}', b' \t\n\r{ \t\n\r} \t\n\r', b'{"a":1}',
    b'{"model": "m", "stream": true, "n": null, "f": false, "t": 0.5, "i": -0}',
    b'{"i": 0, "j": -0.0, "k": 1E5, "l": 1e-5, "m": 2.5E+3, "n": 5e-324, "o": 1e-999}',
    b'{"big": 123456789012345678901234567890, "u64": 18446744073709551615,'
    b' "u64+1": 18446744073709551616, "i64min": -9223372036854775808,'
    b' "below": -9223372036854775809, "max": 1.7976931348623157e308}',
    b'{"s": "\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u00e9\\ud83d\\ude00", "e": ""}',
    '{"\u00e9\u4e2d\U0001F600": "\u00e9\u4e2d\U0001F600", "x": ["\u00e9"]}'.encode(),
    b'{"\\u00e9": 1, "\\ud83d\\ude00": 2, "a\\"b": 3, "a\\\\": 4, "": 5}',
    b'{"a\\"":1,"\\\\":2,"\\"":3,"\\\\\\"":4,"":5}',          # compact, keys ending in escapes
    b'{"o": {}, "a": [], "oo": {"a": {"b": [1, {"c": null}]}}, "aa": [[[]]]}',
    b'{"metadata": {"user_id": "u", "n": [1, 2.5, "x"]}, "stream_options": {"include_usage": true}}',
    b'{"metadata": "not an object", "stream_options": null}',
    b'{"messages": [1, "two", [3], {"four": 4}, null, true, false, 8.5, 9, 10]}',
    b'{"messages": [ ], "input": "a string"}',
    b'{"input": [{"type": "message"}], "messages": {"not": "an array"}}',
    b'{"a": {"dup": 1, "dup": 2}, "metadata": {"dup": 1, "dup": 2}}',   # nested: last wins
    b'{"a": ["\x7f"], "b": "\\u001f"}',
    b'{"a"\n:\n1\n,\n"b"\n:\n[\n]\n}\n',
    # duplicated top-level keys, however spelled and wherever
    b'{"a": 1, "a": 1}', b'{"a": 1, "a": 2}', b'{"a": [1], "b": 2, "a": [1]}',
    b'{"model": "m", "mod\\u0065l": "n"}', b'{"\\u0061": 1, "a": 1}',
    b'{"a": "x", "b": {"a": 1}, "a": "xx"}', b'{"a": {"a": 1}, "a": 1}',
    b'{"a": 1, "b": 2, "c": 3, "b": 2}', b'{"a": 123, "a": 12}', b'{"a": 12, "a": 123}',
    b'{"a": "x\\"", "a": "x"}', b'{"a": [1], "a": [1, 2]}', b'{"a": {}, "b": 1, "a": {"b": 1}}',
    # not JSON, not UTF-8, not an object
    b'', b'  ', b'[1]', b'1', b'"s"', b'null', b'[{"a": 1}]',
    b'{"a": 1} x', b'{"a": 1}\x00', b'{"a": 1}{"b": 2}', b'{"a": 1', b'{"a": }',
    b'{"a": 1,}', b'{"a": [1,]}', b'{"a": {"b": 1,}}', b'{"a": {"b" 1}}', b'{"a": {1: 1}}',
    b'{a: 1}', b"{'a': 1}", b'{"a": NaN}', b'{"a": [Infinity]}', b'{"a": [-Infinity]}',
    b'{"a": [tru]}', b'{"a": [truex]}', b'{"a": [nul]}', b'{"a": [01]}', b'{"a": [-]}',
    b'{"a": [1.]}', b'{"a": [.5]}', b'{"a": [+1]}', b'{"a": [1e]}', b'{"a": [1e+]}',
    b'{"a":\x0c1}', b'{"a":\x0b1}', b'{"a":\xc2\xa01}', b'\xef\xbb\xbf{"a": 1}',
    b'{"a": ["x\x01y"]}', b'{"a": ["x\ty"]}', b'{"a": ["x\ny"]}', b'{"a": {"x\x01": 1}}',
    b'{"a": ["\\x"]}', b'{"a": ["\\u12"]}', b'{"a": ["\\u12g4"]}', b'{"a": ["\\\'"]}',
    b'{"a": ["\\ud800"]}', b'{"a": ["\\udc00"]}', b'{"a": ["\\ud800\\ud800"]}',
    b'{"a": ["\\ud800x"]}', b'{"a": "\\ud800"}', b'{"\\ud800": 1}', b'{"a": {"\\udfff": 1}}',
    b'{"a": ["\xed\xa0\x80"]}', b'{"a": ["\xed\xbf\xbf"]}', b'{"a": ["\xff"]}',
    b'{"a": ["\xc0\xaf"]}', b'{"a": ["\xe0\x80\xaf"]}', b'{"a": ["\xf4\x90\x80\x80"]}',
    b'{"a": ["\xc3"]}', b'{"a": ["\xe4\xb8"]}', b'{"a": {"\xff": 1}}', b'{"\xff": 1}',
    b'{"a": "\xff"}', b'{"a": 1}\xff', b'\xff{"a": 1}',
    b'{"t": 1e999}', b'{"t": -1e999}', b'{"metadata": {"n": 1e999}}',
    b'{"messages": [1e999]}', b'{"stream_options": [2e308]}',
    # nesting orjson and msgspec both accept, and both refuse
    b'{"a": ' + b'[' * 100 + b']' * 100 + b'}',
    b'{"a": ' + b'[' * 1024 + b']' * 1024 + b'}',
    b'{"a": ' + b'[' * 100_000 + b']' * 100_000 + b'}',
]


@pytest.mark.parametrize("raw", HAND_WRITTEN)
def test_hand_written(raw):
    check(raw)


# Refused by orjson, read here: a number out of binary64's range where the
# gateway reads nothing (the module docstring, RFC 8259 section 6).  Its top
# level is then the one a parser that reads such numbers as infinity gives.
OUT_OF_RANGE = [
    b'{"model": "m", "tools": [1e999]}',
    b'{"a": {"b": [-1E+400, 1' + b'0' * 400 + b']}, "model": "m"}',
    b'{"tools": [{"input_schema": {"maximum": 2e308}}], "metadata": {"n": 1}}',
]


@pytest.mark.parametrize("raw", OUT_OF_RANGE)
def test_a_number_out_of_range_where_nothing_reads_it(raw):
    with pytest.raises(orjson.JSONDecodeError, match="infinity"):
        orjson.loads(raw)
    top = top_level(raw, keep=KEEP, heads=HEADS)
    assert top is not None
    body = json.loads(raw)
    assert list(top) == list(body)
    for name, value in body.items():
        assert top[name] == (value if name in KEEP or not isinstance(value, (dict, list))
                             else type(value)())


def test_nesting_msgspec_refuses_first_is_left_to_the_full_parser():
    # msgspec's limit is the interpreter's recursion limit less the caller's
    # depth; orjson's is 1024: the full parse gives the answer
    raw = b'{"a": ' + b'[' * 1000 + b']' * 1000 + b'}'
    assert orjson.loads(raw)
    assert top_level(raw) is None


def _agent_bodies():
    for dialect in agent_session.DIALECTS:
        text = agent_session.body(dialect, "model-a", 96 * 1024)
        yield dialect, text.encode()


def _variants(raw):
    """The bench's agent body and what a client (or an attacker) may make
    of it: ``(what, whether top_level answers, bytes)``."""
    body = json.loads(raw)
    cut = max(raw.rfind(b'"content":"'), raw.rfind(b'"output":"'))
    inside = cut + len(b'"output":"') + 1             # inside the last tool output
    yield "as sent", True, raw
    yield "indented", True, orjson.dumps(body, option=orjson.OPT_INDENT_2)
    yield "utf-8", True, json.dumps(body, ensure_ascii=False).replace(
        "Module", "Modul\u00e9 \u4e2d\U0001F600").encode()
    yield "metadata", True, orjson.dumps(dict(body, metadata={"user_id": "u\u00e9", "n": [1, 2]}))
    yield "model last", True, orjson.dumps(
        dict({k: v for k, v in body.items() if k != "model"}, model="model-b"))
    yield "bad byte", False, raw[:inside] + b"\xff" + raw[inside:]
    yield "surrogate", False, raw[:inside] + b"\xed\xa0\x80" + raw[inside:]
    yield "lone escape", False, raw[:inside] + b"\\ud800" + raw[inside:]
    yield "control", False, raw[:inside] + b"\x01" + raw[inside:]
    yield "truncated", False, raw[:-1]
    yield "trailing", False, raw + b" x"
    yield "bom", False, b"\xef\xbb\xbf" + raw
    yield "duplicate", False, raw[:-1] + b',"model":"model-b"}'
    yield "escaped duplicate", False, raw[:-1] + b',"mod\\u0065l":"model-a"}'
    yield "temperature", False, raw[:-1] + b',"temperature":1e999}'


@pytest.mark.parametrize("dialect, raw", list(_agent_bodies()))
def test_agent_bodies_and_their_variants(dialect, raw):
    for what, answers, variant in _variants(raw):
        assert (top_level(variant) is not None) == answers, what
        check(variant)
    inside = raw.index(b'"input"' if dialect == "claude" else b'"arguments"', len(raw) // 2)
    out_of_range = raw[:inside] + b'"x":[1e999],' + raw[inside:]
    with pytest.raises(orjson.JSONDecodeError, match="infinity"):
        orjson.loads(out_of_range)
    assert top_level(out_of_range, keep=KEEP) == {
        name: value if name in KEEP or not isinstance(value, (dict, list)) else type(value)()
        for name, value in json.loads(out_of_range).items()}


_SEEDS = [
    b'{"model": "m", "stream": false, "messages": [{"role": "user", "content": "a\\"b"}]}',
    b'{"a": [1, -2.5e3, null, true], "b": {"c": "\\u00e9"}, "metadata": {"d": [0]}}',
    '{"s": "\u00e9\u4e2d", "n": 123, "input": ["x", {"y": []}]}'.encode(),
]
_ALPHABET = [b'"', b"\\", b"{", b"}", b"[", b"]", b":", b",", b" ", b"\n", b"\t", b"0", b"1",
             b"9", b"-", b"+", b".", b"e", b"E", b"u", b"d8", b"00", b"a", b"model", b"true",
             b"null", b"\xff", b"\xc3", b"\xa9", b"\xed\xa0\x80", b"\x01", b"\x7f", b'"a": 1,',
             b"e999", b'"model"']

_MEMBERS = [b'"model": "z"', b'"mod\\u0065l":1', b'"a":[1]', b'"\\u0061" : {}', b'"n":null',
            b'"input":[2]', b'"metadata":{"m":1}']


def test_random_edits_of_small_documents():
    rng = random.Random(11)
    seen = collections.Counter()
    for _ in range(4000):
        raw = bytearray(rng.choice(_SEEDS))
        for _ in range(rng.randrange(1, 4)):
            at = rng.randrange(len(raw) + 1)
            edit = rng.randrange(5)
            if edit == 0:
                raw[at:at] = rng.choice(_ALPHABET)
            elif edit == 1:
                del raw[at:at + rng.randrange(1, 4)]
            elif edit == 2:
                raw[at:at + 1] = rng.choice(_ALPHABET)
            elif edit == 3:                     # a member up front, maybe a repeated key
                raw[1:1] = rng.choice(_MEMBERS) + b","
            else:                               # ... or at the end
                raw[-1:-1] = b"," + rng.choice(_MEMBERS)
        raw = bytes(raw)
        top = top_level(raw, keep=KEEP, heads=HEADS)
        full = _full(raw)
        if top is not None and full is None and b"e999" in raw:
            continue            # an out-of-range number nothing reads: its own test above
        seen["not JSON" if full is None else "repeated" if full[1] else "read"] += 1
        if full is None or full[1]:
            assert top is None, raw
        else:
            assert top is not None, raw
            _agrees(top, full[0], raw)
    assert min(seen.values()) > 300, seen       # every outcome well covered


def _strict_utf8(raw):
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("char", ["\u00e9", "\u4e2d", "\U0001F600"])
def test_utf8_check_in_pieces_agrees_with_a_whole_decode_at_every_seam(char):
    from proxy.wire.json_top import _PIECE, _utf8
    encoded = char.encode()
    for shift in range(-5, 6):
        for tail in (b"", b"\x80", b"\x80\x80\x80\x80", b"\xed\xa0\x80", b"\xc0\xaf",
                     encoded[:-1], b"\xff", b"\x80" * 5 + b"a"):
            raw = b"a" * (_PIECE + shift) + encoded + tail + b"b" * 10 + encoded
            assert _utf8(raw) == _strict_utf8(raw), (shift, tail)
            cut = raw[:_PIECE + shift + len(encoded) - 1]           # a character cut short
            assert _utf8(cut) == _strict_utf8(cut), (shift, tail)
    runs = b"\x80" * (_PIECE * 2 + 3)
    assert not _utf8(runs) and not _utf8(b"a" + runs)
