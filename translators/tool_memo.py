"""Tool lists translated once per session, not once per request.

An agent sends the same tool list (25 or more JSON schemas, ~20 KB) with
every request of a session.  Reading it into IR tools and writing those for
the target again costs ~35 µs of every translated request, for the same
answer each time: the translation of a list depends on nothing but the list
and the two dialects, and two lists with the same orjson bytes are the same
JSON (key order, ``1`` vs ``1.0`` included), so the same translation.

- ``parsed(dialect, tools, parse)``: ``parse(tools)``, remembered by the
  list's bytes.  Only a list whose parse left nothing out is remembered (a
  dropped tool's debug line, ``translators.dropped``, is then said for every
  request, as without the memo).
- ``rendered(dialect, ir_tools, render)``: ``render(ir_tools)`` of IR tools
  ``parsed`` returned, remembered beside them (by identity: such a list is
  the memo's own and nobody changes it); any other list is rendered afresh.

A rendered list is written from its JSON bytes, kept beside it
(``written``, used by ``translators.turn_memo.dumps``).  Results are shared
by every request that sends the list, so nobody may change them in place: translators read IR tools and the proxy only
serialises a rendered request (the Claude renderer, which drops cache marks
beyond Anthropic's four, copies a tool block before it drops its mark).

The bytes of a list are made once per request: ``proxy.validation`` makes
them first to look the list up among those already found well-shaped and
hands them over (``hand_over``); the translation of that same list object
takes them (``json_bytes``) instead of serialising it again.

Memory is bounded by the bytes of the lists remembered; when full,
everything is dropped at once (simple, and safe for any mix of callers).
"""
import orjson

from translators import dropped

LIMIT = 4 * 1024 * 1024          # bytes of remembered tool lists (their objects: several times that)

_parsed = {}                     # (dialect, list bytes) -> IR tools
_owned = {}                      # id(IR tools) -> IR tools, of those in _parsed
_rendered = {}                   # (dialect, id(IR tools)) -> (IR tools, rendered)
_written = {}                    # id(rendered) -> (rendered, its JSON as an orjson.Fragment)
_held = 0
_handed = None                   # (tools list, its bytes), for the next json_bytes of that list


def hand_over(tools, data):
    """Note ``data``, the orjson bytes of the list ``tools``, for the next
    ``json_bytes(tools)`` of the very same object."""
    global _handed
    _handed = (tools, data)


def json_bytes(tools):
    """``orjson.dumps(tools)``, or None when orjson cannot write it."""
    global _handed
    handed = _handed
    if handed is not None and handed[0] is tools:
        _handed = None
        return handed[1]
    try:
        return orjson.dumps(tools)
    except TypeError:
        return None


def parsed(dialect, tools, parse):
    """``parse(tools)``: IR tools of the ``dialect`` list ``tools``,
    remembered when nothing of it was dropped.  Shared: read only."""
    if type(tools) is not list or not tools:
        return parse(tools)
    data = json_bytes(tools)
    if data is None:
        return parse(tools)
    key = (dialect, data)
    result = _parsed.get(key)
    if result is not None:
        return result
    said = dropped.said()
    result = parse(tools)
    if dropped.said() == said:
        _remember(key, result)
    return result


def rendered(dialect, ir_tools, render):
    """``render(ir_tools)`` for a ``dialect`` upstream, remembered when
    ``ir_tools`` is a list ``parsed`` returned.  Shared: read only."""
    key = (dialect, id(ir_tools))
    entry = _rendered.get(key)
    if entry is not None and entry[0] is ir_tools:
        return entry[1]
    result = render(ir_tools)
    if _owned.get(id(ir_tools)) is ir_tools:
        _rendered[key] = (ir_tools, result)
        try:
            _written[id(result)] = (result, orjson.Fragment(orjson.dumps(result)))
        except TypeError:
            pass
    return result


def written(rendered_tools):
    """The JSON of a rendered list ``rendered`` returned from the memo, as
    an ``orjson.Fragment`` to write it with, or None."""
    kept = _written.get(id(rendered_tools))
    return kept[1] if kept is not None and kept[0] is rendered_tools else None


def _remember(key, result):
    global _parsed, _owned, _rendered, _written, _held
    size = len(key[1])
    if size > LIMIT:
        return
    if _held + size > LIMIT:
        _parsed, _owned, _rendered, _written, _held = {}, {}, {}, {}, 0
    _parsed[key] = result
    _owned[id(result)] = result
    _held += size


def forget():
    """Empty the memo (tests)."""
    global _parsed, _owned, _rendered, _written, _held, _handed
    _parsed, _owned, _rendered, _written, _held, _handed = {}, {}, {}, {}, 0, None
