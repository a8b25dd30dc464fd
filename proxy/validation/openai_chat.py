"""Chat Completions request shape (OpenAI API reference, "Create chat
completion"): the fields Switchyard reads, with their JSON types."""
from proxy.validation.shape import (ARRAY, BOOLEAN, INTEGER, NUMBER, OBJECT, STRING, Arr,
                                    Either, Obj)
from proxy.validation.json_schema import SCHEMA

_PART = Obj({
    "type": STRING, "text": STRING, "refusal": STRING,
    "image_url": Obj({"url": STRING, "detail": STRING}, required=("url",)),
    "file": Obj({"file_data": STRING, "file_id": STRING, "filename": STRING}),
    "input_audio": Obj({"data": STRING, "format": STRING}),
}, required=("type",))

CONTENT = Either(STRING, Arr(_PART))

_NAMED = Obj({"name": STRING}, required=("name",))

_TOOL_CALL = Obj({
    "id": STRING, "type": STRING,
    "function": Obj({"name": STRING, "arguments": STRING}, required=("name",)),
}, required=("function",))

_MESSAGE = Obj({
    "role": STRING, "content": CONTENT, "name": STRING, "tool_call_id": STRING,
    "tool_calls": Arr(_TOOL_CALL), "refusal": STRING,
    "reasoning_content": STRING, "reasoning": Either(STRING, OBJECT),
    "function_call": OBJECT,
}, required=("role",), tag="role", variants={"tool": ("tool_call_id",)})

_FUNCTION = Obj({"name": STRING, "description": STRING, "parameters": SCHEMA,
                 "strict": BOOLEAN}, required=("name",))

_TOOL = Obj({"type": STRING, "function": _FUNCTION}, required=("type",),
            variants={"function": ("function",)})

_TOOL_CHOICE = Either(STRING, Obj({
    "type": STRING, "function": _NAMED,
    "allowed_tools": Obj({"mode": STRING, "tools": Arr(Obj({"function": _NAMED}))}),
}, required=("type",), variants={"function": ("function",)}))

REQUEST = Obj({
    "model": STRING, "messages": Arr(_MESSAGE), "stream": BOOLEAN,
    "stream_options": Obj({"include_usage": BOOLEAN}),
    "tools": Arr(_TOOL), "tool_choice": _TOOL_CHOICE, "parallel_tool_calls": BOOLEAN,
    "functions": ARRAY, "function_call": Either(STRING, OBJECT),
    "max_tokens": INTEGER, "max_completion_tokens": INTEGER, "n": INTEGER, "seed": INTEGER,
    "temperature": NUMBER, "top_p": NUMBER, "top_k": INTEGER,
    "frequency_penalty": NUMBER, "presence_penalty": NUMBER,
    "stop": Either(STRING, Arr(STRING)), "reasoning_effort": STRING,
    "response_format": Obj({"type": STRING, "json_schema": Obj({
        "name": STRING, "schema": SCHEMA, "strict": BOOLEAN, "description": STRING})}),
    "user": STRING, "safety_identifier": STRING, "prompt_cache_key": STRING,
    "metadata": OBJECT, "modalities": Arr(STRING), "audio": OBJECT,
    "web_search_options": OBJECT, "logprobs": BOOLEAN, "top_logprobs": INTEGER,
})
