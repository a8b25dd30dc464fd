"""The shape of a JSON Schema, as far as the translators read one.

Tool parameters and structured-output schemas are rewritten for other
providers (Gemini's ``Schema`` subset above all), so their structural
keywords must have the types the JSON Schema spec gives them.  Gemini's own
``Schema`` (``responseSchema``, ``parameters``) uses the same keywords.
"""
from proxy.validation.shape import ARRAY, BOOLEAN, INTEGER, NUMBER, STRING, Arr, Either, Map, Obj

SCHEMA = Obj({"type": Either(STRING, Arr(STRING)), "description": STRING, "title": STRING,
              "format": STRING, "nullable": BOOLEAN, "required": Arr(STRING), "enum": ARRAY,
              "minimum": NUMBER, "maximum": NUMBER, "$ref": STRING, "ref": STRING,
              **{name: INTEGER for name in ("minItems", "maxItems", "minLength", "maxLength",
                                            "minProperties", "maxProperties")}},
             spellings=True)
# The recursive keywords refer to the schema itself.
SCHEMA.fields.update({
    "properties": Map(SCHEMA), "items": Either(SCHEMA, Arr(SCHEMA)),
    "anyOf": Arr(SCHEMA), "oneOf": Arr(SCHEMA), "allOf": Arr(SCHEMA), "any_of": Arr(SCHEMA),
    "additionalProperties": Either(BOOLEAN, SCHEMA), "additional_properties": Either(BOOLEAN, SCHEMA),
    "$defs": Map(SCHEMA), "definitions": Map(SCHEMA), "not": SCHEMA,
    "propertyOrdering": Arr(STRING), "property_ordering": Arr(STRING),
})