"""A small declarative language for the JSON shapes a front door accepts.

A dialect's request shape is data (``proxy.validation.<dialect>``) built
from the pieces here; ``Obj.check_fields`` walks a parsed body against it and
raises ``ShapeError`` naming the first field of the wrong type.

Only *types* are checked, and only of fields Switchyard reads (routing,
accounting, translation): values (enums, ranges) and unknown fields are the
upstream's business, so a field the gateway does not know yet still passes.
JSON ``null`` counts as absent everywhere, as the translators treat it.

Two depths keep the same-dialect path cheap: *shallow* checks the type of
each top-level field (a dict lookup per field present), *deep* also walks
into arrays and nested objects, for requests that are translated or
answered by the gateway itself.

A long conversation repeats a few object layouts hundreds of times (a
content block of one type, with the same fields, of the same JSON types).
Whether an object's own fields are well-typed and its required ones present
depends on nothing but its tag, its field names and their JSON types, so
each object shape remembers the layouts it found valid, each with the
fields whose insides still need a walk (an array, a nested object): a
layout seen before costs one lookup, not a check per field.  Only valid
layouts are remembered; any other is checked field by field for its error.
"""
import functools

from proxy.errors import ShapeError


def json_type(value):
    """The JSON name of a parsed value's type."""
    return _JSON_NAMES.get(type(value), "value")


_JSON_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean",
               list: "an array", dict: "an object", type(None): "null"}


class Kind:
    """A leaf: the value's Python type must be one of ``types`` (exact
    types, so ``True`` is no integer, as in JSON)."""
    __slots__ = ("expected", "types")

    def __init__(self, expected, *types):
        self.expected = expected
        self.types = frozenset(types)

    def check(self, value, deep):
        if type(value) not in self.types:
            raise ShapeError(self.expected, value)


STRING = Kind("a string", str)
INTEGER = Kind("an integer", int)
NUMBER = Kind("a number", int, float)
BOOLEAN = Kind("a boolean", bool)
OBJECT = Kind("an object", dict)          # an object whose inside is not ours to read
ARRAY = Kind("an array", list)


class Arr:
    """An array; when deep, every item has shape ``item``."""
    __slots__ = ("item", "expected")

    def __init__(self, item):
        self.item = item
        self.expected = "an array"

    def check(self, value, deep):
        if type(value) is not list:
            raise ShapeError(self.expected, value)
        if deep:
            item = self.item
            if type(item) is Obj:
                item.check_items(value)
                return
            for index, element in enumerate(value):
                try:
                    item.check(element, True)   # null items too: no reader skips them
                except ShapeError as exc:
                    raise _at(exc, index) from None


class Obj:
    """An object whose known ``fields`` (name -> shape) have those shapes.

    ``required``: fields that must be present (and not null) when deep.
    ``variants``: more required fields by the value of the object's ``tag``
    field (a content block ``{"type": "tool_use"}`` needs ``id``, ``name``
    and ``input``; an OpenAI message ``{"role": "tool"}`` a ``tool_call_id``).  ``spellings``: also accept each camelCase name
    in snake_case (the proto3 JSON mapping Gemini's REST API follows takes
    both); a required field may then come in either spelling.
    """
    __slots__ = ("fields", "expected", "required", "variants", "tag", "spellings", "_split",
                 "_needs", "_bounded")

    LAYOUTS = 1024          # valid layouts remembered per shape (then it starts afresh)
    # A layout is remembered only if its tag and field names are this short
    # in all: they are the client's strings (unknown fields pass), and a
    # remembered one outlives its request -- 1024 layouts of a megabyte-long
    # field name each would hold a gigabyte.
    LAYOUT_CHARS = 512

    def __init__(self, fields, *, required=(), variants=None, tag="type", spellings=False):
        self.fields = _Fields(self, fields)
        self.spellings = spellings
        if spellings:
            for name, shape in fields.items():
                self.fields.setdefault(_snake(name), shape)
        self.required = tuple(required)
        self.variants = dict(variants or {})
        self.tag = tag
        self.expected = "an object"
        self._split = None
        self._bounded = False        # set by _split_fields
        # every field a value of each tag must carry, ready to read
        self._needs = {kind: self.required + tuple(names)
                       for kind, names in self.variants.items()}

    def check(self, value, deep):
        if type(value) is not dict:
            raise ShapeError(self.expected, value)
        if deep:
            kind = value.get(self.tag)
            if type(kind) is not str:
                kind = None
            # the layout: tag, field names, their types (as many names as types)
            layout = (kind, *value, *map(type, value.values()))
            layouts = (self._split or self._split_fields())[2]
            walks = layouts.get(layout)
            if walks is None:
                # not seen valid yet: every field checked here, in its order
                self.check_fields(value, True)
                self._learn(value, kind, layout, layouts)
            elif walks:
                if self._bounded:
                    self._walk_bounded(value, walks)
                else:
                    self._walk(value, walks)

    def check_dict(self, value):
        """``check(value, True)`` of a ``value`` known to be a dict (a
        bounded shape's walker, ``_walks``)."""
        kind = value.get(self.tag)
        if type(kind) is not str:
            kind = None
        layout = (kind, *value, *map(type, value.values()))
        layouts = (self._split or self._split_fields())[2]
        walks = layouts.get(layout)
        if walks is None:
            self.check_fields(value, True)
            self._learn(value, kind, layout, layouts)
        elif walks:
            self._walk_bounded(value, walks)

    def check_items(self, items):
        """``check`` (deep) of each of an array's ``items``, naming the
        index of the first that fails; a known layout is looked up here,
        without a call per item.  (Of a shape that may nest without bound,
        a field's insides are walked through one frame, as ``check`` walks
        them: the same depth makes a 400; see ``_walks``.)"""
        tag, layouts = self.tag, (self._split or self._split_fields())[2]
        bounded = self._bounded
        for index, value in enumerate(items):
            try:
                if type(value) is not dict:
                    self.check(value, True)         # its error
                    continue
                kind = value.get(tag)
                if type(kind) is not str:
                    kind = None
                layout = (kind, *value, *map(type, value.values()))
                walks = layouts.get(layout)
                if walks is None:
                    self.check_fields(value, True)
                    self._learn(value, kind, layout, layouts)
                elif not walks:
                    continue
                elif bounded:                   # _walk_bounded, inline
                    for name, walk in walks:
                        try:
                            walk(value[name])
                        except ShapeError as exc:
                            raise _at(exc, name) from None
                else:
                    self._walk(value, walks)
            except ShapeError as exc:
                raise _at(exc, index) from None

    def _learn(self, value, kind, layout, layouts):
        """After ``check_fields`` passed ``value``: check its required
        fields, then remember its layout as valid."""
        names = self._needs.get(kind, self.required) if kind is not None else self.required
        if names:
            self._check_required(value, names)
        if len(kind or "") + sum(map(len, value)) > self.LAYOUT_CHARS:
            return
        if len(layouts) >= self.LAYOUTS:
            layouts.clear()
        layouts[layout] = self._walks(value)

    def _walk(self, value, walks):
        """Check the insides of the fields ``walks`` names (``check_fields``
        would have, in the same order: the rest is known well-typed)."""
        for name, shape in walks:
            try:
                shape.check(value[name], True)
            except ShapeError as exc:
                raise _at(exc, name) from None

    def _walk_bounded(self, value, walks):
        """``_walk`` of a bounded shape's walks (``_walks``): a checker per field."""
        for name, walk in walks:
            try:
                walk(value[name])
            except ShapeError as exc:
                raise _at(exc, name) from None

    def _walks(self, value):
        """``((name, shape), ...)``: the fields of ``value`` (found valid)
        whose shapes look inside them, in field order.

        For a bounded shape (``_split_fields``), ``((name, walk), ...)``
        instead: ``walk(field value)`` checks the insides as
        ``shape.check(..., True)`` would, the field's JSON type being fixed
        by the layout: an ``Either`` resolved to the shape of that type, an
        object straight to its ``check_dict``, an array of objects to its
        item shape's ``check_items`` -- fewer calls, the same errors.  Only
        bounded shapes take the shortcut: it walks with fewer frames per
        level than ``check_fields`` does, and a body nested past the
        recursion limit must be a 400 whether its layouts were seen before
        or not (a bounded shape's nesting is a few levels, never near it)."""
        nested = (self._split or self._split_fields())[1]
        walks = []
        for name, field_value in value.items():
            shape = nested.get(name)
            if shape is None or field_value is None:
                continue
            if type(shape) is Either:
                resolved = shape.by_type[type(field_value)]
                if type(resolved) is Kind:
                    continue    # a leaf of an Either: its type was all there was to check
                if self._bounded:
                    shape = resolved
            walks.append((name, _walker(shape) if self._bounded else shape))
        return tuple(walks)

    def _check_required(self, value, names):
        for name in names:
            if value.get(name) is None and not (self.spellings
                                                and value.get(_snake(name)) is not None):
                raise _at(ShapeError(self.fields[name].expected, None, missing=True), name)

    def check_fields(self, value, deep):
        """Check the fields of the object ``value`` (the top level of a
        body is always checked this way, at either depth)."""
        leaves, nested, _ = self._split or self._split_fields()
        for name, field_value in value.items():
            # most fields are leaves: their type checked here, not in a call
            types = leaves.get(name)
            if types is not None:
                if type(field_value) not in types:
                    raise _at(ShapeError(self.fields[name].expected, field_value), name)
                continue
            shape = nested.get(name)
            if shape is None or field_value is None:
                continue
            try:
                shape.check(field_value, deep)
            except ShapeError as exc:
                raise _at(exc, name) from None

    def _split_fields(self):
        """``({leaf field: its types or null}, {other field: shape}, {valid
        layout: its walks})``, made on first use and again after ``fields``
        changed (which also forgets the layouts)."""
        leaves = {name: shape.types | {type(None)} for name, shape in self.fields.items()
                  if type(shape) is Kind}
        nested = {name: shape for name, shape in self.fields.items() if name not in leaves}
        self._bounded = _bounded(self)
        self._split = (leaves, nested, {})
        return self._split


class _Fields(dict):
    """An ``Obj``'s fields: any change drops the split ``check_fields``
    made of them (a JSON Schema's are completed after it is built)."""
    __slots__ = ("owner",)

    def __init__(self, owner, fields):
        super().__init__(fields)
        self.owner = owner

    def __setitem__(self, name, shape):
        super().__setitem__(name, shape)
        self.owner._split = None

    def __delitem__(self, name):
        super().__delitem__(name)
        self.owner._split = None

    def setdefault(self, name, shape=None):
        self.owner._split = None
        return super().setdefault(name, shape)

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        self.owner._split = None


class Map:
    """An object used as a map: every value has shape ``item`` (JSON
    Schema ``properties``, ``$defs``)."""
    __slots__ = ("item", "expected")

    def __init__(self, item):
        self.item = item
        self.expected = "an object"

    def check(self, value, deep):
        if type(value) is not dict:
            raise ShapeError(self.expected, value)
        if deep:
            item = self.item
            for key, element in value.items():
                try:
                    item.check(element, True)
                except ShapeError as exc:
                    raise _at(exc, key) from None


class Either:
    """One of several shapes, told apart by JSON type (e.g. a message
    ``content`` that is a string or an array of parts)."""
    __slots__ = ("by_type", "expected")

    def __init__(self, *shapes):
        self.by_type = {}
        for shape in shapes:
            for python_type in _types_of(shape):
                self.by_type.setdefault(python_type, shape)
        self.expected = " or ".join(_expected(shape) for shape in shapes)

    def check(self, value, deep):
        shape = self.by_type.get(type(value))
        if shape is None:
            raise ShapeError(self.expected, value)
        if type(shape) is not Kind:          # a leaf's type was matched just now
            shape.check(value, deep)


def _walker(shape):
    """``shape.check(value, True)`` of a value whose JSON type is known to
    be one ``shape`` takes, as a one-argument callable (see ``Obj._walks``)."""
    if type(shape) is Obj:
        return shape.check_dict
    if type(shape) is Arr and type(shape.item) is Obj:
        return shape.item.check_items
    return functools.partial(shape.check, deep=True)


def _bounded(shape):
    """Whether no shape reachable from ``shape`` contains itself (so a value
    it accepts nests only as deep as the shape does).  Asked when an
    ``Obj`` first checks a value, once its shapes are complete (a JSON
    Schema's refer to themselves once ``json_schema`` has filled them in)."""
    path, done = set(), set()

    def acyclic(node):
        if id(node) in done:
            return True
        if id(node) in path:
            return False
        path.add(id(node))
        if type(node) is Obj:
            inner = node.fields.values()
        elif type(node) in (Arr, Map):
            inner = (node.item,)
        elif type(node) is Either:
            inner = node.by_type.values()
        else:
            inner = ()
        ok = all(acyclic(child) for child in inner)
        path.discard(id(node))
        done.add(id(node))
        return ok
    return acyclic(shape)


def _at(exc, step):
    exc.path.append(step)
    return exc


def _expected(shape):
    return shape.expected


def _types_of(shape):
    if isinstance(shape, Kind):
        return shape.types
    if isinstance(shape, Arr):
        return (list,)
    if isinstance(shape, (Obj, Map)):
        return (dict,)
    return tuple(shape.by_type)


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name)
