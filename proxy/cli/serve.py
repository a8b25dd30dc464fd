"""``switchyard serve``: what ``make run`` does, with flags for the usual knobs.

It runs gunicorn with the checkout's ``gunicorn.conf.py`` and ``app:app``
(exec: signals go straight to gunicorn's master) in the current directory,
so the relative defaults (``./config.yaml``, ``./usage.db``) are the
caller's, as in the Docker image (``/data``).  The flags become the
environment ``gunicorn.conf.py`` already reads: ``--port`` is ``PORT``
with the configured host kept (not the PaaS rule of PORT alone meaning
0.0.0.0), ``--host`` is ``SWITCHYARD_HOST``, ``--workers`` is
``WEB_CONCURRENCY``, ``--config`` is ``SWITCHYARD_CONFIG``.
"""
import os
import sys

from proxy import config as config_mod
from proxy.cli import options
from proxy.errors import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def register(commands):
    cmd = commands.add_parser("serve", help="run the gateway (gunicorn + gevent)",
                              description="Run the gateway in the foreground, as `make run` does.")
    cmd.add_argument("--host", help="address to bind (default: the config's host, 127.0.0.1)")
    cmd.add_argument("--port", type=int, help="port to bind (default: the config's port, 8317)")
    cmd.add_argument("--workers", type=int, help="worker processes (default: 1)")
    options.add_config(cmd)
    cmd.set_defaults(func=run)


def environment(args, base):
    """The environment gunicorn.conf.py is started with."""
    env = dict(base)
    if args.config:
        env["SWITCHYARD_CONFIG"] = os.path.abspath(args.config)
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.host:
        env["SWITCHYARD_HOST"] = args.host
    if args.port is not None:
        env["PORT"] = str(args.port)
        if "SWITCHYARD_HOST" not in env:
            path = env.get("SWITCHYARD_CONFIG") or config_mod.DEFAULT_PATH
            env["SWITCHYARD_HOST"] = config_mod.load(path, warn=False)["host"] or "0.0.0.0"
    return env


def run(args):
    conf = os.path.join(ROOT, "gunicorn.conf.py")
    if not os.path.exists(conf):
        print(f"switchyard: {conf} not found: run from a checkout installed with "
              "`make install` (pip install -e .)", file=sys.stderr)
        return 2
    try:
        env = environment(args, os.environ)
    except ConfigError as exc:
        print(f"switchyard: invalid config: {exc}", file=sys.stderr)
        return 2
    argv = [sys.executable, "-m", "gunicorn", "-c", conf, "app:app"]   # conf puts ROOT on sys.path
    os.execve(sys.executable, argv, env)
