"""A JSON request body's top level, without building the whole document.

An agent's request carries the whole conversation: 200 KB to 1 MB of JSON,
most of it message text the gateway never reads when the upstream speaks the
client's dialect (the bytes are forwarded untouched).  Building Python
objects for all of it (``orjson.loads``) costs ~3 ns a byte, and freeing them
again more; what routing and front-door validation need is the top level:
``model``, ``stream`` and the JSON type of each field.

``top_level`` answers only when its answer is the one a full parse
(``orjson.loads``, the caller's parser) would give; otherwise ``None``, and
the caller parses fully and gets exactly the full parser's answer, error
message included.  How:

- msgspec decodes the document as ``dict[str, Raw]``: one pass in C that
  checks the grammar everywhere (structure, escapes, surrogate pairs, control
  characters, numbers' syntax, nothing after the object) but builds only
  the top-level keys and, for each value, a view of its bytes (~0.35 ms per
  MB against simdjson's ~0.7: strings are skipped, not unescaped).
- What that pass does not check, done here:

  * UTF-8 inside the skipped strings: ``bytes.isascii`` (~0.05 ms per MB),
    else a strict decode in pieces (``_utf8``), which refuses what orjson
    refuses, encoded surrogates (``\\xed\\xa0\\x80``) included.
  * Duplicated top-level keys (msgspec keeps the last one silently): the
    top level is walked over the raw bytes, keys decoded as orjson decodes
    them (``"mod\\u0065l"`` is ``model``), and each value must be, byte for
    byte, the one msgspec kept for its key (a memory compare, ~0.015 ms per
    MB).  A key seen twice, or a value that is not the kept one, is
    ``None``.  As each kept value is a complete JSON value, bytes equal to
    it where a member's value starts are that member's whole value (or a
    number's first digits: then no ``,`` or ``}`` follows, ``None``), so
    the walk never loses its place, and it gives each member's exact span,
    which ``with_top_string`` uses.
  * Top-level values the gateway reads (scalars, the fields in ``keep``,
    the leading elements in ``heads``) are decoded from their bytes by
    orjson itself, so they are the full parse's values (and a number orjson
    refuses there, ``1e999``, is ``None``).

- Left as it is, deliberately: a number out of binary64's range (``1e999``)
  inside a container the gateway does not read.  RFC 8259 section 6 makes
  such a number valid JSON whose range each implementation limits as it
  likes; orjson refuses it, msgspec's skip does not look.  The value is
  never read here, the bytes go to an upstream of the same dialect, and its
  parser applies its own limits (Python's ``json``, for one, reads it as
  infinity).  Anything in the gateway that later reads the whole body
  parses it with orjson and answers the client's 400 then, as a full parse
  at the front door would have.  Finding such numbers here would take a
  tokenizer in Python over the whole body: more than the parse it saves.
- Left to the full parse (``None``; slower, the same answer): nesting
  msgspec refuses and orjson accepts (msgspec's limit is the interpreter's
  recursion limit less the caller's depth, orjson's 1024), and a body of
  more than ``MOST_FIELDS`` top-level fields (the walk is Python, a member
  at a time).  A UTF-8 byte order mark is refused by both: the full
  parse's 400.

``with_top_string`` sets one top-level string field (an upstream's model
name) in the raw bytes, leaving every other byte as the client sent it, at
the span ``top_level``'s walk found.
"""
import codecs
import re

import msgspec
import orjson

_fields = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode
_value = msgspec.json.Decoder(msgspec.Raw).decode
_elements = msgspec.json.Decoder(list[msgspec.Raw]).decode
_decode_utf8 = codecs.utf_8_decode
_space_end = re.compile(rb"[ \t\n\r]*").match
# msgspec's message for a buffer holding more than one value (see ``_head``)
_TRAILING = re.compile(r"trailing characters \(byte (\d+)\)$")
_SPACE = b" \t\n\r"
_OPEN_OBJECT, _OPEN_ARRAY, _CLOSE_OBJECT, _CLOSE_ARRAY = 0x7B, 0x5B, 0x7D, 0x5D
_COLON, _COMMA, _QUOTE, _BACKSLASH = 0x3A, 0x2C, 0x22, 0x5C


class TopLevel(dict):
    """``top_level``'s answer: besides the fields it says that the whole
    document was checked as JSON and no top-level key occurs twice.
    ``heads``: for each array field named in ``top_level``'s ``heads``,
    ``(its first elements, whether more follow)``.  ``spans``: each field's
    ``(start, end)`` in ``raw``, the bytes it was read from."""
    __slots__ = ("heads", "spans", "raw")

    def __init__(self, raw):
        super().__init__()
        self.heads = {}
        self.spans = {}
        self.raw = raw


HEAD_ITEMS = 8      # leading elements of a ``heads`` array read whole
# A request has a few dozen top-level fields; a body with more is read
# whole (orjson: ~0.4 µs a member, where the walk here takes ~4).
MOST_FIELDS = 128


def top_level(raw, keep=(), heads=()):
    """``{field: value}`` of the top-level object in ``raw`` (bytes),
    containers as empty placeholders of their JSON type unless named in
    ``keep``; ``None`` when only a full parse can tell.  Of the arrays named
    in ``heads`` the first ``HEAD_ITEMS`` elements are read whole too, into
    ``TopLevel.heads`` (a conversation's opening turns, without its megabyte
    of later ones)."""
    try:
        fields = _fields(raw)
    except (msgspec.DecodeError, RecursionError):     # not a JSON object, or too deep
        return None
    if len(fields) > MOST_FIELDS or not (raw.isascii() or _utf8(raw)):
        return None
    try:
        return _walk(raw, fields, keep, heads)
    # a value orjson refuses where it is read; a head element nested near
    # msgspec's limit, split from a deeper frame than the first pass
    except (orjson.JSONDecodeError, RecursionError):
        return None


def _walk(raw, fields, keep, heads):
    """The ``TopLevel`` of ``raw``, walked member by member, or None (see
    the module's docstring).  msgspec found ``raw`` to be a JSON object, so
    the walk only has to prove each value is the one kept for its key.
    Compact JSON, as most clients send it, has no whitespace between the
    tokens: a byte test finds that out before any call skips any."""
    top = TopLevel(raw)
    spans = top.spans
    view = memoryview(raw)
    find_quote = raw.index
    at = _skip(raw, _skip(raw, 0) + 1)                         # past '{'
    if raw[at] == _CLOSE_OBJECT:
        return top if not fields else None
    while True:
        key_end = find_quote(b'"', at + 1) + 1     # a key's closing quote, unless escaped
        if raw[key_end - 2] == _BACKSLASH:
            key_end = _string_end(raw, at)
        name = orjson.loads(view[at:key_end])
        value = fields.get(name)
        if value is None or name in top:
            return None
        at = key_end if raw[key_end] not in _SPACE else _skip(raw, key_end)
        if raw[at] != _COLON:
            return None
        start = at + 1
        if raw[start] in _SPACE:
            start = _skip(raw, start)
        if not raw.startswith(value, start):
            return None
        end = start + len(value)
        kind = raw[start]
        if kind == _OPEN_OBJECT:
            top[name] = orjson.loads(view[start:end]) if name in keep else {}
        elif kind == _OPEN_ARRAY:
            if name in heads:
                top.heads[name] = _head(raw, view, start, end)
            top[name] = orjson.loads(view[start:end]) if name in keep else []
        else:
            top[name] = orjson.loads(view[start:end])
        spans[name] = (start, end)
        at = end if raw[end] not in _SPACE else _skip(raw, end)
        if raw[at] == _CLOSE_OBJECT:
            return top if len(top) == len(fields) else None
        if raw[at] != _COMMA:
            return None
        at += 1
        if raw[at] in _SPACE:
            at = _skip(raw, at)


_PIECE = 64 * 1024


def _utf8(raw):
    """Whether ``raw`` is strict UTF-8, decoded a 64 KiB piece at a time:
    one text with a character past U+FFFF is four bytes a character,
    a 1 MB body a 4 MB string (~2 ms, most of it the allocator's), where
    pieces cost ~0.35 ms.  A piece ends where a character starts (at most
    three continuation bytes back); a body with more in a row than that is
    no UTF-8, and one of its pieces says so."""
    view = memoryview(raw)
    size = len(raw)
    at = 0
    try:
        while at < size:
            end = at + _PIECE
            if end < size:
                for _ in range(3):
                    if raw[end] & 0xC0 != 0x80:
                        break
                    end -= 1
            _decode_utf8(view[at:end], "strict", True)
            at = end
    except UnicodeDecodeError:
        return False
    return True


def _string_end(raw, at):
    """One past the closing quote of the JSON string opening at ``at``
    (``raw`` is known to be JSON: the string is complete)."""
    end = at
    while True:
        end = raw.index(b'"', end + 1)
        if not _escaped(raw, end):
            return end + 1


def _head(raw, view, start, end):
    """``(first HEAD_ITEMS elements, whether more follow)`` of the JSON
    array at ``raw[start:end]``.

    Each element is found by msgspec's skip over the array's rest, which
    stops at the element's end and says where (in its message: msgspec has
    no other way to tell a position), then decoded by orjson; the array's
    later elements are not looked at (the first pass checked them).  Should
    the message ever not say where, the whole array is split instead."""
    items = []
    at = _skip(raw, start + 1)
    if raw[at] == _CLOSE_ARRAY:
        return items, False
    while len(items) < HEAD_ITEMS:
        stop = _value_end(view, at, end)
        if stop is None or raw[stop] not in b",]":
            return _head_of_all(view, start, end)
        items.append(orjson.loads(view[at:stop]))
        if raw[stop] == _CLOSE_ARRAY:
            return items, False
        at = _skip(raw, stop + 1)                              # past ','
    return items, True


def head(raw, start, end):
    """``(first HEAD_ITEMS elements, whether more follow)`` of the JSON
    array at ``raw[start:end]``, which ``top_level`` read."""
    return _head(raw, memoryview(raw), start, end)


def element_spans(raw, start, end):
    """``(starts, ends)`` of the elements of the JSON array at
    ``raw[start:end]``, which ``top_level`` read: msgspec splits it (one
    more skip over it), and as its elements are consecutive slices of
    ``raw`` with only whitespace and commas between them, their places
    follow from their lengths."""
    starts, ends = [], []
    at = start + 1
    for element in _elements(memoryview(raw)[start:end]):
        at = _skip(raw, at)
        starts.append(at)
        at += len(element)
        ends.append(at)
        at = _skip(raw, at) + 1                            # past ',' or ']'
    return starts, ends


def array_spans(raw):
    """``element_spans`` of ``raw`` when it is one JSON array and nothing
    more, as msgspec checks a document (``top_level``'s grammar; UTF-8
    aside), else None: the one skip that splits it checks it."""
    try:
        return element_spans(raw, 0, len(raw))
    except msgspec.DecodeError:
        return None


def utf8(raw):
    """Whether ``raw`` is strict UTF-8, as orjson reads it."""
    return _utf8(raw)


def _value_end(view, at, end):
    """Where the JSON value at ``view[at:end]``, followed by more (a ``,``
    or ``]``), is over: the index of that next byte, from msgspec's message
    (its "byte" is one past it); None if it does not say."""
    try:
        _value(view[at:end])
    except msgspec.DecodeError as exc:
        found = _TRAILING.search(str(exc))
        return at + int(found.group(1)) - 1 if found else None
    return None


def _head_of_all(view, start, end):
    """``_head`` the slow way: every element split off (a second pass)."""
    elements = _elements(view[start:end])
    return ([orjson.loads(memoryview(element)) for element in elements[:HEAD_ITEMS]],
            len(elements) > HEAD_ITEMS)


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


def with_top_string(raw, key, value, top=None):
    """``raw`` with its top-level field ``key`` set to the string ``value``
    and every other byte as it was, or ``None`` when that cannot be done
    here (the field is not a string, or only a full parse can read ``raw``:
    the caller parses and re-serialises instead).

    ``top``: ``raw``'s top level if ``top_level`` read it (a ``TopLevel`` of
    these very bytes): the field's span is known, no second pass over the
    body.  Otherwise ``raw`` is read here (a parsed dict says nothing of
    where a field stands, nor whether its key occurs twice)."""
    if not (isinstance(top, TopLevel) and top.raw is raw):
        top = top_level(raw)
        if top is None:
            return None
    if not isinstance(top.get(key), str):
        return None
    start, end = top.spans[key]
    return b"".join((raw[:start], orjson.dumps(value), raw[end:]))


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
    is a string and its key is written as ``needle``, else None.  Read
    backwards from the final ``}``, which closes the top-level object if
    ``raw`` is JSON at all (unchecked: ``guess_string`` only hints)."""
    close = _skip_space_back(raw, len(raw)) - 1
    if close < 0 or raw[close] != _CLOSE_OBJECT:
        return None
    end = _skip_space_back(raw, close)                  # one past the value's closing quote
    if end < 1 or raw[end - 1] != _QUOTE:
        return None
    start = _opening_quote(raw, end - 1)
    colon = _skip_space_back(raw, start) - 1
    if start < 0 or colon < 0 or raw[colon] != _COLON:
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
    while before > 0 and raw[before - 1] == _BACKSLASH:
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
        if not _escaped(raw, end):
            return start, end + 1


def _skip_space(raw, at):
    """``at`` moved past the JSON whitespace there (also past the end)."""
    return _space_end(raw, at).end()


def _skip(raw, at):
    """``at`` moved past the JSON whitespace there; ``raw[at]`` exists (in
    a JSON text whitespace is always followed by a token).  Compact JSON,
    as most clients send it, has none: no regex call then."""
    return _space_end(raw, at).end() if raw[at] in _SPACE else at
