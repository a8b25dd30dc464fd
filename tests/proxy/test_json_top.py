"""proxy.wire.json_top: a body's top level, or None when only a full parse can tell."""
import orjson
import pytest

from proxy.wire.json_top import HEAD_ITEMS, array_spans, guess_string, top_level


def test_scalars_whole_containers_as_empty_placeholders_of_their_type():
    raw = (b' {"model": "m\\u00e9", "stream": true, "max_tokens": 5, "t": 0.5, "n": null,'
           b' "messages": [{"role": "user", "content": "{[\\"x"}], "metadata": {"a": 1},'
           b' "stream_options": {"include_usage": true}} ')
    top = top_level(raw, keep=("stream_options",))
    assert top == {"model": "m\u00e9", "stream": True, "max_tokens": 5, "t": 0.5, "n": None,
                   "messages": [], "metadata": {}, "stream_options": {"include_usage": True}}
    assert list(top) == list(orjson.loads(raw))


@pytest.mark.parametrize("raw", [
    b'{"model": "a", "x": [1], "model": "b"}',      # duplicated key: parsers disagree
    b'{"model": "a", "x": [1], "mod\\u0065l": "b"}',  # ... however it is spelled
    b'[{"model": "a"}]',                             # not an object
    b'"model"',
    b'{"model": "a", "x": [1, }',                    # not JSON
    b'{"model": "a", "x": "\xff"}',                  # not UTF-8
    b'{"model": "a", "x": ["\xed\xa0\x80"]}',         # an encoded surrogate is not UTF-8
    b'{"model": "a", "t": 1e999}',                   # a number orjson refuses, where read
    b'{"model": "a", "metadata": {"n": 1e999}}',     # ... or kept whole
    b'\xef\xbb\xbf{"model": "a"}',                   # a byte order mark: orjson refuses it
    b'',
])
def test_anything_unusual_is_left_to_the_full_parser(raw):
    assert top_level(raw, keep=("metadata",)) is None


def test_a_body_of_many_top_level_fields_is_left_to_the_full_parser():
    from proxy.wire.json_top import MOST_FIELDS
    fields = {f"k{i}": i for i in range(MOST_FIELDS)}
    assert top_level(orjson.dumps(fields)) == fields
    assert top_level(orjson.dumps(dict(fields, one=1))) is None
    # one key repeated: msgspec keeps one field, the walk stops at the second
    assert top_level(b'{' + b'"k": 1,' * 100_000 + b'"k": 1}') is None


def test_a_number_past_64_bits_is_read_as_the_full_parser_reads_it():
    raw = b'{"model": "a", "n": 123456789012345678901234567890, "x": [18446744073709551616]}'
    assert top_level(raw) == {"model": "a", "n": orjson.loads(raw)["n"], "x": []}


def test_a_number_out_of_range_where_nothing_reads_it_is_forwarded():
    # RFC 8259 section 6 leaves numbers' range to each implementation: orjson
    # refuses 1e999, the upstream's own parser decides (the module docstring)
    raw = b'{"model": "a", "messages": [{"content": [1e999, -1E+400]}]}'
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(raw)
    assert top_level(raw) == {"model": "a", "messages": []}


def test_heads_are_the_leading_elements_of_the_arrays_named():
    items = [{"role": "user", "n": i, "c": [i, {"d": None}]} for i in range(HEAD_ITEMS + 3)]
    raw = orjson.dumps({"messages": items, "short": [1, "a"], "obj": {"a": 1}, "s": "x"})
    top = top_level(raw, heads=("messages", "short", "obj", "s", "absent"))
    assert top == {"messages": [], "short": [], "obj": {}, "s": "x"}
    assert top.heads == {"messages": (items[:HEAD_ITEMS], True), "short": ([1, "a"], False)}
    assert top_level(raw).heads == {}


@pytest.mark.parametrize("count", [0, 1, HEAD_ITEMS - 1, HEAD_ITEMS, HEAD_ITEMS + 1, 40])
@pytest.mark.parametrize("indent", [0, orjson.OPT_INDENT_2])
def test_heads_of_every_length_and_spacing(count, indent):
    items = [[i, "a, b]", {"c": "]\\\""}] if i % 2 else f"\u00e9{i}\"," for i in range(count)]
    raw = orjson.dumps({"messages": items, "model": "m"}, option=indent)
    top = top_level(raw, heads=("messages",))
    assert top.heads == {"messages": (items[:HEAD_ITEMS], count > HEAD_ITEMS)}


def test_heads_hold_the_values_as_orjson_reads_them(monkeypatch):
    from proxy.wire import json_top
    raw = b'{"messages": [ 18446744073709551616 , 1.5e3, "\\u00e9", [] ,{} ] }'
    want = (orjson.loads(raw)["messages"], False)
    assert top_level(raw, heads=("messages",)).heads["messages"] == want
    # the slow way, should msgspec's message ever stop saying where a value ends
    monkeypatch.setattr(json_top, "_value_end", lambda view, at, end: None)
    assert top_level(raw, heads=("messages",)).heads["messages"] == want


def test_heads_need_no_second_pass_over_the_array(monkeypatch):
    # msgspec's message says where a value ends (pinned version): the slow
    # way is never taken, and the index is that of the byte after the value
    from proxy.wire import json_top

    def refuse(*args):
        raise AssertionError("the whole array was split")
    monkeypatch.setattr(json_top, "_head_of_all", refuse)
    raw = orjson.dumps({"messages": [{"n": i} for i in range(20)]}, option=orjson.OPT_INDENT_2)
    assert top_level(raw, heads=("messages",)).heads["messages"][1] is True
    for text in (b'[1 ,2]', b'["a\\\\"]', b'[{"b": [1]}\n]'):
        stop = json_top._value_end(memoryview(text), 1, len(text))
        assert text[stop:stop + 1] in (b",", b"]") and orjson.loads(text[1:stop])


def test_calls_in_a_row_are_independent():
    for i in range(3):
        assert top_level(b'{"model": "m%d", "messages": [[{}]]}' % i) == {
            "model": f"m{i}", "messages": []}


def test_with_top_string_renames_the_top_level_field_only():
    from proxy.wire.json_top import with_top_string
    raw = (b'{"tools": [{"input_schema": {"properties": {"model": {"type": "string"}}}}],'
           b' "messages": [{"content": "say \\"model\\": \\"x\\""}, {"model": "alias"}],'
           b' "model" : "alias", "stream": true}')
    assert with_top_string(raw, "model", "real-1") == raw.replace(b'"model" : "alias"',
                                                                 b'"model" : "real-1"')


def test_with_top_string_finds_the_top_level_member_wherever_and_however_spelled():
    from proxy.wire.json_top import with_top_string
    nested_first = b'{"a": [{"model": "m"}, {"model": "m"}, {"model": "m"}], "model": "m"}'
    assert with_top_string(nested_first, "model", "x") == nested_first[:-4] + b'"x"}'
    escaped_key = b'{"a": {"model": "m"}, "mod\\u0065l": "m", "b": 1}'
    assert with_top_string(escaped_key, "model", "x") == escaped_key.replace(b'"m", "b"',
                                                                            b'"x", "b"')


def test_with_top_string_gives_up_where_only_a_full_parse_can_tell():
    from proxy.wire.json_top import with_top_string
    assert with_top_string(b'{"model": "m", "model": "n"}', "model", "x") is None
    assert with_top_string(b'{"model": "m", "x": [1, }', "model", "x") is None
    assert with_top_string(b'{"x": {"model": "m"}}', "model", "x") is None


def _no_second_pass(monkeypatch):
    from proxy.wire import json_top

    def refuse(*args, **kwargs):
        raise AssertionError("the body was read a second time")
    monkeypatch.setattr(json_top, "top_level", refuse)


@pytest.mark.parametrize("raw, expected", [
    # first member (Claude Code, the Codex CLI): found where it stands
    (b' {\n "model" :\t"alias", "messages": [{"model": "alias"}], "stream": true}',
     b' {\n "model" :\t"real-1", "messages": [{"model": "alias"}], "stream": true}'),
    # last member (the OpenAI SDK's order without options), escapes before it
    (b'{"messages": [{"content": "a \\"model\\": \\"alias\\"}\\\\"}], "model": "alias"} \n',
     b'{"messages": [{"content": "a \\"model\\": \\"alias\\"}\\\\"}], "model": "real-1"} \n'),
    # a value with escaped quotes and backslashes of its own
    (b'{"x": [1], "model": "a\\\\\\"lias\\\\"}', b'{"x": [1], "model": "real-1"}'),
])
def test_with_top_string_first_or_last_member_without_a_second_pass(raw, expected,
                                                                     monkeypatch):
    from proxy.wire.json_top import with_top_string
    top = top_level(raw)
    assert top is not None
    _no_second_pass(monkeypatch)
    assert with_top_string(raw, "model", "real-1", top) == expected


def test_with_top_string_middle_member_without_a_second_pass(monkeypatch):
    from proxy.wire.json_top import with_top_string
    raw = b'{"a": {"model": "alias"}, "model"\n:\n"alias" ,"messages": ["\\"model\\": 1"]}'
    top = top_level(raw)
    _no_second_pass(monkeypatch)
    assert with_top_string(raw, "model", "r\u00e9al", top) == raw.replace(
        b'"model"\n:\n"alias"', '"model"\n:\n"r\u00e9al"'.encode())


def test_with_top_string_reads_again_when_the_top_level_is_of_other_bytes():
    from proxy.wire.json_top import with_top_string
    top = top_level(b'{"model": "alias", "x": 1}')
    raw = b'{"x": 1, "model": "alias"}'
    assert with_top_string(raw, "model", "real-1", top) == b'{"x": 1, "model": "real-1"}'


@pytest.mark.parametrize("raw", [
    b'{"messages": [], "x\\"model": "alias"}',            # a key that only ends like it
    b'{"messages": [{"model": "alias"}]}',                # only nested
    b'{"model": ["alias"], "n": "alias"}',                 # not a string
])
def test_with_top_string_edges_that_are_not_the_field_are_left_alone(raw):
    from proxy.wire.json_top import with_top_string
    assert with_top_string(raw, "model", "real-1", top_level(raw)) is None


def test_with_top_string_without_top_level_facts_still_proves_by_reading_again(monkeypatch):
    # a parsed dict may have come from a body with duplicated keys: no shortcut
    from proxy.wire.json_top import with_top_string
    raw = b'{"model": "a", "x": 1, "model": "b"}'
    assert with_top_string(raw, "model", "real-1", orjson.loads(raw)) is None


def test_with_top_string_shortcut_agrees_with_the_full_parser(monkeypatch):
    import random
    from proxy.wire import json_top
    from proxy.wire.json_top import with_top_string
    rng = random.Random(7)
    pieces = ['x', '"', '\\', 'model', '"model": "m"', '{', '}', '[', ']', ':', ',',
              '\u00e9', '\n', ' ']
    for _ in range(300):
        members = [(f"k{i}", rng.choice([
            "".join(rng.choice(pieces) for _ in range(rng.randrange(8))),
            {"model": "m", "t": "".join(rng.choice(pieces) for _ in range(5))},
            [1, "model", {"model": ["m"]}], 3, None]))
            for i in range(rng.randrange(4))]
        members.insert(rng.choice([0, len(members)]), ("model", rng.choice(
            ["m", 'm"\\', "\\", ""])))
        raw = orjson.dumps(dict(members), option=rng.choice([0, orjson.OPT_INDENT_2]))
        top = top_level(raw)
        assert top is not None, raw
        with monkeypatch.context() as patch:
            _no_second_pass(patch)
            renamed = with_top_string(raw, "model", "real-1", top)
        assert renamed is not None, raw
        assert json_top.top_level is top_level
        assert orjson.loads(renamed) == dict(orjson.loads(raw), model="real-1")
        slow = with_top_string(raw, "model", "real-1")
        assert slow is None or slow == renamed


@pytest.mark.parametrize("raw, expected", [
    (b'{"model": "a", "x": [1]}', "a"),
    (b' {\n"model" :"a\\"b", "x": 1}', 'a"b'),
    (b'{"x": {"model": "inner"}, "model": "b"}', "b"),
    (b'{"x": 1, "model": "a", "y": 2}', None),        # neither first nor last
    (b'{"model": 5}', None),
    (b'{"model": "a", oops', "a"),                   # a hint only: not checked as JSON
    (b'', None),
    (b'"model"', None),
])
def test_guess_string_reads_a_first_or_last_member_off_the_bytes(raw, expected):
    assert guess_string(raw, "model") == expected


@pytest.mark.parametrize("raw, spans", [
    (b'[0, {"a": [1, 2]} ,"x\\"]"]', ([1, 4, 19], [2, 17, 25])),
    (b'[]', ([], [])),
])
def test_array_spans_splits_one_array(raw, spans):
    assert array_spans(raw) == spans
    for start, end in zip(*spans):
        orjson.loads(raw[start:end])


@pytest.mark.parametrize("raw", [b'[0, 1', b'[0, 1] [2]', b'[0, 1],', b'{"a": 1}', b'[0, 1, ]',
                                 b'[0, "\x01"]'])
def test_array_spans_is_none_for_anything_but_one_json_array(raw):
    assert array_spans(raw) is None
