"""The startup banner: what this gateway is serving, printed once by the
gunicorn master when its sockets are bound (``gunicorn.conf.py``)."""
from collections import Counter

from proxy import __version__
from proxy.providers import credentials
from proxy.providers.credentials import mask_url


def _models(creds):
    names = []
    for cred in creds:
        for name in [*cred.models, *cred.patterns]:
            shown = f"{cred.prefix}/{name}" if cred.prefix else name
            if shown not in names:
                names.append(shown)
    return names


def _credential_counts(creds):
    counts = Counter(cred.kind for cred in creds if cred.kind != "echo")
    return ", ".join(f"{kind} {n}" for kind, n in counts.items()) or "none"


def _auth(config):
    keys = len(config["api-keys"])
    if not keys:
        return "off (no api-keys; loopback only)"
    return f"on ({keys} client key{'s' if keys != 1 else ''})"


def _usage(config):
    usage = config["usage"]
    if not usage["enabled"]:
        return "off (usage.enabled)"
    if usage["database-url"]:
        return f"{mask_url(usage['database-url'])} (PostgreSQL)"
    return f"{usage['store-path']} (SQLite)"


def _state(config):
    url = config["state"]["redis-url"]
    return f"{mask_url(url)} (Redis, shared)" if url else "memory (this worker)"


def _management(config):
    section = config["remote-management"]
    if not section["secret-key"]:
        return "off (no remote-management.secret-key)"
    return "on (" + ("remote allowed" if section["allow-remote"] else "loopback only") + ")"


def lines(config, *, config_file, addresses, workers):
    """The banner as lines.  ``config_file``: the file loaded, or None;
    ``addresses``: the bound listeners (``http://127.0.0.1:8317``)."""
    creds = credentials.from_config(config)
    models = _models(creds)
    shown = ", ".join(models[:12]) + (f" (+{len(models) - 12} more)" if len(models) > 12 else "")
    return [
        f"Switchyard {__version__}",
        f"  config:      {config_file or 'none: built-in echo only'}",
        f"  listening:   {', '.join(addresses) or '?'}",
        f"  auth:        {_auth(config)}",
        f"  credentials: {_credential_counts(creds)}",
        f"  models:      {shown or 'none'}",
        f"  usage store: {_usage(config)}",
        f"  pool state:  {_state(config)}",
        f"  management:  {_management(config)}",
        f"  dashboard:   {(addresses or ['?'])[0]}/dashboard",
        f"  workers:     {workers}",
    ]
