"""proxy.wire.json_top: a body's top level, or None when only a full parse can tell."""
import orjson
import pytest

from proxy.wire.json_top import guess_string, top_level


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
    b'[{"model": "a"}]',                             # not an object
    b'"model"',
    b'{"model": "a", "x": [1, }',                    # not JSON
    b'{"model": "a", "x": "\xff"}',                  # not UTF-8
    b'{"model": "a", "n": 123456789012345678901234567890}',   # past 64 bits
    b'',
])
def test_anything_unusual_is_left_to_the_full_parser(raw):
    assert top_level(raw) is None


def test_heads_are_the_leading_elements_of_the_arrays_named():
    from proxy.wire.json_top import HEAD_ITEMS
    items = [{"role": "user", "n": i, "c": [i, {"d": None}]} for i in range(HEAD_ITEMS + 3)]
    raw = orjson.dumps({"messages": items, "short": [1, "a"], "obj": {"a": 1}, "s": "x"})
    top = top_level(raw, heads=("messages", "short", "obj", "s", "absent"))
    assert top == {"messages": [], "short": [], "obj": {}, "s": "x"}
    assert top.heads == {"messages": (items[:HEAD_ITEMS], HEAD_ITEMS + 3),
                         "short": ([1, "a"], 2)}
    assert top_level(raw).heads == {}


def test_calls_in_a_row_reuse_the_parser():
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


def test_with_top_string_gives_up_rather_than_guess():
    from proxy.wire.json_top import with_top_string
    nested_first = b'{"a": [{"model": "m"}, {"model": "m"}, {"model": "m"}], "model": "m"}'
    assert with_top_string(nested_first, "model", "x") is None     # past the tries
    escaped_key = b'{"a": {"model": "m"}, "mod\\u0065l": "m"}'     # the top one spelled oddly
    assert with_top_string(escaped_key, "model", "x") is None


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
