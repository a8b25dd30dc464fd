"""The internal representation (IR) every dialect translates to and from.

Each dialect package (``openai_chat``, ``responses``, ``claude``, ``gemini``)
parses its own wire format into these plain dicts and renders them back, so
a (client, upstream) pair is ``render_X(parse_Y(body))`` and the 12 cross
pairs come from 4 parsers and 4 renderers per direction.  See README.md for
why the IR was chosen over pairwise translators.

Everything here is a JSON-compatible dict; the helpers below only build
them so field names are spelled in one place.

Request::

    {
      "model": str,
      "system": [TextPart],            # instructions, in order (may be empty)
      "messages": [Message],
      "tools": [Tool],
      "tool_choice": None | {"type": "auto"|"none"|"required"}
                     | {"type": "tool", "name": str},
      "parallel_tool_calls": bool | None,
      "max_tokens": int | None,
      "temperature": float | None, "top_p": float | None, "top_k": int | None,
      "stop": [str],
      "n": int | None,
      "reasoning": None | {"effort": str|None, "budget_tokens": int|None,
                           "summary": str|None, "enabled": bool},
      "response_format": None | {"type": "text"} | {"type": "json_object"}
                         | {"type": "json_schema", "name": str,
                            "schema": dict, "strict": bool|None},
      "stream": bool,
      "include_usage": bool,           # OpenAI stream_options.include_usage
      "user": str | None,              # end-user id (OpenAI user, Claude metadata.user_id)
      "metadata": dict | None,
      "replay_reasoning": bool,        # optional, set by the proxy for upstreams
                                       # configured to take reasoning back
                                       # (DeepSeek's reasoning_content)
    }

Message::

    {"role": "user" | "assistant" | "tool" | "system", "content": [Part]}

``tool`` messages hold only ``tool_result`` parts (several may share one
message).  Renderers regroup as their dialect needs (Anthropic puts results
in a user turn, Gemini in a ``user`` turn of ``functionResponse`` parts).
``system`` messages hold only text parts: instructions given part-way
through a conversation (Claude Code's mid-conversation ``role: "system"``,
OpenAI ``system`` / ``developer`` messages after the first turn).  Leading
instructions live in the request's ``system`` list instead.  Renderers keep
them in place: as a system/developer turn where the dialect has one, else
as text on the user side.

Parts::

    {"type": "text", "text": str}
    {"type": "image", "media_type": str|None, "data": str|None (base64),
     "url": str|None}                 # exactly one of data / url
    {"type": "document", "media_type": str|None, "data": str|None,
     "url": str|None, "text": str|None, "title": str|None}
    {"type": "tool_call", "id": str, "name": str, "arguments": str}
                                      # arguments: JSON text, as OpenAI sends it
    {"type": "tool_result", "tool_call_id": str, "name": str|None,
     "content": [TextPart|ImagePart], "is_error": bool}
    {"type": "reasoning", "text": str, "signature": str|None}
    {"type": "redacted_reasoning", "data": str}

Any part (and any system TextPart) may carry ``"cache_control": dict``, an
Anthropic prompt-caching mark (``{"type": "ephemeral", "ttl": ...}``) that
clients also put on OpenAI-format content; only the Anthropic renderer
writes it back, other dialects cache by prefix on their own.

``signature`` / ``redacted_reasoning`` come only from Anthropic (or Gemini
``thoughtSignature``, kept in ``signature``); renderers that cannot carry
them drop them, and nobody invents one.

Tool::

    {"name": str, "description": str|None, "parameters": dict (JSON schema),
     "custom": {"format": dict|None}}   # optional: a Responses freeform tool
                                        # (Codex's apply_patch), offered to other
                                        # upstreams as a function with one string
                                        # "input"; only the Responses dialect reads it

Response (a whole, non-streamed answer)::

    {
      "id": str|None, "model": str|None, "created": int|None,
      "content": [Part],               # text / reasoning / tool_call, in order
      "stop_reason": StopReason|None,
      "stop_sequence": str|None,
      "usage": Usage|None,
    }

StopReason is one of ``"stop"`` (natural end), ``"length"``, ``"tool_calls"``,
``"content_filter"``, ``"stop_sequence"``, ``"refusal"``, ``"pause"``.

Usage -- one meaning everywhere, converted at the dialect edge::

    {
      "input_tokens": int,      # ALL prompt tokens, cached read and cache
                                # write included (OpenAI prompt_tokens meaning;
                                # Anthropic input_tokens + cache_read + cache_creation)
      "output_tokens": int,     # ALL generated tokens, reasoning included
                                # (OpenAI completion_tokens meaning; Gemini
                                # candidatesTokenCount + thoughtsTokenCount)
      "cached_tokens": int,     # prompt tokens read from cache
      "cache_creation_tokens": int,
      "reasoning_tokens": int,
    }

Stream events -- what a dialect's ``StreamDecoder`` yields and its
``StreamEncoder`` consumes.  Decoders guarantee a well-formed sequence::

    start  (block_start  delta*  block_stop)*  usage*  finish?  end

    {"type": "start", "id": str|None, "model": str|None, "created": int|None,
     "usage": Usage|None}             # emitted for the first upstream event
    {"type": "block_start", "index": int, "block": {"type": "text"}
        | {"type": "reasoning"} | {"type": "redacted_reasoning", "data": str}
        | {"type": "tool_call", "id": str, "name": str}}
    {"type": "text_delta", "index": int, "text": str}
    {"type": "reasoning_delta", "index": int, "text": str}
    {"type": "signature_delta", "index": int, "signature": str}
    {"type": "arguments_delta", "index": int, "arguments": str}
    {"type": "block_stop", "index": int}
    {"type": "usage", "usage": Usage}  # cumulative: the latest one wins
    {"type": "finish", "stop_reason": StopReason, "stop_sequence": str|None}
    {"type": "error", "message": str, "error_type": str|None}
    {"type": "end"}                   # upstream finished; encoders flush here

Block indices count from 0 in order of appearance; at most one block is open
at a time (decoders close the open block before starting the next).
Encoders emit the client's closing events (Anthropic ``message_delta`` /
``message_stop``, Responses ``response.completed``, OpenAI usage chunk and
``[DONE]``) on ``end``, because stop reason and final usage arrive in
different orders in different dialects.
"""
import time
import uuid

STOP_REASONS = ("stop", "length", "tool_calls", "content_filter",
                "stop_sequence", "refusal", "pause")


def new_request(model=None):
    """An empty IR request with every key present."""
    return {
        "model": model, "system": [], "messages": [], "tools": [],
        "tool_choice": None, "parallel_tool_calls": None,
        "max_tokens": None, "temperature": None, "top_p": None, "top_k": None,
        "stop": [], "n": None, "reasoning": None, "response_format": None,
        "stream": False, "include_usage": False, "user": None, "metadata": None,
    }


def new_response(model=None):
    """An empty IR response with every key present."""
    return {"id": None, "model": model, "created": None, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": None}


def usage(input_tokens=0, output_tokens=0, cached_tokens=0,
          cache_creation_tokens=0, reasoning_tokens=0):
    """An IR usage dict (see the module doc for each field's meaning)."""
    return {"input_tokens": input_tokens or 0, "output_tokens": output_tokens or 0,
            "cached_tokens": cached_tokens or 0,
            "cache_creation_tokens": cache_creation_tokens or 0,
            "reasoning_tokens": reasoning_tokens or 0}


def text(value):
    return {"type": "text", "text": value}


def tool_call(call_id, name, arguments):
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}


def with_cache_mark(target, source):
    """``target`` (an IR part or tool) carrying the prompt-caching mark of
    ``source`` (the wire object it was parsed from), if that has one."""
    if isinstance(source, dict) and source.get("cache_control"):
        target["cache_control"] = source["cache_control"]
    return target


# Name of a streamed call whose upstream never named it: the call still
# reaches the client (its stop reason says a tool was called) and the
# client's tool runner reports the unknown tool back to the model.
UNNAMED_TOOL = "unnamed_tool"


def call_block(call_id, name):
    """The ``block`` of a tool call's ``block_start``: never an empty id or
    name (clients key calls by id; Anthropic rejects an empty name)."""
    return {"type": "tool_call", "id": call_id or new_id("call_"),
            "name": name or UNNAMED_TOOL}


def tool_names_by_id(messages):
    """Map tool-call id -> tool name over a history (Gemini needs the name
    of the function a result answers; OpenAI tool messages carry only the id)."""
    names = {}
    for message in messages:
        for part in message["content"]:
            if part["type"] == "tool_call":
                names[part["id"]] = part["name"]
    return names


def new_id(prefix, length=24):
    """A random id in the house style of a dialect (``chatcmpl-``, ``msg_``,
    ``resp_``, ``call_``, ``toolu_``...)."""
    global _minted
    _minted += 1
    return prefix + uuid.uuid4().hex[:length]


def minted():
    """How many ids ``new_id`` has made so far (a memo compares two counts
    to learn whether a step made one: its result is not the same twice)."""
    return _minted


_minted = 0


def now():
    """Unix seconds, for ``created`` fields."""
    return int(time.time())


class TranslationError(ValueError):
    """A request asks for something the target dialect cannot express
    (e.g. ``n > 1`` for Anthropic).  The proxy answers 400 with the message."""
