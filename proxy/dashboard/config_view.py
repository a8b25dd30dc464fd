"""The effective config as the dashboard shows it: secrets masked, and which
keys of the file are not live yet.

A key is *pending* when the file says something else than the running
worker: ``restart`` for ``proxy.config.RESTART_KEYS`` (compared with what
the worker started with), ``reload`` for any other key (the file changed
while ``watch-config`` is off, or the file is invalid and was not applied).
"""
from proxy import config as config_mod
from proxy.admin import api_keys, management
from proxy.telemetry.access_log import is_secret_name, mask_secrets
from proxy.providers.credentials import mask, mask_url
from proxy.errors import ConfigError

MASKED_SECRET = "(set, hidden)"


def _value(tree, dotted):
    for part in dotted.split("."):
        tree = tree.get(part) if isinstance(tree, dict) else None
    return tree


def masked(config):
    """A JSON-ready copy of a built config with every secret masked."""
    view = {}
    for setting in config_mod.SETTINGS:
        head, *rest = setting.name.split(".")
        if rest:
            view.setdefault(head, {})[rest[0]] = _value(config, setting.name)
        else:
            view[head] = config[head]
    view = mask_secrets(view)
    secret = config["remote-management"]["secret-key"]
    view["remote-management"]["secret-key"] = MASKED_SECRET if secret else ""
    view["api-keys"] = [api_keys.view(i, e) for i, e in enumerate(config["api-keys"])]
    if view.get("proxy-url"):
        view["proxy-url"] = mask_url(view["proxy-url"])
    for section in config_mod.ENTRY_FIELDS:
        entries = management.upstream_views(config, section)
        for entry in entries:
            entry["headers"] = {name: mask(str(value))
                                for name, value in (entry.get("headers") or {}).items()}
        view[section] = entries
    return view


def pending(running, booted, path):
    """Keys whose value in the file at ``path`` is not the running one, and
    the file's error if it does not load (then nothing can be compared)."""
    try:
        in_file = config_mod.load(path)
    except ConfigError as exc:
        return [], str(exc)
    changes = []
    for setting in config_mod.SETTINGS:
        name = setting.name
        if name == "remote-management.secret-key":      # only its hash is kept
            continue
        restart = name in config_mod.RESTART_KEYS
        live = _value(booted if restart else running, name)
        wanted = _value(in_file, name)
        if live != wanted:
            changes.append({"key": name, "needs": "restart" if restart else "reload",
                            **_shown(name, live, wanted)})
    for section in config_mod.ENTRY_FIELDS:
        if running[section] != in_file[section]:
            changes.append({"key": section, "needs": "reload"})
    return changes, None


def _shown(name, live, wanted):
    """Running and file values, unless they could hold secrets."""
    if name in ("api-keys", "proxy-url") or is_secret_name(name.rpartition(".")[2]):
        return {}
    return {"running": live, "file": wanted}
