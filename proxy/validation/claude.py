"""Anthropic Messages request shape (Anthropic API reference, "Messages"
and "Count message tokens"): the fields Switchyard reads."""
from proxy.validation.shape import (BOOLEAN, INTEGER, NUMBER, OBJECT, STRING, Arr, Either,
                                    Obj)
from proxy.validation.json_schema import SCHEMA

_SOURCE = Obj({"type": STRING, "media_type": STRING, "data": STRING, "url": STRING,
               "file_id": STRING, "content": Either(STRING, Arr(OBJECT))},
              variants={"base64": ("data",), "url": ("url",), "text": ("data",)})

# Fields each block type must carry (Messages API, "Content blocks").
_NEEDS = {"text": ("text",), "image": ("source",), "document": ("source",),
          "tool_use": ("id", "name", "input"), "tool_result": ("tool_use_id",),
          "thinking": ("thinking",), "redacted_thinking": ("data",)}

_NESTED = Obj({"type": STRING, "text": STRING, "source": _SOURCE},
              required=("type",), variants=_NEEDS)

_BLOCK = Obj({
    "type": STRING, "text": STRING, "source": _SOURCE, "title": STRING, "context": STRING,
    "id": STRING, "name": STRING, "input": OBJECT,
    "tool_use_id": STRING, "content": Either(STRING, Arr(_NESTED)), "is_error": BOOLEAN,
    "thinking": STRING, "signature": STRING, "data": STRING,
    "cache_control": OBJECT, "citations": Either(OBJECT, Arr(OBJECT)),
}, required=("type",), variants=_NEEDS)

CONTENT = Either(STRING, Arr(_BLOCK))

_MESSAGE = Obj({"role": STRING, "content": CONTENT}, required=("role", "content"))

_TOOL = Obj({"type": STRING, "name": STRING, "description": STRING,
             "input_schema": SCHEMA, "cache_control": OBJECT}, required=("name",))

REQUEST = Obj({
    "model": STRING, "messages": Arr(_MESSAGE),
    "system": Either(STRING, Arr(_BLOCK)),
    "max_tokens": INTEGER, "stream": BOOLEAN,
    "temperature": NUMBER, "top_p": NUMBER, "top_k": INTEGER,
    "stop_sequences": Arr(STRING),
    "tools": Arr(_TOOL),
    "tool_choice": Obj({"type": STRING, "name": STRING, "disable_parallel_tool_use": BOOLEAN},
                       required=("type",), variants={"tool": ("name",)}),
    "thinking": Obj({"type": STRING, "budget_tokens": INTEGER}),
    "output_config": Obj({"effort": STRING, "format": Obj({"type": STRING,
                                                            "schema": SCHEMA})}),
    "metadata": Obj({"user_id": STRING}),
    "service_tier": STRING, "container": Either(STRING, OBJECT), "mcp_servers": Arr(OBJECT),
})
