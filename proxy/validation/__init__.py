"""Front-door validation: a request body's shape, checked before any
translation or upstream call.

A field of the wrong JSON type (``"messages": "x"``, ``"max_tokens": "a"``,
``"stream": "true"``) is the client's mistake: it gets a 400 in its own
dialect naming the field, instead of crashing a translator or reaching an
upstream whose refusal would count against a credential.

Each dialect's shape is data in its own module; ``proxy.validation.shape``
is the checker.  ``check`` looks at the top-level fields only (cheap enough
for the same-dialect pass-through path); ``check_deep`` walks the whole
body, for requests the gateway translates or answers itself, except a tool
list already found valid (``known_tools``: an agent sends the same one with
every request).
"""
from proxy.errors import BadRequest, ShapeError
from proxy.validation import claude, gemini, known_tools, openai_chat, responses
from proxy.validation.shape import json_type

SHAPES = {"openai": openai_chat.REQUEST, "responses": responses.REQUEST,
          "claude": claude.REQUEST, "gemini": gemini.REQUEST}


def check(dialect, body):
    """Raise ``BadRequest`` if a top-level field of ``body`` has the wrong type."""
    _check(dialect, body, False)


def check_deep(dialect, body):
    """Raise ``BadRequest`` if any field of ``body`` Switchyard reads has the
    wrong type, however deep."""
    tools_key = known_tools.key(dialect, body.get("tools")) if type(body) is dict else None
    if tools_key is not None and known_tools.known(tools_key):
        # The same error as a whole walk: the tools, which had none, are skipped.
        _check(dialect, {name: value for name, value in body.items() if name != "tools"}, True)
        return
    _check(dialect, body, True)
    if tools_key is not None:
        known_tools.remember(tools_key)


def _check(dialect, body, deep):
    try:
        SHAPES[dialect].check_fields(body, deep)
    except RecursionError:
        raise BadRequest("The request body is nested too deeply.") from None
    except ShapeError as exc:
        field = exc.field()
        if exc.missing:
            raise BadRequest(f"Missing required parameter: '{field}' ({exc.expected}).",
                             code="missing_required_parameter", param=field) from None
        raise BadRequest(f"Invalid type for '{field}': expected {exc.expected}, "
                         f"but got {json_type(exc.value)} instead.", code="invalid_type",
                         param=field) from None
