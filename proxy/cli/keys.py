"""``switchyard keys add|list|remove``: client keys (``api-keys``) edited in
the YAML file with its comments kept (``proxy.admin.config_writer``).  A running
gateway that watches its config (``watch-config``) applies the change
within seconds."""
import sys

from proxy.admin import api_keys, config_writer
from proxy.cli import options, table
from proxy.errors import ConfigError


def register(commands):
    keys = commands.add_parser("keys", help="add, list or remove client keys (api-keys)",
                               description="Edit the api-keys of the config file, comments kept.")
    actions = keys.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a client key (generated unless given)",
                             description="Add a client key; a generated one is printed once.")
    add.add_argument("key", nargs="?", help="the key (default: 256 random bits)")
    add.add_argument("--label", default="", help="names the client in usage reports")
    options.add_config(add)
    add.set_defaults(func=run_add)

    show = actions.add_parser("list", help="list client keys (masked)",
                              description="List client keys: index, id, label, masked hint.")
    options.add_config(show)
    show.set_defaults(func=run_list)

    remove = actions.add_parser("remove", help="remove a client key",
                                description="Remove a client key by index or key id.")
    remove.add_argument("ref", metavar="INDEX|ID")
    options.add_config(remove)
    remove.set_defaults(func=run_remove)


def _edit(args, change):
    try:
        _, value = config_writer.update(options.config_file(args), change)
    except (ConfigError, api_keys.KeyExists, api_keys.NoSuchKey) as exc:
        print(f"switchyard: {exc}", file=sys.stderr)
        return None
    return value


def run_add(args):
    key = args.key or api_keys.generate()
    view = _edit(args, lambda doc: api_keys.add(doc, key, args.label))
    if view is None:
        return 1
    if not args.key:
        print(key)                   # shown once: the only way to learn it
    print(f"added key {view['id']} ({view['key_hint']}) to {options.config_file(args)}",
          file=sys.stderr)
    return 0


def run_list(args):
    try:
        _, doc = config_writer.load(options.config_file(args))
    except ConfigError as exc:
        print(f"switchyard: {exc}", file=sys.stderr)
        return 1
    rows = [(v["index"], v["id"], v["label"] or None, v["key_hint"]) for v in api_keys.views(doc)]
    table.show(("#", "id", "label", "key"), rows, sys.stdout)
    return 0


def run_remove(args):
    view = _edit(args, lambda doc: api_keys.remove(doc, args.ref))
    if view is None:
        return 1
    print(f"removed key {view['id']} ({view['key_hint']}) from {options.config_file(args)}",
          file=sys.stderr)
    return 0
