"""One log line format for the whole process tree.

gunicorn's own lines (master and workers) and Switchyard's (access log,
config, banner) share one formatter: an ISO 8601 UTC timestamp with
milliseconds, level, logger name, message.  gunicorn's default format
names ``%(process)d``, which ``app.py`` stops Python from filling in (the
Logging HOWTO's "Optimization"): left in, every worker's shutdown lines
failed with "--- Logging error --- ... %d format".
"""
import atexit
import logging
import os
import sys
import time

from gevent import getcurrent, monkey
from gevent._hub_local import get_hub_if_exists

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class Formatter(logging.Formatter):
    """``2026-01-31T12:00:00.123Z INFO switchyard.access status=200 ...``"""
    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"
    _second = (None, "")       # (second, its formatted text), replaced as one
    _milli = (None, "")        # (millisecond, the stamp), likewise

    def __init__(self, fmt=FORMAT, datefmt=None, style="%", **kwargs):
        super().__init__(fmt, None, style, **kwargs)     # datefmt: always ours

    def formatTime(self, record, datefmt=None):
        return self.stamp(int(record.created), record.msecs)

    def stamp(self, second, msecs):
        """The timestamp of a line logged ``msecs`` into the Unix ``second``."""
        # The access log writes a line per request, several a millisecond
        # under load: the date and time are formatted once a second, the
        # stamp once a millisecond.
        milli = second * 1000 + msecs
        cached = self._milli
        if cached[0] == milli:
            return cached[1]
        cached = self._second
        if cached[0] != second:
            cached = self._second = (second, time.strftime(self.default_time_format,
                                                           self.converter(second)))
        text = self.default_msec_format % (cached[1], msecs)
        self._milli = (milli, text)
        return text


def level():
    """``SWITCHYARD_LOG_LEVEL`` as logging's name for it (any case)."""
    name = os.environ.get("SWITCHYARD_LOG_LEVEL", "INFO").strip().upper()
    return name if isinstance(logging.getLevelName(name), int) else "INFO"


def gunicorn_logconfig():
    """gunicorn's ``logconfig_dict``: its loggers and the root one on stderr
    through ``Formatter`` (each line once: no propagation to root)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": level(), "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level(), "handlers": ["stderr"], "propagate": False},
        },        # gunicorn.access: left as gunicorn sets it up (off: we log our own lines)
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "switchyard",
                                "stream": "ext://sys.stderr"}},
        "formatters": {"switchyard": {"()": Formatter}},
    }


class LineWriter:
    """``logger.info(message)`` for a logger that writes a line a request,
    without logging's per-line machinery where that changes nothing.

    When the logger's INFO lines have exactly one place to go -- one plain
    ``StreamHandler`` (the worker's stderr) formatting with ``Formatter`` in
    ``FORMAT``, no filter on the logger or the handler -- the line is
    formatted here as that handler would format it: no ``LogRecord`` and its
    dozen attributes, no dispatch through five calls.  Where the lines go is
    looked up on every line, so any other arrangement (pytest's capture, a
    filter, a second handler, a level raised at run time, a JSON formatter
    from someone's own logging config) goes through ``logger.info``
    unchanged.

    A line written from a green thread of a serving event loop is held
    (``HeldLines``) and written with the others of the same loop turn, one
    write for them all; any other line is written at once.
    """

    __slots__ = ("logger",)

    def __init__(self, logger):
        self.logger = logger

    def info(self, message):
        logger = self.logger
        if not logger.isEnabledFor(logging.INFO):
            return
        handler = self._plain_handler()
        if handler is None:
            held.release()
            logger.info(message)
            return
        now = time.time_ns()
        second = now // 1_000_000_000
        line = (f"{handler.formatter.stamp(second, (now - second * 1_000_000_000) // 1_000_000)}"
                f" {logging.getLevelName(logging.INFO)} {logger.name} {message}"
                f"{handler.terminator}")
        hub = getcurrent().parent
        if hub is not None and (hub is held.hub or held.serving(hub)):
            held.hold(handler, line, logger, hub)
        else:
            held.release()
            _write(handler, line, logger, message)

    def _plain_handler(self):
        """The one handler the logger's INFO lines reach, if it is one this
        class writes exactly as logging would; else None."""
        logger = self.logger
        if logger.filters or logger.disabled:
            return None
        found = None
        node = logger
        while node is not None:
            for handler in node.handlers:
                if found is not None:
                    return None
                found = handler
            if not node.propagate:
                break
            node = node.parent
        if (found is None or type(found) is not logging.StreamHandler
                or (found.filters and found.filters != _ONLY_RELEASE)
                or found.level > logging.INFO or found.lock is None
                or not hasattr(found.stream, "flush") or type(found.formatter) is not Formatter
                or found.formatter._fmt != FORMAT
                or type(found.formatter._style) is not logging.PercentStyle):
            return None
        return found


def _write(handler, text, logger, message):
    """``text`` to the handler's stream as ``StreamHandler.emit`` writes it;
    a failure goes to the handler's error handling as ``message``'s."""
    with handler.lock:
        try:
            stream = handler.stream
            stream.write(text)
            stream.flush()
        except RecursionError:
            raise
        except Exception:
            handler.handleError(logger.makeRecord(logger.name, logging.INFO, "(unknown file)",
                                                  0, message, None, None))


class HeldLines:
    """Lines held until the event loop's turn ends, then written at once.

    A worker under load finishes several requests per turn of its event
    loop; their access-log lines go out in one ``write`` (one system call,
    one wake-up of whatever reads the log) rather than one each.  Held lines
    keep their place among every other line the handler writes: the
    ``ReleaseFirst`` filter it is given writes them before any other record
    it handles, and lines written at once (another thread's, a command's)
    release them first too.  Nothing held is lost at exit: the worker's exit
    hook releases them (``request_observer.shutdown``), and so does an
    ``atexit`` hook.
    """

    def __init__(self):
        self.hub = None           # the main thread's hub, once a line was held for it
        self._handler = None
        self._lines = []
        self._logger = None

    def serving(self, parent):
        """Whether a green thread whose parent is ``parent`` runs in the
        serving event loop: one the main thread's hub started (a request's).
        The hub runs again as soon as it yields or ends, and with it the
        held lines' write.  Not a thread's main greenlet (no parent), which
        may never give the hub a turn (a command, a test), nor another
        thread's green threads."""
        if _thread_id() == _MAIN_THREAD and parent is get_hub_if_exists():
            self.hub = parent
            return True
        return False

    def hold(self, handler, line, logger, hub):
        """Hold ``line`` for ``handler``'s stream until ``hub``'s loop turn ends."""
        if handler is not self._handler:
            self.release()
            if _RELEASE_FIRST not in handler.filters:
                handler.addFilter(_RELEASE_FIRST)
            self._handler = handler
        with handler.lock:
            lines = self._lines
            lines.append(line)
            self._logger = logger
        if len(lines) == 1:
            hub.loop.run_callback(self.release)

    def release(self):
        """Write the held lines now (none: nothing to do)."""
        if not self._lines:
            return
        handler = self._handler
        with handler.lock:
            lines, self._lines = self._lines, []
            if lines:
                text = "".join(lines)
                _write(handler, text, self._logger, text.rstrip("\n"))


class ReleaseFirst(logging.Filter):
    """A handler's filter that writes the held lines before the record it
    passes (so they keep their order); it passes every record."""

    def filter(self, record):
        held.release()
        return True


_thread_id = monkey.get_original("_thread", "get_ident")     # the OS thread's, not a greenlet's
_MAIN_THREAD = _thread_id()      # (a fork's child keeps the forking thread's id)
held = HeldLines()
_RELEASE_FIRST = ReleaseFirst()
_ONLY_RELEASE = [_RELEASE_FIRST]
atexit.register(held.release)


def native_locks():
    """Give the log handlers native locks again, after gevent's
    monkey-patching gave each a green one (``gevent.monkey.patch_logging``).
    A stream handler's critical section -- format, write to a plain blocking
    stream, flush -- never yields to another green thread, so the green lock
    excludes nothing the native one would not, at the price of two
    Python-level acquire/release pairs per line (the access log writes a
    line a request).  A native lock still excludes the hub's worker threads."""
    native = monkey.get_original("_thread", "RLock")
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", ()):
            if type(handler) in (logging.StreamHandler, logging.FileHandler):
                handler.lock = native()


def setup():
    """Log to stderr in our format unless something (gunicorn) already set
    up the root logger; the level comes from ``SWITCHYARD_LOG_LEVEL``."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(Formatter())
        root.addHandler(handler)
        root.setLevel(level())
