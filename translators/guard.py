"""The one boundary where malformed input becomes a ``TranslationError``.

Translators read client and upstream JSON of any shape: a field missing,
a string where an object belongs, ``null`` in a list.  Checking every
access where it happens would bury the translation under type tests, so
each dialect package exposes its surface through ``guard_surface``: inside,
code reads what the dialect's reference documents; at the edge, the
lookup and type errors malformed input causes are one ``TranslationError``
(a 400 naming what was wrong, never a 500 with a traceback).
"""
import functools

from translators.ir import TranslationError

# What reading a malformed body raises (int() of a huge float: OverflowError).
_MALFORMED = (KeyError, IndexError, TypeError, AttributeError, ValueError, ArithmeticError)

SURFACE = ("parse_request", "render_request", "parse_response", "render_response",
           "parse_usage", "parse_error", "render_error", "stream_error_event",
           "render_count_tokens")
STREAMS = ("StreamDecoder", "StreamEncoder")


def guarded(function):
    """``function`` raising only ``TranslationError`` for malformed input."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except TranslationError:
            raise
        except _MALFORMED as exc:
            raise TranslationError(f"malformed {_what(function)}: {_why(exc)}") from exc
    return wrapper


def guarded_stream(cls):
    """A subclass of a stream decoder/encoder whose ``feed``/``close`` are guarded."""
    methods = {name: guarded(getattr(cls, name)) for name in ("feed", "close")
               if hasattr(cls, name)}
    return type(cls.__name__, (cls,), dict(methods, __doc__=cls.__doc__,
                                           __module__=cls.__module__))


def guard_surface(namespace):
    """Guard a dialect package's exported functions and stream classes in place."""
    for name in SURFACE:
        if name in namespace:
            namespace[name] = guarded(namespace[name])
    for name in STREAMS:
        if name in namespace:
            namespace[name] = guarded_stream(namespace[name])


def _what(function):
    name = function.__name__.lstrip("_")
    if name.startswith("parse_") or name.startswith("render_"):
        return name.split("_", 1)[1].replace("_", " ")
    return "stream event"


def _why(exc):
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}" if exc.args else "a field is missing"
    return f"a field has an unexpected type or value ({exc})"
