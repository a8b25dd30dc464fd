"""Options several subcommands share."""
import os
import sys

from proxy import config as config_mod
from proxy.errors import ConfigError


def add_config(parser):
    parser.add_argument("--config", metavar="FILE",
                        help="config file (default: $SWITCHYARD_CONFIG or ./config.yaml)")


def config_file(args):
    """The config file a subcommand works on."""
    return getattr(args, "config", None) or config_mod.config_path()


def server_url(args, settings):
    """Base URL of the running gateway: ``--url``, else the config's host and port."""
    if getattr(args, "url", None):
        return args.url.rstrip("/")
    host = os.environ.get("SWITCHYARD_HOST") or settings["host"] or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    port = os.environ.get("PORT") or settings["port"]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def settings(args):
    """The validated config of ``args``' file; exits 1 when it is invalid."""
    try:
        return config_mod.load(config_file(args), warn=False)
    except ConfigError as exc:
        print(f"switchyard: invalid config: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
