"""A JSON request body's top level, without building the whole document.

An agent's request carries the whole conversation: 200 KB to 1 MB of JSON,
most of it message text the gateway never reads when the upstream speaks the
client's dialect (the bytes are forwarded untouched).  Building Python
objects for all of it (``orjson.loads``) costs ~3 ns a byte, and freeing them
again more; what routing and front-door validation need is the top level:
``model``, ``stream`` and the JSON type of each field.

``top_level`` parses with simdjson, which checks the whole document (syntax,
UTF-8) as strictly as a full parse but materialises only what is asked: the
top-level scalars, and for containers an empty ``[]`` / ``{}`` of the same
JSON type (enough for a type check), except the fields named in ``keep``,
which come whole.  Anything unusual -- not an object, a duplicated
top-level key (parsers disagree which one wins), a number simdjson cannot
hold -- returns ``None``: the caller parses fully and gets exactly the
full parser's answer, error message included.

``with_top_string`` sets one top-level string field (an upstream's model
name) in the raw bytes, leaving every other byte as the client sent it.
Where the field is the object's first or last member (Claude Code and the
Codex CLI send ``model`` first), that it is the top-level one is read off
the bytes next to it; elsewhere the result is read again to prove it,
which costs a second pass over the whole body (~0.5 ms per MB of code-like
text: simdjson's time goes into the strings' escapes).
"""
import orjson
import simdjson

_OBJECT, _ARRAY = simdjson.Object, simdjson.Array
_parser = simdjson.Parser()
_SPACE = b" \t\n\r"


class TopLevel(dict):
    """``top_level``'s answer: besides the fields it says that the whole
    document was checked as JSON and no top-level key occurs twice, facts
    ``with_top_string`` builds on.  ``heads``: for each array field named
    in ``top_level``'s ``heads``, ``(its first elements, its length)``."""
    __slots__ = ("heads",)

    def __init__(self):
        super().__init__()
        self.heads = {}


HEAD_ITEMS = 8      # leading elements of a ``heads`` array read whole


def top_level(raw, keep=(), heads=()):
    """``{field: value}`` of the top-level object in ``raw``, containers as
    empty placeholders unless named in ``keep``; ``None`` when only a full
    parse can tell.  Of the arrays named in ``heads`` the first
    ``HEAD_ITEMS`` elements are read whole too, into ``TopLevel.heads``
    (a conversation's opening turns, without its megabyte of later ones)."""
    global _parser
    try:
        doc = _parser.parse(raw)
    except RuntimeError:
        # A document of an earlier call still alive (a caller kept a proxy):
        # the parser refuses reuse, so take a fresh one.
        _parser = simdjson.Parser()
        return None
    except ValueError:      # not JSON, bad UTF-8, a number out of range
        return None
    try:
        if type(doc) is not _OBJECT:
            return None
        top = TopLevel()
        for name in doc.keys():
            if name in top:
                return None
            value = doc[name]
            kind = type(value)
            if kind is _OBJECT:
                value = value.as_dict() if name in keep else {}
            elif kind is _ARRAY:
                if name in heads:
                    top.heads[name] = _head(value)
                value = value.as_list() if name in keep else []
            top[name] = value
        return top
    finally:
        # simdjson's proxies point into the parser's buffer: none may
        # outlive this call (the next parse would refuse to run).
        value = doc = None


def _head(array):
    """``(first HEAD_ITEMS elements as Python values, length)`` of a
    simdjson array."""
    items = []
    for item in array:
        if len(items) == HEAD_ITEMS:
            break
        kind = type(item)
        items.append(item.as_dict() if kind is _OBJECT
                     else item.as_list() if kind is _ARRAY else item)
    return items, len(array)


def guess_string(raw, key):
    """The string the bytes of ``raw`` seem to give its top-level ``key``
    when that is the object's first or last member, else None.  A hint
    only (which parser to use): ``raw`` is not checked to be JSON at all,
    so whoever acts on the answer reads the parsed body again."""
    needle = b'"%s"' % key.encode()
    span = _first_member(raw, needle) or _last_member(raw, needle)
    if span is None:
        return None
    value = _string_at(raw, span)
    return value if isinstance(value, str) else None


_TRIES = 3          # occurrences of a key tried before giving up (each costs a parse)


def with_top_string(raw, key, value, top=None):
    """``raw`` with its top-level field ``key`` set to the string ``value``
    and every other byte as it was, or ``None`` when that cannot be done
    here (the caller parses and re-serialises instead).

    ``top``: ``raw``'s top level if ``top_level`` read it (a ``TopLevel``):
    then a ``key`` that is the first or the last member is found where it
    stands, with no second pass over the body.  Otherwise the key's first
    occurrences are tried in turn; a candidate counts only if the result,
    read again, has ``value`` at the top level -- which no replacement of a
    nested or quoted occurrence can bring about."""
    needle = b'"%s"' % key.encode()
    encoded = orjson.dumps(value)
    if isinstance(top, TopLevel) and isinstance(top.get(key), str):
        span = _first_member(raw, needle) or _last_member(raw, needle)
        if span is not None and _string_at(raw, span) == top[key]:
            return b"".join((raw[:span[0]], encoded, raw[span[1]:]))
    start = 0
    for _ in range(_TRIES):
        found = raw.find(needle, start)
        if found < 0:
            return None
        start = found + len(needle)
        span = _string_after_colon(raw, start)
        if span is None:
            continue
        candidate = b"".join((raw[:span[0]], encoded, raw[span[1]:]))
        top = top_level(candidate)
        if top is not None and top.get(key) == value:
            return candidate
    return None


def _first_member(raw, needle):
    """``(start, end)`` of the string value of the top-level object's first
    member if that member's key is written as ``needle``, else None.  The
    first token after the document's opening ``{`` is its first key."""
    at = _skip_space(raw, 0)
    if raw[at:at + 1] != b"{":
        return None
    at = _skip_space(raw, at + 1)
    if raw[at:at + len(needle)] != needle:
        return None
    return _string_after_colon(raw, at + len(needle))


def _last_member(raw, needle):
    """``(start, end)`` of the top-level object's last member's value if it
    is a string and its key is written as ``needle``, else None.  ``raw``
    must be valid JSON whose top level is an object (``top_level`` said so):
    then its final ``}`` closes that object and the tokens before it are the
    last member, read here backwards."""
    close = _skip_space_back(raw, len(raw)) - 1
    if close < 0 or raw[close] != 0x7D:                 # }
        return None
    end = _skip_space_back(raw, close)                  # one past the value's closing quote
    if end < 1 or raw[end - 1] != 0x22:                 # "
        return None
    start = _opening_quote(raw, end - 1)
    colon = _skip_space_back(raw, start) - 1
    if start < 0 or colon < 0 or raw[colon] != 0x3A:    # :
        return None
    key_end = _skip_space_back(raw, colon)
    key_start = key_end - len(needle)
    if key_start < 0 or raw[key_start:key_end] != needle or _escaped(raw, key_start):
        return None
    return start, end


def _opening_quote(raw, closing):
    """Where the JSON string whose closing quote is at ``closing`` opens:
    the nearest quote before it that no backslash escapes (-1: none)."""
    at = closing
    while True:
        at = raw.rfind(b'"', 0, at)
        if at < 0 or not _escaped(raw, at):
            return at


def _escaped(raw, at):
    """Whether the byte at ``at``, inside a JSON string, is escaped: an odd
    run of backslashes before it (a run inside a string starts at an escape
    boundary, so its backslashes pair up from its start)."""
    before = at
    while before > 0 and raw[before - 1] == 0x5C:      # backslash
        before -= 1
    return (at - before) % 2 == 1


def _skip_space_back(raw, at):
    """``at`` moved back over the JSON whitespace just before it."""
    while at > 0 and raw[at - 1] in _SPACE:
        at -= 1
    return at


def _string_at(raw, span):
    """The JSON string at ``span``, decoded; None if it is not one."""
    try:
        return orjson.loads(raw[span[0]:span[1]])
    except orjson.JSONDecodeError:
        return None


def _string_after_colon(raw, at):
    """``(start, end)`` of the JSON string after ``: `` at ``at``, or None."""
    at = _skip_space(raw, at)
    if raw[at:at + 1] != b":":
        return None
    start = _skip_space(raw, at + 1)
    if raw[start:start + 1] != b'"':
        return None
    end = start
    while True:
        end = raw.find(b'"', end + 1)
        if end < 0:
            return None
        backslashes = 0
        while raw[end - 1 - backslashes] == 0x5C:       # an escaped quote is no end
            backslashes += 1
        if backslashes % 2 == 0:
            return start, end + 1


def _skip_space(raw, at):
    while raw[at:at + 1] in (b" ", b"\t", b"\n", b"\r"):
        at += 1
    return at
