"""Tool arguments as JSON text: the stdlib's exact results at orjson's speed.

Tool calls carry their arguments as JSON text in some dialects (OpenAI's
``arguments``) and as objects in others (Anthropic's ``tool_use.input``), so
a translated agent request converts every call of its history, tens to
hundreds of small values per request.  ``json.dumps`` / ``json.loads`` cost
microseconds each in Python-level wrapping; orjson does the same work in
a tenth of that.  The results must not change (the converted history is
sent on every later request of the conversation, and prompt caches key on
its bytes), so orjson is used only where its result is the stdlib's:

- writing: orjson spells strings, integers and most floats exactly as
  ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` does, but
  not floats below 1e-4 (``1e-05`` vs ``0.00001``, ``1e-07`` vs ``1e-7``);
  a text holding such a number (or what looks like one) is written by the
  stdlib.  Values orjson refuses (integers beyond 64 bits, lone surrogates)
  go to the stdlib too.
- reading: orjson reads integers beyond 64 bits as floats, where the stdlib
  keeps them exact; a result holding any float is read again by the stdlib.
  Text orjson refuses (NaN, Infinity, lone surrogates) goes to the stdlib,
  which then accepts or refuses it as before.
"""
import json

import orjson

_COMPACT = (",", ":")


def dumps(value):
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``."""
    try:
        data = orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=_COMPACT)
    if _stdlib_floats(data):
        return data.decode()
    return json.dumps(value, ensure_ascii=False, separators=_COMPACT)


def _stdlib_floats(data):
    """Whether orjson's bytes hold no float the stdlib spells otherwise: no
    ``0.0000`` and no digit before ``e-`` (words such as ``one-off`` in a
    string are skipped over, not a reason to fall back)."""
    if b"0.0000" in data:
        return False
    at = data.find(b"e-")
    while at != -1:
        if at and 48 <= data[at - 1] <= 57:        # an ASCII digit
            return False
        at = data.find(b"e-", at + 2)
    return True


def loads(text):
    """``json.loads(text)`` (raising its ``ValueError`` on bad text)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    return json.loads(text) if _has_float(value) else value


def _has_float(value):
    """Whether a parsed value holds a float anywhere (a loop, not recursion:
    orjson reads nesting deeper than Python's recursion limit)."""
    pending = [value]
    while pending:
        value = pending.pop()
        kind = type(value)
        if kind is dict:
            value = value.values()
        elif kind is float:
            return True
        elif kind is not list:
            continue
        for item in value:
            kind = type(item)
            if kind is float:
                return True
            if kind is dict or kind is list:
                pending.append(item)
    return False
