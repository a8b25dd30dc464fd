"""Auth files in ``auth-dir``, written the way CLIProxyAPI writes them:
0600 files in a 0700 directory, atomically (temp file + rename, so a
watcher or a refreshing worker never reads half a file), merged over the
existing keys so fields a user added (``disabled``, ``priority``...) survive.
"""
import json
import os
import re
import tempfile

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


def safe_name(name):
    """A file name inside auth-dir: no separators, no dot-files, ``.json``."""
    base = _UNSAFE.sub("-", os.path.basename(str(name))).lstrip(".")
    if not base:
        raise ValueError("empty auth file name")
    return base if base.endswith(".json") else base + ".json"


def path_in(auth_dir, name):
    return os.path.join(auth_dir, safe_name(name))


def read(path):
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{os.path.basename(path)}: not a JSON object")
    return data


def write(auth_dir, name, record, *, merge=True):
    """Write ``record`` as ``auth_dir/name`` (merged over an existing file's
    keys unless ``merge`` is false); returns the path."""
    os.makedirs(auth_dir, mode=0o700, exist_ok=True)
    os.chmod(auth_dir, 0o700)
    path = path_in(auth_dir, name)
    data = {}
    if merge and os.path.exists(path):
        try:
            data = read(path)
        except (OSError, ValueError):
            data = {}
    data.update(record)
    fd, tmp = tempfile.mkstemp(dir=auth_dir, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o600)
            json.dump(data, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
