"""Tool lists already found well-shaped, remembered by their JSON bytes.

An agent sends the same tool list (25 or more JSON schemas, tens of KB)
with every request of a session, and walking it is about half of a
translated request's deep validation.  The shape of a value depends on
nothing but the value, and two values with the same orjson bytes are the
same JSON (key order, ``1`` vs ``1.0`` vs ``true`` included), so a list seen
valid once needs no second walk: its bytes (a few µs to make) are looked up
instead.  Only valid lists are remembered (a bad one is walked each time,
for its error); the memory is bounded by the bytes held, and when full the
whole set is dropped (simple, and safe for any mix of callers).
"""
from translators import tool_memo

LIMIT = 4 * 1024 * 1024          # bytes of remembered tool lists

_known = set()
_held = 0


def key(dialect, tools):
    """The memo key of a body's ``tools`` value, or None when it has none
    worth remembering (absent, empty, not a list, not serialisable)."""
    if type(tools) is not list or not tools:
        return None
    data = tool_memo.json_bytes(tools)
    if data is None:
        return None
    # the translation of this very list serialises it no second time
    tool_memo.hand_over(tools, data)
    return dialect, data


def known(tools_key):
    return tools_key in _known


def remember(tools_key):
    """Note a tool list found valid (dropping everything first when the
    memo would grow past ``LIMIT``)."""
    global _known, _held
    size = len(tools_key[1])
    if size > LIMIT:
        return
    if _held + size > LIMIT:
        _known, _held = set(), 0
    _known.add(tools_key)
    _held += size


def forget():
    """Empty the memo (tests)."""
    global _known, _held
    _known, _held = set(), 0
