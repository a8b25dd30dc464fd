"""Usage records in PostgreSQL (``usage.database-url``), for many instances.

The same tables, queue, batching and report queries as the SQLite store
(``proxy.telemetry.usage_store``); only the connection and the few SQL expressions
that differ by database are replaced here.  Every worker of every instance
writes the same two tables, so ``/v0/usage`` answers for all of them.

The tables come from versioned SQL files (``proxy/telemetry/migrations/postgresql/
NNNN_name.sql``), each applied once in its own transaction and recorded in
``switchyard_migrations``; an advisory lock lets workers starting together
take turns.  psycopg calls block, so like SQLite's they run in the hub's
thread pool.
"""
import logging
import os
import re
from urllib.parse import urlsplit

import psycopg

from proxy.telemetry.usage_store import _TABLES, GROUPS, UsageStore

log = logging.getLogger("switchyard.usage")

MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations", "postgresql")
_MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
_LOCK_ID = 0x5357_5553            # pg_advisory_xact_lock key of the migration runner

_INSERTS = {table: f"INSERT INTO {table} ({', '.join(fields)}) "
                   f"VALUES ({', '.join(['%s'] * len(fields))})"
            for table, fields in _TABLES.items()}


def migrations(folder=MIGRATIONS):
    """``[(version, name, sql)]`` of the SQL files, in version order."""
    found = []
    for name in sorted(os.listdir(folder)):
        match = _MIGRATION_NAME.match(name)
        if match:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                found.append((int(match.group(1)), name, f.read()))
    return found


def migrate(conn, folder=MIGRATIONS):
    """Apply the migrations ``conn``'s database lacks; returns their names."""
    applied = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute("CREATE TABLE IF NOT EXISTS switchyard_migrations "
                     "(version integer PRIMARY KEY, name text NOT NULL, "
                     "applied_at timestamptz NOT NULL DEFAULT now())")
        done = {row[0] for row in conn.execute("SELECT version FROM switchyard_migrations")}
        for version, name, sql in migrations(folder):
            if version in done:
                continue
            conn.execute(sql)
            conn.execute("INSERT INTO switchyard_migrations (version, name) VALUES (%s, %s)",
                         (version, name))
            applied.append(name)
    return applied


def redacted(url):
    """``postgresql://host:port/db``: the URL without user or password."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}" \
           f"{parts.path}"


class PostgresUsageStore(UsageStore):
    """Usage records in the PostgreSQL database at ``url``."""

    _errors = (psycopg.Error,)
    _groups = dict(GROUPS, day="to_char(to_timestamp(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
    _bucket_sql = "FLOOR(ts / {b})::bigint * {b}"

    def __init__(self, url, **kwargs):
        self._url = url
        self._reader = None
        super().__init__(redacted(url), **kwargs)

    def _open(self):
        conn = psycopg.connect(self._url, autocommit=True)
        for name in migrate(conn):
            log.info("usage store %s: applied migration %s", self.path, name)
        return conn

    def _writer_conn(self):
        if self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(self._url, autocommit=True)   # the server restarted
        return self._conn

    def _insert(self, by_table):
        conn = self._writer_conn()
        with conn.transaction(), conn.cursor() as cur:
            for table, rows in by_table.items():
                if rows:
                    cur.executemany(_INSERTS[table], rows)

    def _delete_before(self, cutoff):
        conn = self._writer_conn()
        with conn.transaction():
            return sum(conn.execute(f"DELETE FROM {table} WHERE ts < %s", (cutoff,)).rowcount
                       for table in _TABLES)

    def _read(self, sql, params):
        if self._reader is None or self._reader.closed or self._reader.broken:
            self._reader = psycopg.connect(self._url, autocommit=True)
        return self._reader.execute(sql.replace("?", "%s"), params).fetchall()

    def close(self, timeout=5.0):
        super().close(timeout)
        if self._reader is not None:
            self._reader.close()
