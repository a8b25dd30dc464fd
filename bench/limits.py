"""Open-file limits: the capacity scenario needs every descriptor it can get."""
import resource

# Descriptors a gunicorn worker holds besides its client and upstream
# sockets (listener, pipes, logs, the usage database, imported modules).
WORKER_RESERVE_FDS = 200


def raise_fd_limit():
    """Lift the soft RLIMIT_NOFILE to the hard one; children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def max_proxied_streams():
    """How many streams one proxy worker can hold: each needs two sockets
    (client side and upstream side) under the same hard limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return (hard - WORKER_RESERVE_FDS) // 2
