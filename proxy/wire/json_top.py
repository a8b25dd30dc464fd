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
"""
import orjson
import simdjson

_OBJECT, _ARRAY = simdjson.Object, simdjson.Array
_parser = simdjson.Parser()


def top_level(raw, keep=()):
    """``{field: value}`` of the top-level object in ``raw``, containers as
    empty placeholders unless named in ``keep``; ``None`` when only a full
    parse can tell."""
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
        top = {}
        for name in doc.keys():
            if name in top:
                return None
            value = doc[name]
            kind = type(value)
            if kind is _OBJECT:
                value = value.as_dict() if name in keep else {}
            elif kind is _ARRAY:
                value = value.as_list() if name in keep else []
            top[name] = value
        return top
    finally:
        # simdjson's proxies point into the parser's buffer: none may
        # outlive this call (the next parse would refuse to run).
        value = doc = None


_TRIES = 3          # occurrences of a key tried before giving up (each costs a parse)


def with_top_string(raw, key, value):
    """``raw`` with its top-level field ``key`` set to the string ``value``
    and every other byte as it was, or ``None`` when that cannot be done
    here (the caller parses and re-serialises instead).

    The key's first occurrences are tried in turn; a candidate counts only
    if the result, read again, has ``value`` at the top level -- which no
    replacement of a nested or quoted occurrence can bring about."""
    needle = b'"%s"' % key.encode()
    encoded = orjson.dumps(value)
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
