"""Usage records in SQLite, written off the request path.

Requests hand finished records to ``submit_request`` / ``submit_attempt``
(dicts) or ``submit_request_row`` / ``submit_attempt_row`` (tuples in column
order), which only put them on a bounded in-memory queue; a background
greenlet drains it in batches.  When the queue is full the record is dropped and
counted: accounting must never slow down or fail a request.

SQLite calls are C code gevent cannot make cooperative, so the writer and
the report queries run in the hub's thread pool; the event loop keeps
serving streams meanwhile.  WAL mode lets several gunicorn workers (one
store object each) write the same file while reports read it.
"""
import logging
import sqlite3
import time
from itertools import chain

import gevent
from gevent.event import Event
from gevent.lock import Semaphore

from proxy.slot import Slot

log = logging.getLogger("switchyard.usage")

TOKEN_FIELDS = ("input_tokens", "output_tokens", "cached_tokens",
                "cache_creation_tokens", "reasoning_tokens")

# Column order of each table; records are dicts with (a subset of) these keys.
REQUEST_FIELDS = (
    "request_id", "ts", "client_key_id", "actor", "dialect", "action", "provider",
    "credential_id", "model", "upstream_model", "stream", "status", "error_class",
    "latency_ms", "ttft_ms", "attempts", *TOKEN_FIELDS, "tool_calls", "prompt",
)
ATTEMPT_FIELDS = (
    "request_id", "ts", "seq", "provider", "credential_id", "upstream_model",
    "status", "outcome", "error", "latency_ms",
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS requests ({", ".join(REQUEST_FIELDS)});
CREATE INDEX IF NOT EXISTS requests_ts ON requests (ts);
CREATE TABLE IF NOT EXISTS attempts ({", ".join(ATTEMPT_FIELDS)});
CREATE INDEX IF NOT EXISTS attempts_ts ON attempts (ts);
"""

# group_by name -> SQL expression of the group key.
GROUPS = {
    "client": "client_key_id",
    "credential": "credential_id",
    "model": "model",
    "actor": "actor",
    "day": "strftime('%Y-%m-%d', ts, 'unixepoch')",
}

# Time-series bucket name -> its length in seconds (buckets start on UTC
# hour / day boundaries).
BUCKETS = {"hour": 3600, "day": 86400}

_TABLES = {"requests": REQUEST_FIELDS, "attempts": ATTEMPT_FIELDS}

# Rows go in as few INSERT statements as the bound variables allow: one
# statement of many rows is one SQLite step (one release and re-take of the
# GIL, where executemany takes a step per row).  A batch is split into
# chunks of powers of two rows, so a few statements serve every batch size
# and stay in the connection's statement cache.
CHUNK_ROWS = 64


_SQL = {}          # (table, rows) -> the INSERT of that many rows


def _insert_sql(table, rows):
    sql = _SQL.get((table, rows))
    if sql is None:
        values = f"({', '.join('?' * len(_TABLES[table]))})"
        sql = _SQL[(table, rows)] = f"INSERT INTO {table} VALUES {', '.join([values] * rows)}"
    return sql


def _chunk_rows(conn, width):
    """The most rows per statement: ``CHUNK_ROWS``, or fewer where SQLite's
    limit on variables per statement is lower, as a power of two."""
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    rows = CHUNK_ROWS
    while rows > 1 and rows * width > limit:
        rows //= 2
    return rows


def _insert_rows(conn, table, rows, chunk):
    done = 0
    while done < len(rows):
        size = chunk
        while size > len(rows) - done:
            size //= 2
        part = rows[done:done + size]
        conn.execute(_insert_sql(table, size), list(chain.from_iterable(part)))
        done += size


# SQLite binds None and bools through the sqlite3 module's adaptation
# lookup (an exception raised and cleared for each), several thousand
# instructions a value; with an adapter registered for their types the
# lookup finds it at once.  The adapters return what binding them as they
# are stores: NULL, and the integer SQLite keeps for a bool.
sqlite3.register_adapter(type(None), {}.get)       # (any value) -> None: NULL
sqlite3.register_adapter(bool, int)


def _connect(path):
    # Written from pool threads one batch at a time, never concurrently.
    conn = sqlite3.connect(path, timeout=5.0, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _offload(fn, *args):
    """Run blocking ``fn`` in the hub's thread pool, yielding meanwhile."""
    return gevent.get_hub().threadpool.apply(fn, args)


class UsageStore:
    """One SQLite file of usage records plus the queue that feeds it.

    The SQL that differs by database is in class attributes and the four
    methods that touch a connection (``_open``, ``_insert``,
    ``_delete_before``, ``_read``); ``proxy.telemetry.usage_postgres`` overrides them.
    """
    _errors = (sqlite3.Error,)       # what a failed write or prune raises
    _groups = GROUPS
    _bucket_sql = "CAST(ts / {b} AS INTEGER) * {b}"

    def __init__(self, path, *, queue_size=10000, retention_days=30, batch_size=500,
                 flush_interval=1.0, prune_interval=3600.0, clock=time.time):
        self.path = path
        self.retention_days = retention_days
        self.dropped = 0
        self._queue_size = max(1, queue_size)
        self._pending = {table: [] for table in _TABLES}     # rows waiting, per table
        self._queued = 0                                     # their count
        self._idle = None        # the Event an idle writer waits on
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._prune_interval = prune_interval
        self._clock = clock
        self._writer = None
        self._closing = False
        self._write_lock = Semaphore()   # one batch at a time on the connection
        self._conn = self._open()

    def _open(self):
        conn = _connect(self.path)
        with conn:
            conn.executescript(_SCHEMA)
        self._chunk_rows = {table: _chunk_rows(conn, len(fields))
                            for table, fields in _TABLES.items()}
        return conn

    # -- the hot path ------------------------------------------------------

    def submit_request(self, record):
        self._submit("requests", record)

    def submit_attempt(self, record):
        self._submit("attempts", record)

    def submit_request_row(self, row):
        """A request's row: a tuple of its values in ``REQUEST_FIELDS`` order."""
        self._add(self._pending["requests"], row)

    def submit_attempt_row(self, row):
        """An attempt's row: a tuple of its values in ``ATTEMPT_FIELDS`` order."""
        self._add(self._pending["attempts"], row)

    def _submit(self, table, record):
        # The row is built here, in the request's green thread (after its
        # answer was sent), so the writer's thread-pool job holds the GIL for
        # nothing but SQLite's own binding: a Python loop over a second's
        # records there would stall the serving thread for milliseconds.
        # A record whose keys are the columns in order is its row as it
        # stands; any other is read column by column.
        fields = _TABLES[table]
        row = tuple(record.values()) if tuple(record) == fields else \
            tuple(map(record.get, fields))
        self._add(self._pending[table], row)

    def _add(self, rows, row):
        # Rows wait in plain lists (one per table) the writer takes whole:
        # a list append, where a queue's put wakes and locks per record.
        if self._queued >= self._queue_size:
            self.dropped += 1
            return
        self._queued += 1
        rows.append(row)
        if self._idle is not None:
            self._idle.set()        # the writer sleeps on an empty store

    @property
    def pending(self):
        return self._queued

    # -- the writer --------------------------------------------------------

    def start(self):
        """Spawn the background writer; returns self."""
        if self._writer is None:
            self._writer = gevent.spawn(self._run)
        return self

    def close(self, timeout=5.0):
        """Stop the writer, write what is queued, close the file."""
        self._closing = True
        if self._idle is not None:
            self._idle.set()
        if self._writer is not None:
            self._writer.join(timeout)
        self.flush()
        self._conn.close()

    def flush(self):
        """Write everything queued now (the writer does this by itself)."""
        while True:
            batch = self._take()
            if not batch:
                return
            self._write(batch)

    def _run(self):
        next_prune = self._clock()
        while not self._closing:
            batch = self._take()
            if batch:
                self._write(batch)
                if self._queued < self._batch_size and not self._closing:
                    # Let records gather: one transaction (and one thread-pool
                    # hand-off) per interval rather than per request.
                    gevent.sleep(self._flush_interval)
            elif not self._closing:
                # nothing queued: wait for a row (or the interval, for pruning)
                self._idle = Event()
                self._idle.wait(self._flush_interval)
                self._idle = None
            if self._clock() >= next_prune:
                self._prune_logged()
                next_prune = self._clock() + self._prune_interval

    def _take(self):
        """``{table: rows}`` of up to ``batch_size`` rows of each table, taken
        off the queue (empty when nothing waits)."""
        batch = {}
        for table, rows in self._pending.items():
            if len(rows) <= self._batch_size:
                if rows:
                    batch[table] = rows
                    self._pending[table] = []
            else:
                batch[table] = rows[:self._batch_size]
                del rows[:self._batch_size]
        self._queued -= sum(map(len, batch.values()))
        return batch

    def _write(self, batch):
        try:
            with self._write_lock:
                _offload(self._insert, batch)
        except self._errors:
            count = sum(map(len, batch.values()))
            self.dropped += count
            log.exception("usage store %s: dropped %d records", self.path, count)

    def _insert(self, by_table):
        with self._conn:
            for table, rows in by_table.items():
                _insert_rows(self._conn, table, rows, self._chunk_rows[table])

    # -- retention ---------------------------------------------------------

    def prune(self, now=None):
        """Delete records older than the retention; returns rows deleted."""
        cutoff = (self._clock() if now is None else now) - self.retention_days * 86400
        with self._write_lock:
            return _offload(self._delete_before, cutoff)

    def _prune_logged(self):
        try:
            deleted = self.prune()
        except self._errors:
            log.exception("usage store %s: pruning failed", self.path)
            return
        if deleted:
            log.info("usage store %s: pruned %d old records", self.path, deleted)

    def _delete_before(self, cutoff):
        with self._conn:
            return sum(self._conn.execute(f"DELETE FROM {table} WHERE ts < ?", (cutoff,)).rowcount
                       for table in _TABLES)

    # -- reports -----------------------------------------------------------

    def aggregate(self, since, until, group_by, *, client_key_id=None, bucket=None):
        """Requests, errors and each token kind per group, ``since <= ts < until``.

        ``client_key_id`` limits the report to one client's requests;
        ``bucket`` (a ``BUCKETS`` name) splits each group into time buckets,
        every row then carrying its bucket's start as ``ts``.
        """
        if group_by not in GROUPS:
            raise ValueError(f"group_by must be one of {', '.join(GROUPS)}")
        if bucket is not None and bucket not in BUCKETS:
            raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
        return _offload(self._query, since, until, self._groups[group_by], client_key_id,
                        BUCKETS.get(bucket))

    def _query(self, since, until, key_sql, client_key_id, bucket_seconds=None):
        sums = ", ".join(f"COALESCE(SUM({f}), 0)" for f in TOKEN_FIELDS)
        where = "ts >= ? AND ts < ?" + (" AND client_key_id = ?" if client_key_id else "")
        params = (since, until) + ((client_key_id,) if client_key_id else ())
        names = ("key", "requests", "errors", *TOKEN_FIELDS)
        select, group = f"{key_sql} AS k", "k"
        if bucket_seconds:
            select = f"{self._bucket_sql.format(b=bucket_seconds)} AS b, " + select
            group, names = "b, k", ("ts", *names)
        sql = (f"SELECT {select}, COUNT(*), "
               f"SUM(CASE WHEN status >= 400 OR error_class IS NOT NULL THEN 1 ELSE 0 END), {sums} "
               f"FROM requests WHERE {where} GROUP BY {group} ORDER BY {group}")
        return [dict(zip(names, row)) for row in self._read(sql, params)]

    def credential_activity(self, since, until):
        """Upstream attempts and failed ones per credential, ``since <= ts < until``
        (attempts, not client requests: a failover counts against the
        credential that failed)."""
        sql = ("SELECT credential_id, COUNT(*), SUM(CASE WHEN outcome != 'success' THEN 1 ELSE 0 "
               "END) FROM attempts "
               "WHERE ts >= ? AND ts < ? GROUP BY credential_id")
        rows = _offload(self._read, sql, (since, until))
        return {cred: {"requests": n, "errors": errors or 0} for cred, n, errors in rows}

    def _read(self, sql, params):
        conn = sqlite3.connect(self.path, timeout=5.0)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


def totals(rows):
    """Sum of ``aggregate`` rows over every group."""
    names = ("requests", "errors", *TOKEN_FIELDS)
    return {name: sum(row[name] for row in rows) for name in names}


_slot = Slot()                   # the worker's usage store; None: usage disabled
current, install = _slot.current, _slot.install


def from_config(config):
    """A started store as ``usage.*`` asks, or None when usage is disabled."""
    usage = config["usage"]
    if not usage["enabled"]:
        return None
    if usage["database-url"]:
        from proxy.telemetry import usage_postgres           # psycopg only when asked for
        return usage_postgres.PostgresUsageStore(
            usage["database-url"], queue_size=usage["queue-size"],
            retention_days=usage["retention-days"]).start()
    return UsageStore(usage["store-path"], queue_size=usage["queue-size"],
                      retention_days=usage["retention-days"]).start()
