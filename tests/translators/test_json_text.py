"""``translators.json_text`` gives exactly the stdlib's results: the same
text written (floats, escapes, key order) and the same values read
(integer sizes, floats, what is refused)."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translators import json_text

FLOATS = (st.floats(allow_nan=False, allow_infinity=False)
          | st.sampled_from([1e-5, -7.5e-7, 0.0001, 1e16, 1e-300, 5e-324, -0.0, 1e22]))
INTEGERS = st.integers() | st.sampled_from([2 ** 63, -2 ** 63 - 1, 2 ** 64, -2 ** 64])
TEXTS = st.text() | st.sampled_from(["one-off", "1e-5", "0.00001", "é\u2028\x00\x7f", "\ud800"])
VALUES = st.recursive(st.none() | st.booleans() | INTEGERS | FLOATS | TEXTS,
                      lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(TEXTS, inner, max_size=4), max_leaves=20)
SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)


def stdlib_dumps(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@SETTINGS
@given(VALUES)
def test_dumps_writes_what_the_stdlib_writes(value):
    assert json_text.dumps(value) == stdlib_dumps(value)


@SETTINGS
@given(VALUES)
def test_loads_reads_what_the_stdlib_reads(value):
    text = stdlib_dumps(value)
    # repr tells 1 from 1.0 and keeps key order
    assert repr(json_text.loads(text)) == repr(json.loads(text))


@pytest.mark.parametrize("value", [{"dt": 1e-05}, [0.00001, "x"], {"n": 2.5e-9},
                                   {"s": "pre-commit one-off", "f": 1.5}])
def test_small_floats_are_spelled_like_the_stdlib(value):
    assert json_text.dumps(value) == stdlib_dumps(value)


@pytest.mark.parametrize("text", ['{"n": 18446744073709551616}', "[-9223372036854775809]",
                                  "[NaN, Infinity]", "[1e400]", '"\\ud800"', ' {"a": 1} '])
def test_loads_edges_match_the_stdlib(text):
    assert repr(json_text.loads(text)) == repr(json.loads(text))


@pytest.mark.parametrize("text", ["{", "[1,]", '{"a":1} x', "\ufeff{}", ""])
def test_loads_refuses_what_the_stdlib_refuses(text):
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        json_text.loads(text)
