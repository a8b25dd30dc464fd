"""Edits to the YAML config file that keep the operator's comments.

``ruamel.yaml`` round-trips comments, key order and quoting; PyYAML (the
loader) would drop them.  An edit is read-modify-validate-write under a
lock (a gevent lock within the worker, ``flock`` on a ``.lock`` file next to
the config across gunicorn workers), and the new text is validated with
the real loader before an atomic ``os.replace``: a bad edit never reaches
the disk, and a reader never sees half a file.
"""
import fcntl
import io
import os
import tempfile
from contextlib import contextmanager

from gevent.lock import Semaphore
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from proxy import reload
from proxy.errors import ConfigError

_lock = Semaphore()


def _yaml_for(text):
    """A round-trip YAML keeping the file's list indentation style."""
    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096                    # never re-wrap long values
    if text.strip():
        _, indent, block_seq_indent = load_yaml_guess_indent(text)
        rt.indent(mapping=2, sequence=indent, offset=block_seq_indent)
    return rt


def load(path):
    """``(yaml, document)``; a missing or empty file is an empty mapping."""
    real = os.path.realpath(path)
    text = ""
    if os.path.exists(real):
        with open(real, encoding="utf-8") as f:
            text = f.read()
    try:
        rt = _yaml_for(text)
        doc = rt.load(text) if text.strip() else None
    except YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return rt, doc


def dump(rt, doc):
    out = io.StringIO()
    rt.dump(doc, out)
    return out.getvalue()




@contextmanager
def _file_lock(real):
    with open(real + ".lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _write_atomic(real, text):
    directory = os.path.dirname(real) or "."
    mode = os.stat(real).st_mode & 0o777 if os.path.exists(real) else 0o600
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".config-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        os.unlink(tmp)
        raise


def update(path, change):
    """Apply ``change(document)`` to the file at ``path`` and save it.

    ``change`` mutates the round-trip document in place and returns any
    value; raises ConfigError (nothing written) when the result is invalid.
    Returns ``(config, value)``: the validated config and ``change``'s value.
    """
    real = os.path.realpath(path)
    with _lock, _file_lock(real):
        rt, doc = load(real)
        value = change(doc)
        text = dump(rt, doc)
        config = reload.parse(text, path)
        _write_atomic(real, text)
    return config, value
