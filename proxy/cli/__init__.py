"""``switchyard``: the operator's command line (``python -m proxy`` too).

One module per subcommand group; each exposes ``register(subparsers)``,
which adds its parser(s) with ``func`` set to a function taking the parsed
arguments and returning the exit status.
"""
import argparse
import sys

from proxy import __version__
from proxy.cli import check_config, keys, login, pool, serve, usage

GROUPS = (serve, check_config, keys, usage, pool, login)


def parser():
    top = argparse.ArgumentParser(
        prog="switchyard", description="Switchyard, a self-hosted LLM API gateway.")
    top.add_argument("--version", action="version", version=f"switchyard {__version__}")
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in GROUPS:
        group.register(commands)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:          # `switchyard usage | head`
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
