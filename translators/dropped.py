"""What a translation leaves out, named in one debug log line.

The rule (README "Never refuse the unseen"): a request an upstream can serve
is not refused for carrying something a translator does not know.  Each
dialect maps what has a near equivalent and calls ``dropped`` for the rest,
so an operator running at debug level sees exactly what did not travel.
Translators stay pure: logging is their only side effect.
"""
import logging

log = logging.getLogger("switchyard.translators")


def dropped(dialect, what):
    """Say that ``what`` (e.g. ``"top-level key 'context_management'"``) of a
    ``dialect`` request had no equivalent and was left out."""
    global _said
    _said += 1
    log.debug("%s request: dropped %s (no equivalent in the target dialect)", dialect, what)


def unread_keys(dialect, body, read):
    """Log every top-level key of ``body`` that the parser does not read."""
    for key in body:
        if key not in read:
            dropped(dialect, f"top-level key {key!r}")


def said():
    """How many times ``dropped`` has been called so far (a memo compares
    two counts to learn whether a step dropped anything)."""
    return _said


_said = 0
