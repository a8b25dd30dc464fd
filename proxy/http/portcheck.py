"""Before gunicorn binds: is the listen port free, and if not, who has it?

gunicorn alone retries a busy port five times and then says only
"Connection in use".  This check names the process (from Linux's
``/proc/net/tcp*`` and ``/proc/<pid>/fd``; elsewhere, or without the right
to look, it says "another process") and how to pick another port.
"""
import errno
import os
import socket

_LISTEN = "0A"          # TCP_LISTEN in /proc/net/tcp's `st` column


def _listening_inodes(port):
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as f:
                next(f)
                for line in f:
                    fields = line.split()
                    local, state, inode = fields[1], fields[3], fields[9]
                    if state == _LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                        inodes.add(inode)
        except OSError:
            continue
    return inodes


def _command(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            words = f.read().split(b"\0")
        return " ".join(w.decode(errors="replace") for w in words if w)[:120]
    except OSError:
        return "?"


def holder(port):
    """``"pid 123 (python3 -m http.server)"`` listening on ``port``, or None."""
    inodes = {f"socket:[{i}]" for i in _listening_inodes(port)}
    if not inodes:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return f"pid {pid} ({_command(pid)})"
            except OSError:
                continue
    return None


def busy_message(host, port):
    """None when ``host:port`` can be bound, else what holds it and what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as gunicorn binds
        try:
            sock.bind((host, int(port)))
            return None
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return None            # let gunicorn report anything else itself
    who = holder(int(port)) or "another process"
    return (f"port {port} on {host} is already in use by {who}. Stop it, or pick another "
            f"port: `switchyard serve --port {int(port) + 1}`, PORT={int(port) + 1} make run, "
            f"or `port:` in the config file.")
