"""Object schemas get ``properties`` everywhere they can sit, copying only
what changes (the caller's schema is never modified)."""
import copy

import pytest

from translators import tool_schema
from translators.tool_schema import with_properties


@pytest.fixture(autouse=True)
def fresh_memo():
    tool_schema.forget()
    yield
    tool_schema.forget()

COMPLETE = {"type": "object", "properties": {
    "path": {"type": "string"},
    "options": {"type": "object", "additionalProperties": False,
                "properties": {"mode": {"type": "string", "enum": ["a", "b"]}}},
    "tags": {"type": "array", "items": {"type": "object", "properties": {}}},
    "either": {"anyOf": [{"type": "string"}, {"type": "object", "properties": {}}]}},
    "required": ["path"]}


def test_a_complete_schema_is_returned_as_it_is():
    assert with_properties(COMPLETE) is COMPLETE


def test_bare_objects_get_properties_wherever_they_sit():
    schema = {"type": "object", "properties": {
        "free": {"type": "object"},
        "list": {"type": "array", "items": {"type": ["object", "null"]}},
        "one": {"oneOf": [{"type": "string"}, {"type": "object", "properties": None}]},
        "kept": {"type": "object", "properties": {"x": {"type": "string"}}}},
        "$defs": {"Node": {"type": "object", "additionalProperties": {"type": "object"}}}}
    original = copy.deepcopy(schema)
    out = with_properties(schema)
    assert schema == original                                   # not modified
    assert out["properties"]["free"] == {"type": "object", "properties": {}}
    assert out["properties"]["list"]["items"] == {"type": ["object", "null"], "properties": {}}
    assert out["properties"]["one"]["oneOf"] == [
        {"type": "string"}, {"type": "object", "properties": {}}]
    assert out["$defs"]["Node"] == {"type": "object", "properties": {},
                                    "additionalProperties": {"type": "object",
                                                             "properties": {}}}
    # what needed nothing is shared, not copied
    assert out["properties"]["kept"] is schema["properties"]["kept"]
    assert out["properties"]["one"]["oneOf"][0] is schema["properties"]["one"]["oneOf"][0]
    assert list(out) == list(schema)                            # key order kept


def test_not_a_schema_passes_through():
    for value in (None, True, "x", [1], {"type": "string"}):
        assert with_properties(value) is value


def test_a_schema_seen_before_is_looked_up_by_its_bytes():
    first = {"type": "object", "properties": {"m": {"type": "object"}}}
    out = with_properties(first)
    again = copy.deepcopy(first)
    assert with_properties(again) is out                        # same JSON: same result
    assert with_properties(dict(reversed(list(first.items())))) is not out  # other order
    widened = {"type": "object", "properties": {"m": {"type": "object", "x": 1.0}}}
    assert with_properties(widened)["properties"]["m"]["x"] == 1.0
    narrowed = {"type": "object", "properties": {"m": {"type": "object", "x": 1}}}
    assert type(with_properties(narrowed)["properties"]["m"]["x"]) is int   # 1 is not 1.0


def test_the_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(tool_schema, "MEMO_LIMIT", 40)
    a, b = {"type": "object", "title": "a" * 10}, {"type": "object", "title": "b" * 10}
    out_a = with_properties(a)
    with_properties(b)                                          # over the limit: afresh
    assert with_properties(copy.deepcopy(a)) is not out_a
    assert with_properties(copy.deepcopy(a)) == out_a


def test_what_orjson_cannot_write_is_still_rewritten():
    schema = {"type": "object", "properties": {"n": {"type": "object"}}, "maximum": 2 ** 70}
    assert with_properties(schema)["properties"]["n"] == {"type": "object", "properties": {}}
