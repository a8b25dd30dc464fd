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
"""
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
