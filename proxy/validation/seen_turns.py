"""Turns already found well-shaped, so the next request of a conversation
walks only the turns that are new.

An agent sends its whole conversation with every request: the turns of the
request before, then a new call and its result.  A deep check walks every
turn (a layout lookup per object, ~1 µs a turn, over a hundred turns at
250 KB); comparing the turns with those of a request checked before costs a
fifth of that (``==`` on the parsed values runs in C, strings compared as
memory), and a turn equal to one found valid is valid: a turn's shape
depends on nothing but its value (not its neighbours, not its index, not
its key order).

Equal is not always the same JSON, though: Python's ``==`` holds between
``true``, ``1`` and ``1.0``, which the shapes tell apart (``is_error`` must
be a boolean, ``1`` will not do).  Strings, null, objects and arrays equal
only their own kind.  So a remembered turn holding a boolean or a number
where its shape checks a type (``numbers``; not inside an object whose
inside is not ours to read, such as a tool call's input) is never reused:
it is walked with every request, as before.

``match(dialect, turns)`` finds which turns equal, index for index,
reusable turns of a list remembered for that dialect, ``pending`` the
turns a deep check still has to walk; after a check passed,
``remember(dialect, shape, turns, same)`` keeps the list for the next
request.

The last ``KEPT`` lists of each dialect are held (references to those
requests' parsed turns: their memory stays until replaced), the most
recent first; a request reuses the one whose first turn is its own.  They
are the requests' own parsed values, so nobody may change a parsed body in
place once checked (the gateway never does: translators read it, the
relay copies what it amends).
"""
from proxy.validation.shape import Arr, Either, Kind, Map, Obj

KEPT = 2                # turn lists remembered per dialect
TURNS = {"claude": "messages", "openai": "messages", "responses": "input",
         "gemini": "contents"}

_NUMERIC = frozenset((bool, int, float))

_kept = {}              # dialect -> [(turns, [reusable, ...]), ...], newest first
_numbers = {}           # dialect -> predicate over one turn (see numbers())


def match(dialect, turns):
    """Which of the leading ``turns`` equal, index for index, reusable
    turns of a list remembered for ``dialect`` (a list of booleans, as long
    as the shorter list), or None when no remembered list starts as
    ``turns`` does."""
    if type(turns) is not list or not turns:
        return None
    for kept, reusable in _kept.get(dialect, ()):
        try:
            if not reusable[0] or kept[0] != turns[0]:
                continue
            return [ok and turn == old for turn, old, ok in zip(turns, kept, reusable)]
        except RecursionError:          # nested past the limit: walked, as before
            return None
    return None


def pending(turns, same):
    """The turns a deep check still walks, given ``match``'s ``same``."""
    return [turn for turn, ok in zip(turns, same) if not ok] + turns[len(same):]


def remember(dialect, shape, turns, same=None):
    """Keep ``turns``, a list a deep check found valid (``same``: its
    ``match``), for the next request."""
    if type(turns) is not list or not turns:
        return
    numbers = _numbers.get(dialect)
    if numbers is None:
        numbers = _numbers[dialect] = _turn_predicate(shape)
    reusable = list(same or ())
    reusable += [False] * (len(turns) - len(reusable))
    for index, ok in enumerate(reusable):
        if not ok:
            reusable[index] = not numbers(turns[index])
    kept = [entry for entry in _kept.get(dialect, ()) if entry[0] is not turns]
    _kept[dialect] = [(turns, reusable)] + kept[:KEPT - 1]


def forget():
    """Drop every remembered list (tests)."""
    _kept.clear()
    _numbers.clear()


def _turn_predicate(shape):
    """Whether one turn holds a boolean or number where the turn shape
    (the item shape of the list field ``shape``) checks a type."""
    item = shape.item if type(shape) is Arr else None
    if type(shape) is Either and type(shape.by_type.get(list)) is Arr:
        item = shape.by_type[list].item
    if item is None:
        return _always
    return numbers(item) or _never


def numbers(shape, path=()):
    """A predicate over a value ``shape`` accepts: whether it holds a
    boolean or number anywhere ``shape`` checks a type; None when ``shape``
    checks no such type anywhere.  Where a shape recurs inside itself (a
    JSON Schema) the answer is yes for any value: such turns are walked."""
    if type(shape) is Kind:
        return _is_number if shape.types & _NUMERIC else None
    if id(shape) in path:
        return _always
    path = path + (id(shape),)
    if type(shape) is Obj:
        fields = tuple((name, check) for name, sub in shape.fields.items()
                       if (check := numbers(sub, path)) is not None)
        return _in_object(fields) if fields else None
    if type(shape) in (Arr, Map):
        item = numbers(shape.item, path)
        if item is None:
            return None
        return _in_list(item) if type(shape) is Arr else _in_map(item)
    if type(shape) is Either:
        by_type = {kind: check for kind, sub in shape.by_type.items()
                   if (check := numbers(sub, path)) is not None}
        return _by_type(by_type) if by_type else None
    return _always


def _is_number(value):
    return type(value) in _NUMERIC


def _always(value):
    return True


def _never(value):
    return False


def _in_object(fields):
    def check(value):
        if type(value) is not dict:
            return type(value) in _NUMERIC
        for name, inner in fields:
            field = value.get(name)
            if field is not None and inner(field):
                return True
        return False
    return check


def _in_list(item):
    def check(value):
        if type(value) is not list:
            return type(value) in _NUMERIC
        return any(map(item, value))
    return check


def _in_map(item):
    def check(value):
        if type(value) is not dict:
            return type(value) in _NUMERIC
        return any(map(item, value.values()))
    return check


def _by_type(by_type):
    def check(value):
        inner = by_type.get(type(value))
        return inner(value) if inner is not None else type(value) in _NUMERIC
    return check
