"""A request body's top level, read from where it differs from the last one.

A coding agent sends its whole conversation with every request: the next
request is the last one's bytes up to its newest turn or two, then a round
trip more.  ``json_top.top_level`` reads a body's top level in one skip pass
over all of it (~1.2 ms per MB in a worker); this module remembers the last
few bodies read and reads a new one only from where it stops being one of
them.  The answer is ``json_top.top_level``'s, exactly (a ``TopLevel``, or
``None`` where that says ``None``).

How a body is read again:

- The new body's longest common prefix with a remembered one is found by
  memory compares (``bytes.startswith``, ~0.03 ms per MB).
- Within that prefix the last *checkpoint* of the old body is taken: the end
  of a top-level member, or the end of an element of its conversation array
  (the array named in ``heads``: ``messages``, ``input``, ``contents``).  At a
  checkpoint the parser's state is known, and small: inside the top-level
  object after a member's value, or inside that array after an element.  The
  byte after the checkpoint must lie inside the common prefix too: the old
  body's value ended there on a delimiter, so the new one's does as well
  (``12`` in the old body may be ``123`` in the new).
- The prefix up to the checkpoint is the old body's bytes, already checked
  (grammar, UTF-8, no top-level key twice).  The rest is read as
  ``json_top`` reads a body, from a synthetic document that puts a parser in
  the same state: ``{"":[0`` followed by the rest after an element,
  ``{"":0`` after a member.  msgspec checks its grammar to the end, the walk
  proves no key occurs twice (the synthetic ``""`` included: a real ``""``
  key later makes the walk say no, and the body is read whole) and gives the
  rest's members and spans, shifted back to the body's offsets.
- Agents send their system prompt and tools after the conversation
  (Claude Code's and Codex's key order), unchanged from one request to the
  next.  So after an element checkpoint, when the body ends with the bytes
  that followed the conversation array in the old body, and what lies
  between the checkpoint and them reads as the array's end (``[0`` followed
  by it is one JSON value), those members are the old body's, moved, and
  are not read again: the parser is in the same state after the array's
  ``]`` as it was in the old body.
- Anything else (no long enough prefix, a checkpoint inside the first
  ``HEAD_ITEMS`` elements, a rest that does not read) is read whole by
  ``json_top``: the slower way to the same answer.

Where an old body's conversation array starts and ends is known from its
read; where its elements end is not (msgspec's skip does not say).  The
first body of a session that continues has its array split once, when the
next request needs it (one more skip over that array); from then on each
body's element ends are the old body's up to the checkpoint plus those of
the elements read after it.

Memory: the last ``RECENT`` bodies of at least ``FROM`` bytes, at most
``LIMIT`` bytes in all, each with its top-level spans (references to the
request bodies themselves: no copies) and, for a body parsed whole, its
parsed value (counted as ``_PARSED_WEIGHT`` times its bytes).  A body is
compared only with bodies of the same ``scope`` (the client key): how long
another client's conversation shares a prefix with one's own is not
something to time.
"""
import bisect

import orjson

from proxy.wire import json_top

FROM = 32 * 1024            # smaller bodies: a whole read costs ~0.03 ms
RECENT = 8
LIMIT = 32 * 1024 * 1024
# a parsed body's Python objects take about this many times its JSON text
_PARSED_WEIGHT = 5
_CHUNK = 64 * 1024          # prefix compares: whole chunks, then halving

_AFTER_ELEMENT = b'{"":[0'
_AFTER_MEMBER = b'{"":0'
_ELEMENTS_AFTER = b'[0'      # an array's elements after a checkpoint, alone
_OPEN_OBJECT, _OPEN_ARRAY = 0x7B, 0x5B


class _Read:
    """What is remembered of one body: its bytes, its members
    ``(name, start, end, scalar value or None)`` in order (``None`` until
    first needed for a body only parsed whole; ``()``: not to be resumed
    from), for its conversation array ``turns`` (``array``: that member's
    index) where each element starts and ends (``None`` until first
    needed), and its parsed value when it was parsed whole (``body``)."""
    __slots__ = ("raw", "scope", "turns", "members", "array", "starts", "ends", "body")

    def __init__(self, raw, scope, turns, members=None, array=None, starts=None, ends=None,
                 body=None):
        self.raw, self.scope, self.turns = raw, scope, turns
        self.members, self.array, self.starts, self.ends = members, array, starts, ends
        self.body = body

    def held(self):
        """The memory this keeps, counted against ``LIMIT``."""
        return len(self.raw) * (_PARSED_WEIGHT if self.body is not None else 1)

    def known(self):
        """Whether its members are known, reading its top level now if they
        were not (a body parsed whole, needed for the first time)."""
        if self.members is None:
            top = json_top.top_level(self.raw)
            self.members, self.array = _members(top, self.turns) if top is not None else ((), None)
        return bool(self.members)


_recent = []                # newest first


def forget():
    """Remember no body (tests; a config reload changes nothing here)."""
    _recent.clear()


def top_level(raw, keep=(), heads=(), turns=None, scope=""):
    """``json_top.top_level(raw, keep, heads)``, read only from where
    ``raw`` differs from a body read before for the same ``scope``.
    ``turns``: the name of the conversation array (default: the first of
    ``heads``), whose element ends are checkpoints."""
    if len(raw) < FROM:
        return json_top.top_level(raw, keep, heads)
    if turns is None and heads:
        turns = heads[0]
    old, found = _resumed_read(raw, scope, keep, heads)
    if found is None:
        top = json_top.top_level(raw, keep, heads)
        if top is None:
            return None
        _remember(_record(top, scope, turns, None), None)
        return top
    top, elements, _ = found
    # a body parsed whole stays for the session's next translated request
    _remember(_record(top, scope, turns, elements), old if old.body is None else None)
    return top


def parsed(raw, parse, turns=None, scope=""):
    """``parse(raw)``, the caller's whole parse (``orjson.loads`` and its
    errors), for a body of at least ``FROM`` bytes: built, when ``raw``
    resumes a body parsed before, from that body's parsed values up to the
    checkpoint (the same bytes: equal values, and shared: nobody changes a
    parsed body in place) and ``orjson.loads`` of the rest.  The prefix's
    and the rest's top-level members are checked as ``top_level`` checks
    them, so no key occurs twice and the result is the whole parse's, key
    order included; anything else is ``parse(raw)``."""
    if len(raw) < FROM:
        return parse(raw)
    old, found = _resumed_read(raw, scope, (), (), parsed=True)
    if found is not None:
        top, elements, where = found
        body = _parsed_after(old, where)
        if body is not None:
            _remember(_record(top, scope, turns, elements, body), old)
            return body
    body = parse(raw)
    _remember(_Read(raw, scope, turns, body=body), None)
    return body


def _resumed_read(raw, scope, keep, heads, parsed=False):
    """``(remembered body, _resumed's answer)`` for ``raw``; the answer is
    None when no body (parsed whole, with ``parsed``) resumes it."""
    old, common = _closest(raw, scope, parsed)
    # what is shared, less than half the body, saves less than the resumed
    # read costs, and is more likely another session's (which stays
    # remembered); shared: the prefix, and what follows the conversation
    if old is None or not old.known() or 2 * (common + _shared_rest(raw, old)) < len(raw):
        return old, None
    try:
        return old, _resumed(raw, old, common, keep, heads)
    # a value the old read did not decode (other keep or heads) that orjson
    # refuses, or nesting near msgspec's limit read from a deeper frame:
    # the whole read says what it says of them
    except (orjson.JSONDecodeError, RecursionError):
        return old, None


def _shared_rest(raw, old):
    """How many bytes after ``old``'s conversation array ``raw`` ends with
    too (0: it does not, or ``old`` has none)."""
    if old.array is None:
        return 0
    rest = memoryview(old.raw)[old.members[old.array][2]:]
    return len(rest) if raw.endswith(rest) else 0


def _parsed_after(old, where):
    """The parsed body, from ``old``'s parsed values before the checkpoint
    ``where`` (see ``_resumed``) and the synthetic document after it; None
    when orjson refuses that document (``parse`` then says why, as for the
    whole body)."""
    kind, index, document = where
    try:
        tail = orjson.loads(document)
    except (orjson.JSONDecodeError, RecursionError):
        return None
    kept = old.body
    if kind == "between":                   # document: the new elements, as [0,...]
        name = old.members[old.array][0]
        body = {member: kept[member] for member, _, _, _ in old.members[:old.array]}
        body[name] = kept[name][:index + 1] + tail[1:]
        for member, _, _, _ in old.members[old.array + 1:]:
            body[member] = kept[member]
        return body
    synthetic = tail.pop("")
    if kind == "element":
        body = {name: kept[name] for name, _, _, _ in old.members[:old.array]}
        name = old.members[old.array][0]
        body[name] = kept[name][:index + 1] + synthetic[1:]
    else:
        body = {name: kept[name] for name, _, _, _ in old.members[:index + 1]}
    body.update(tail)
    return body


def _closest(raw, scope, parsed=False):
    """The remembered body of ``scope`` (one parsed whole, with ``parsed``)
    sharing the longest prefix with ``raw``, and that prefix's length
    (``(None, 0)``: none)."""
    best, longest = None, 0
    for old in _recent:
        if old.scope == scope and (not parsed or old.body is not None):
            common = _common_prefix(old.raw, raw)
            if common > longest:
                best, longest = old, common
    return best, longest


def _common_prefix(a, b):
    """How many leading bytes ``a`` and ``b`` share: chunk by chunk, then
    halving the chunk that differs (each step one memory compare)."""
    most = min(len(a), len(b))
    view = memoryview(b)
    at = 0
    while at + _CHUNK <= most and a.startswith(view[at:at + _CHUNK], at):
        at += _CHUNK
    low, high = at, min(at + _CHUNK, most)          # a[:low] == b[:low]
    while low < high:
        middle = (low + high + 1) // 2
        if a.startswith(view[low:middle], low):
            low = middle
        else:
            high = middle - 1
    return low


def _resumed(raw, old, common, keep, heads):
    """``(TopLevel of raw, (array name, its element starts, ends) or None,
    (checkpoint kind, element or member index, synthetic document))`` read
    from ``old``'s last checkpoint before ``common``, or None."""
    members = old.members
    # the byte after a checkpoint must be shared too (see the docstring)
    before = common - 1
    if old.array is not None:
        _, start, end, _ = members[old.array]
        if start < before < end:
            return _after_element(raw, old, before, keep, heads)
    ends = [end for _, _, end, _ in members]
    last = bisect.bisect_right(ends, before) - 1
    if last < 0:
        return None
    return _after_member(raw, old, last, keep, heads)


def _after_member(raw, old, last, keep, heads):
    """The read of ``raw`` resumed after ``old``'s member ``last``."""
    checkpoint = old.members[last][2]
    tail = _tail(raw, checkpoint, _AFTER_MEMBER, keep, heads)
    if tail is None:
        return None
    top = _prefix(raw, old.members[:last + 1], keep, heads)
    if not _join(top, tail, checkpoint - len(_AFTER_MEMBER)):
        return None
    elements = None
    if old.array is not None and old.array <= last and old.ends is not None:
        elements = (old.members[old.array][0], old.starts, old.ends)
    return top, elements, ("member", last, tail.raw)


def _after_element(raw, old, before, keep, heads):
    """The read of ``raw`` resumed after the last element of ``old``'s
    conversation array that ends before ``before``, or None."""
    if old.ends is None:
        try:
            old.starts, old.ends = json_top.element_spans(old.raw, *old.members[old.array][1:3])
        except RecursionError:                  # not to be tried again
            old.array = None
            raise
    name = old.members[old.array][0]
    index = bisect.bisect_right(old.ends, before) - 1
    # heads from the prefix only: all HEAD_ITEMS of them and one more
    if index < (json_top.HEAD_ITEMS if name in heads else 0):
        return None
    checkpoint = old.ends[index]
    same_rest = _same_rest(raw, old, checkpoint)
    if same_rest is not None:
        return _between(raw, old, index, checkpoint, *same_rest, keep, heads)
    tail = _tail(raw, checkpoint, _AFTER_ELEMENT, keep, heads)
    if tail is None:
        return None
    shift = checkpoint - len(_AFTER_ELEMENT)
    span = tail.spans.pop("")
    top = _through_array(raw, old, span[1] + shift, keep, heads)
    del tail[""]
    if not _join(top, tail, shift, synthetic=False):
        return None
    elements = _elements(old, index, json_top.element_spans(tail.raw, *span), shift)
    return top, elements, ("element", index, tail.raw)


def _same_rest(raw, old, checkpoint):
    """``(the array's new elements as a synthetic array, where the array
    ends in raw, the synthetic array's element spans)`` when ``raw`` ends
    with what followed the conversation array in ``old`` (an agent's system
    prompt and tool list after its turns: Claude Code's and Codex's key
    order) and the bytes between the checkpoint and there close the array,
    else None."""
    old_end = old.members[old.array][2]
    end = len(raw) - (len(old.raw) - old_end)
    if end <= checkpoint or not raw.endswith(memoryview(old.raw)[old_end:]):
        return None
    array = _ELEMENTS_AFTER + raw[checkpoint:end]
    spans = json_top.array_spans(array)
    return None if spans is None else (array, end, spans)


def _between(raw, old, index, checkpoint, array, end, spans, keep, heads):
    """The read of ``raw`` whose bytes are ``old``'s up to the checkpoint
    after element ``index`` and again after the conversation array, which
    ends at ``end``: ``array`` holds the elements between (as ``[0,...]``),
    split by msgspec already (``spans``); the members after it are
    ``old``'s, moved."""
    if not (array.isascii() or json_top.utf8(array)):
        return None
    shift = end - old.members[old.array][2]
    top = _through_array(raw, old, end, keep, heads)
    moved = [(member, first + shift, last + shift, scalar)
             for member, first, last, scalar in old.members[old.array + 1:]]
    _add(top, raw, moved, keep, heads)
    elements = _elements(old, index, spans, checkpoint - len(_ELEMENTS_AFTER))
    return top, elements, ("between", index, array)


def _through_array(raw, old, end, keep, heads):
    """A ``TopLevel`` of ``raw`` holding ``old``'s members before its
    conversation array, then that array, which ends at ``end`` in ``raw``."""
    name, start, _, _ = old.members[old.array]
    top = _prefix(raw, old.members[:old.array], keep, heads)
    view = memoryview(raw)
    top[name] = orjson.loads(view[start:end]) if name in keep else []
    top.spans[name] = (start, end)
    if name in heads:
        top.heads[name] = _leading(view, old)
    return top


def _elements(old, index, added, shift):
    """``(array name, element starts, ends)``: ``old``'s elements through
    ``index``, then those ``added`` (``element_spans`` of a synthetic
    ``[0,...]`` array: its first is the synthetic ``0``), moved by
    ``shift``."""
    return (old.members[old.array][0],
            old.starts[:index + 1] + [at + shift for at in added[0][1:]],
            old.ends[:index + 1] + [at + shift for at in added[1][1:]])


def _leading(view, old):
    """The conversation's heads (``json_top``'s ``TopLevel.heads``) from
    ``old``'s leading elements, whose bytes the body shares."""
    return ([orjson.loads(view[old.starts[k]:old.ends[k]]) for k in range(json_top.HEAD_ITEMS)],
            True)


def _tail(raw, checkpoint, opening, keep, heads):
    """The ``TopLevel`` of the synthetic document ``opening`` + ``raw`` from
    ``checkpoint`` on (see the docstring), or None."""
    return json_top.top_level(opening + raw[checkpoint:], keep, heads)


def _prefix(raw, members, keep, heads):
    """A ``TopLevel`` of ``raw`` holding ``members`` (an old body's, whose
    bytes ``raw`` shares), their values made as ``json_top`` makes them."""
    top = json_top.TopLevel(raw)
    _add(top, raw, members, keep, heads)
    return top


def _add(top, raw, members, keep, heads):
    """Add ``members`` (an old body's, at these places in ``raw``) to
    ``top``: scalars the old body's (immutable), containers new."""
    view = memoryview(raw)
    for name, start, end, scalar in members:
        kind = raw[start]
        if kind == _OPEN_OBJECT or kind == _OPEN_ARRAY:
            if name in keep:
                value = orjson.loads(view[start:end])
            else:
                value = {} if kind == _OPEN_OBJECT else []
            if kind == _OPEN_ARRAY and name in heads:
                top.heads[name] = json_top.head(raw, start, end)
        else:
            value = scalar
        top[name] = value
        top.spans[name] = (start, end)


def _join(top, tail, shift, synthetic=True):
    """Add ``tail``'s members (not its synthetic first one) to ``top``,
    their spans moved by ``shift``; False when a name is already there."""
    for name, value in tail.items():
        if synthetic:                       # the first member is the synthetic one
            synthetic = False
            continue
        if name in top or len(top) >= json_top.MOST_FIELDS:
            return False
        top[name] = value
        start, end = tail.spans[name]
        top.spans[name] = (start + shift, end + shift)
        if name in tail.heads:
            top.heads[name] = tail.heads[name]
    return True


def _record(top, scope, turns, elements, body=None):
    """What to remember of the body ``top`` was read from; ``elements``:
    where its ``turns`` array's elements start and end, if known."""
    members, array = _members(top, turns)
    if array is None or elements is None or elements[0] != turns:
        return _Read(top.raw, scope, turns, members, array, body=body)
    return _Read(top.raw, scope, turns, members, array, *elements[1:], body=body)


def _members(top, turns):
    """``(members, index of the turns array or None)`` of a ``TopLevel``."""
    members, array = [], None
    for index, (name, (start, end)) in enumerate(top.spans.items()):
        kind = top.raw[start]
        scalar = None if kind == _OPEN_OBJECT or kind == _OPEN_ARRAY else top[name]
        members.append((name, start, end, scalar))
        if name == turns and kind == _OPEN_ARRAY:
            array = index
    return members, array


def _remember(read, replaced):
    """Keep ``read`` first; ``replaced`` (the body it was read against, a
    session's earlier request) goes, and the oldest beyond the bounds."""
    if replaced is not None and replaced in _recent:
        _recent.remove(replaced)
    _recent.insert(0, read)
    total = 0
    for index, kept in enumerate(_recent):
        total += kept.held()
        if index >= RECENT or total > LIMIT:
            del _recent[index:]
            break
