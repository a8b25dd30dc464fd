"""One log line format for the whole process tree.

gunicorn's own lines (master and workers) and Switchyard's (access log,
config, banner) share one formatter: an ISO 8601 UTC timestamp with
milliseconds, level, logger name, message.  gunicorn's default format
names ``%(process)d``, which ``app.py`` stops Python from filling in (the
Logging HOWTO's "Optimization"): left in, every worker's shutdown lines
failed with "--- Logging error --- ... %d format".
"""
import logging
import os
import sys
import time

from gevent import monkey

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class Formatter(logging.Formatter):
    """``2026-01-31T12:00:00.123Z INFO switchyard.access status=200 ...``"""
    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"
    _second = (None, "")       # (second, its formatted text), replaced as one

    def __init__(self, fmt=FORMAT, datefmt=None, style="%", **kwargs):
        super().__init__(fmt, None, style, **kwargs)     # datefmt: always ours

    def formatTime(self, record, datefmt=None):
        # The access log writes a line per request: the date and time are
        # formatted once a second, the milliseconds per line.
        second = int(record.created)
        cached = self._second
        if cached[0] != second:
            cached = self._second = (second, time.strftime(self.default_time_format,
                                                           self.converter(second)))
        return self.default_msec_format % (cached[1], record.msecs)


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
