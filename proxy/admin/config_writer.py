"""Edits to the YAML config file that keep the operator's comments.

``ruamel.yaml`` round-trips comments, key order and quoting; PyYAML (the
loader) would drop them.  An edit is read-modify-validate-write under a
lock (a gevent lock within the worker, ``flock`` on the config's directory
across gunicorn workers: no lock file left in the operator's way), and the new text is validated with
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
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.tokens import CommentToken
from ruamel.yaml.error import YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from proxy import config as config_mod
from proxy.admin import reload
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
        raise config_mod.yaml_error(path, exc) from None
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
    """Exclusive across processes.  The file itself cannot carry the lock
    (``os.replace`` swaps its inode), so its directory does."""
    fd = os.open(os.path.dirname(real) or ".", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)       # closing drops the lock


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


# -- keeping appended entries out of comment blocks ---------------------------
#
# ruamel keeps the comment lines that follow a collection's last element on
# that element; an element appended after it lands below them, inside the
# next section's commented-out example.  After an edit, the lines after the
# old last element's own (inline) comment move to the new last element.

def _commented(value):
    if isinstance(value, dict) and not isinstance(value, CommentedMap):
        return CommentedMap((k, _commented(v)) for k, v in value.items())
    if isinstance(value, list) and not isinstance(value, CommentedSeq):
        return CommentedSeq(_commented(v) for v in value)
    return value


def _slots(node):
    """Comment slots of ``node``'s last element, outermost first, as
    ``(comments, key, index)``: the comment after it is ``comments[key][index]``."""
    if isinstance(node, CommentedMap) and node:
        key = list(node)[-1]
        return [(node.ca.items, key, 2), *_slots(node[key])]
    if isinstance(node, CommentedSeq) and node:
        return [(node.ca.items, len(node) - 1, 0), *_slots(node[-1])]
    return []


def _snapshot(doc):
    """The containers an edit may append to: the document and its lists."""
    return [(doc, len(doc))] + [(v, len(v)) for v in doc.values() if isinstance(v, CommentedSeq)]


def _old_slots(node, last):
    index = 2 if isinstance(node, CommentedMap) else 0
    return [(node.ca.items, last, index), *_slots(node[last])]


def _move_trailing_comments(before):
    for node, length in before:
        if not 0 < length < len(node):
            continue
        keys = list(node) if isinstance(node, CommentedMap) else list(range(len(node)))
        for key in keys[length:]:
            node[key] = _commented(node[key])
        for comments, key, index in reversed(_old_slots(node, keys[length - 1])):
            token = (comments.get(key) or [None] * 4)[index]
            head, _, tail = token.value.partition("\n") if token is not None else ("", "", "")
            if not tail.strip():
                continue
            comments[key][index] = CommentToken(head + "\n", token.start_mark) if head else None
            new_comments, new_key, new_index = _slots(node)[-1]
            new_comments.setdefault(new_key, [None] * 4)[new_index] = CommentToken(
                "\n" + tail, token.start_mark)
            break


def update(path, change):
    """Apply ``change(document)`` to the file at ``path`` and save it.

    ``change`` mutates the round-trip document in place and returns any
    value; raises ConfigError (nothing written) when the result is invalid.
    Returns ``(config, value)``: the validated config and ``change``'s value.
    """
    real = os.path.realpath(path)
    with _lock, _file_lock(real):
        rt, doc = load(real)
        before = _snapshot(doc)
        value = change(doc)
        _move_trailing_comments(before)
        text = dump(rt, doc)
        config = reload.parse(text, path)
        _write_atomic(real, text)
    return config, value
