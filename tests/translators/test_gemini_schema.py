"""JSON Schema <-> Gemini Schema (``translators.gemini.schema``), table-driven
from ``tests/fixtures/translators/gemini/schema_*/``."""
import json

import pytest
from google.genai import types

from translators.gemini.schema import clean_schema, to_json_schema
from tests.translators.cases import cases, load


def keys_anywhere(schema):
    """Every key used at any depth (property names excluded)."""
    found = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            children = value.values() if key == "properties" else value if key == "anyOf" else [value]
            for child in children:
                found |= keys_anywhere(child)
    return found


@pytest.mark.parametrize("case", cases("gemini", "schema_clean"))
def test_clean_schema(case):
    cleaned = clean_schema(case["input"])
    assert cleaned == case["expected"]
    types.Schema.model_validate(cleaned)
    assert not keys_anywhere(cleaned) & {"$ref", "$defs", "definitions", "additionalProperties",
                                         "const", "oneOf", "allOf", "default", "title", "$schema"}


def test_clean_schema_does_not_touch_its_input():
    case = load("gemini", "schema_clean", "pydantic")
    before = json.dumps(case["input"], sort_keys=True)
    clean_schema(case["input"])
    assert json.dumps(case["input"], sort_keys=True) == before


@pytest.mark.parametrize("case", cases("gemini", "schema_to_json"))
def test_to_json_schema(case):
    types.Schema.model_validate(case["input"])
    assert to_json_schema(case["input"]) == case["expected"]


@pytest.mark.parametrize("schema, expected", [
    ({"type": ["string", "null"]}, {"type": "STRING", "nullable": True}),
    ({"type": "null"}, {"nullable": True}),
    ({"enum": [1, 2]}, {"type": "STRING", "enum": ["1", "2"]}),
    ({"type": "number", "exclusiveMinimum": True, "minimum": 0}, {"type": "NUMBER", "minimum": 0}),
    ({"type": "string", "format": "uuid"}, {"type": "STRING"}),
    ({"type": "array", "items": [{"type": "string"}, {"type": "integer"}]},
     {"type": "ARRAY", "items": {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]}}),
    ({"$ref": "#/$defs/missing"}, {}),
    (True, {}),
])
def test_clean_schema_rules(schema, expected):
    assert clean_schema(schema) == expected


def test_recursive_reference_stops_at_its_type():
    tree = {"$defs": {"Node": {"type": "object", "description": "A node",
                               "properties": {"next": {"$ref": "#/$defs/Node"}}}},
            "$ref": "#/$defs/Node"}
    assert clean_schema(tree) == {"description": "A node", "type": "OBJECT", "properties": {
        "next": {"description": "A node", "type": "OBJECT"}}}
