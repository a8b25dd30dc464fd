"""Object schemas get ``properties`` everywhere they can sit, copying only
what changes (the caller's schema is never modified)."""
import copy

from translators.tool_schema import with_properties

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
