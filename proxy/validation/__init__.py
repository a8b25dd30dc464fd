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
every request) and turns equal to turns of an earlier request found valid
(``seen_turns``: an agent sends its whole conversation with every request).
"""
from proxy.errors import BadRequest, ShapeError
from proxy.validation import claude, gemini, known_tools, openai_chat, responses, seen_turns
from proxy.validation.shape import json_type

SHAPES = {"openai": openai_chat.REQUEST, "responses": responses.REQUEST,
          "claude": claude.REQUEST, "gemini": gemini.REQUEST}


def check(dialect, body):
    """Raise ``BadRequest`` if a top-level field of ``body`` has the wrong type."""
    _check(dialect, body, False)


def check_deep(dialect, body):
    """Raise ``BadRequest`` if any field of ``body`` Switchyard reads has the
    wrong type, however deep."""
    if type(body) is not dict:
        _check(dialect, body, True)
        return
    tools_key = known_tools.key(dialect, body.get("tools"))
    checked = body
    if tools_key is not None and known_tools.known(tools_key):
        # The same error as a whole walk: the tools, which had none, are skipped.
        checked = {name: value for name, value in body.items() if name != "tools"}
    field = seen_turns.TURNS[dialect]
    turns = body.get(field)
    same = seen_turns.match(dialect, turns)
    if same is not None and any(same):
        # Turns equal to turns found valid before are not walked again; an
        # error is named by the whole walk, as without them.
        short = dict(checked)
        short[field] = seen_turns.pending(turns, same)
        try:
            _check(dialect, short, True)
        except BadRequest:
            _check(dialect, checked, True)
    else:
        _check(dialect, checked, True)
    if tools_key is not None and checked is body:
        known_tools.remember(tools_key)
    seen_turns.remember(dialect, SHAPES[dialect].fields[field], turns, same)


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
