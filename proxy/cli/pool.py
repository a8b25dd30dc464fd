"""``switchyard pool``: the running gateway's credential states as a table
(from its ``/v0/pool``, served to loopback callers)."""
import sys

import requests

from proxy.cli import options, table


def register(commands):
    cmd = commands.add_parser(
        "pool", help="credential states of the running gateway",
        description="Credential states (ready, cooling, disabled) of the running gateway, "
                    "from its /v0/pool (loopback only).")
    cmd.add_argument("--url", help="gateway base URL (default: from the config's host/port)")
    options.add_config(cmd)
    cmd.set_defaults(func=run)


def _last_error(error):
    if not error:
        return None
    return " ".join(str(v) for v in error.values() if v not in (None, ""))[:60]


def run(args):
    settings = options.settings(args)
    url = options.server_url(args, settings) + "/v0/pool"
    try:
        resp = requests.get(url, timeout=10)
    except requests.RequestException as exc:
        print(f"switchyard: cannot reach the gateway at {url}: {exc.__class__.__name__} "
              "(is it running? --url names another address)", file=sys.stderr)
        return 1
    if resp.status_code != 200:
        print(f"switchyard: {url} answered {resp.status_code}: {resp.text[:200]}", file=sys.stderr)
        return 1
    rows = [(c["id"], c["provider"], c.get("label") or None, c["key_hint"] or None, c["state"],
             c.get("cooling_until"), c["successes"], c["failures"], _last_error(c.get("last_error")))
            for c in resp.json()["credentials"]]
    table.show(("id", "provider", "label", "key", "state", "cooling until", "ok", "failed",
                "last error"), rows, sys.stdout)
    return 0
