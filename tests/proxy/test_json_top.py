"""proxy.wire.json_top: a body's top level, or None when only a full parse can tell."""
import orjson
import pytest

from proxy.wire.json_top import top_level


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
