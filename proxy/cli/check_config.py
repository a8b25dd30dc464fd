"""``switchyard check-config [FILE]``: validate a config file as the server
would, print its warnings and the effective config (every default filled
in, secrets masked); exit 1 when the server would refuse it."""
import os
import sys

import yaml

from proxy import config as config_mod
from proxy.telemetry.access_log import is_secret_name
from proxy.cli import options
from proxy.providers.credentials import mask, mask_url
from proxy.errors import ConfigError

_KEY_LISTS = ("api-keys", "api-key-entries")


def register(commands):
    cmd = commands.add_parser(
        "check-config", help="validate a config file and print the effective config",
        description="Validate FILE (default: $SWITCHYARD_CONFIG or ./config.yaml) as the "
                    "server would; print warnings to stderr and the effective config, "
                    "secrets masked, to stdout. Exit status 1 when it is invalid.")
    cmd.add_argument("file", nargs="?", metavar="FILE")
    cmd.set_defaults(func=run)


def masked(value, name=""):
    """A copy of the config with every secret masked (keys, secrets, URL passwords)."""
    if isinstance(value, dict):
        return {k: masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        if name in _KEY_LISTS:
            return [mask(v) if isinstance(v, str) else masked(v) for v in value]
        return [masked(v) for v in value]
    if isinstance(value, str) and value:
        if is_secret_name(name) or name in ("api-key", "secret-key"):
            return mask(value)
        if "://" in value:
            return mask_url(value)
    return value


def run(args):
    path = args.file or config_mod.config_path()
    try:
        if not args.file and path == config_mod.DEFAULT_PATH and not os.path.exists(path):
            print(f"no {path}: the server would run the built-in defaults (echo only)",
                  file=sys.stderr)
            settings, findings = config_mod.parse("", path)
        else:
            with open(path, encoding="utf-8") as f:
                settings, findings = config_mod.parse(f.read(), path)
    except OSError as exc:
        print(f"switchyard: {path}: {exc.strerror}", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in findings.messages():
        print(f"warning: {line}", file=sys.stderr)
    print(f"# effective config of {path} (defaults filled in, secrets masked)")
    yaml.safe_dump(masked(settings), sys.stdout, sort_keys=False, allow_unicode=True)
    print(f"{path}: valid" + (f", {len(findings.messages())} warning(s)"
                              if findings.messages() else ""), file=sys.stderr)
    return 0
