"""``switchyard usage``: usage totals from the usage store, as a table.

Reads the store the config names (the SQLite file ``usage.store-path``, or
the PostgreSQL database ``usage.database-url``) directly, so it works
whether or not the gateway is running.
"""
import os
import re
import sys
import time
from datetime import datetime, timezone

from proxy import config as config_mod
from proxy.telemetry import usage_store
from proxy.cli import options, table

_DAYS = re.compile(r"^(\d+(?:\.\d+)?)d$")
_COLUMNS = ("requests", "errors", "input_tokens", "output_tokens", "cached_tokens",
            "cache_creation_tokens", "reasoning_tokens")
_HEADERS = ("requests", "errors", "input", "output", "cached", "cache write", "reasoning")


def register(commands):
    cmd = commands.add_parser(
        "usage", help="usage totals per client, model, credential or day",
        description="Usage totals from the usage store (usage.store-path or "
                    "usage.database-url), as a table.")
    cmd.add_argument("--by", choices=tuple(usage_store.GROUPS), default="model",
                     help="group rows by (default: model)")
    cmd.add_argument("--since", default="30d",
                     help="start: an age (90m, 24h, 7d), a date (2026-01-31), an ISO datetime "
                          "or unix seconds (default: 30d)")
    cmd.add_argument("--until", help="end, same forms (default: now)")
    cmd.add_argument("--client", help="only this client key id")
    options.add_config(cmd)
    cmd.set_defaults(func=run)


def instant(text, now):
    """Unix seconds from an age ("24h", "7d"), an ISO date/datetime (UTC
    unless it says otherwise) or unix seconds; ValueError otherwise."""
    days = _DAYS.match(text)
    age = float(days.group(1)) * 86400 if days else config_mod.parse_duration(text)
    if age is not None and not text.replace(".", "").isdigit():
        return now - age
    try:
        return float(text)
    except ValueError:
        pass
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _open(usage):
    """The store, read-only in effect: no writer started, so nothing is pruned."""
    if usage["database-url"]:
        from proxy.telemetry import usage_postgres           # psycopg only when asked for
        return usage_postgres.PostgresUsageStore(usage["database-url"])
    return usage_store.UsageStore(usage["store-path"])


def run(args):
    settings = options.settings(args)
    usage = settings["usage"]
    if not usage["database-url"] and not os.path.exists(usage["store-path"]):
        print(f"switchyard: no usage recorded yet ({usage['store-path']} does not exist)",
              file=sys.stderr)
        return 1
    now = time.time()
    try:
        since = instant(args.since, now)
        until = instant(args.until, now) if args.until else now + 1
    except ValueError as exc:
        print(f"switchyard: not a time: {exc}", file=sys.stderr)
        return 2
    store = _open(usage)
    try:
        rows = store.aggregate(since, until, args.by, client_key_id=args.client)
    finally:
        store.close()
    body = [(row["key"], *(row[c] for c in _COLUMNS)) for row in rows]
    totals = usage_store.totals(rows)
    body.append(("total", *(totals[c] for c in _COLUMNS)))
    table.show((args.by, *_HEADERS), body, sys.stdout)
    return 0
