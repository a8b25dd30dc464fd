"""Responses API request shape (OpenAI API reference, "Create a model
response" and "Get input token counts"): the fields Switchyard reads."""
from proxy.validation.shape import (BOOLEAN, INTEGER, NUMBER, OBJECT, STRING, Arr, Either,
                                    Obj)
from proxy.validation.json_schema import SCHEMA

_PART = Obj({
    "type": STRING, "text": STRING, "refusal": STRING,
    "image_url": STRING, "file_id": STRING, "file_data": STRING, "file_url": STRING,
    "filename": STRING, "detail": STRING,
}, required=("type",), variants={"input_text": ("text",), "output_text": ("text",)})

_ITEM = Obj({
    "type": STRING, "role": STRING, "id": STRING, "call_id": STRING, "name": STRING,
    "content": Either(STRING, Arr(_PART)),
    "arguments": STRING, "input": STRING,
    "output": Either(STRING, Arr(_PART)),
    "summary": Arr(Obj({"type": STRING, "text": STRING})),
    "encrypted_content": STRING, "status": STRING, "action": OBJECT,
}, variants={"function_call": ("call_id", "name"), "function_call_output": ("call_id", "output"),
             "custom_tool_call": ("call_id", "name"),
             "custom_tool_call_output": ("call_id", "output")})

_TOOL = Obj({"type": STRING, "name": STRING, "description": STRING,
             "parameters": SCHEMA, "strict": BOOLEAN, "format": OBJECT},
            required=("type",), variants={"function": ("name",), "custom": ("name",)})

_FORMAT = Obj({"type": STRING, "name": STRING, "schema": SCHEMA, "strict": BOOLEAN,
               "description": STRING})

REQUEST = Obj({
    "model": STRING, "input": Either(STRING, Arr(_ITEM)), "instructions": STRING,
    "stream": BOOLEAN, "tools": Arr(_TOOL),
    "tool_choice": Either(STRING, Obj({"type": STRING, "name": STRING, "mode": STRING,
                                       "tools": Arr(OBJECT)},
                                      required=("type",), variants={"function": ("name",)})),
    "parallel_tool_calls": BOOLEAN, "max_output_tokens": INTEGER,
    "temperature": NUMBER, "top_p": NUMBER,
    "reasoning": Obj({"effort": STRING, "summary": STRING, "generate_summary": STRING}),
    "text": Obj({"format": _FORMAT, "verbosity": STRING}),
    "user": STRING, "safety_identifier": STRING, "prompt_cache_key": STRING,
    "metadata": OBJECT, "previous_response_id": STRING, "store": BOOLEAN,
    "include": Arr(STRING), "truncation": STRING,
})
