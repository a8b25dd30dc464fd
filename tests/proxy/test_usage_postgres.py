"""The PostgreSQL usage store (``usage.database-url``) on a real server:
the SQLite store's report tests, run again against it, plus what only
PostgreSQL has (migrations, several stores writing one table)."""
import psycopg
import pytest

from proxy.telemetry import usage_postgres
from proxy.telemetry.usage_postgres import PostgresUsageStore
from tests import services
from tests.proxy.test_usage_store import (  # noqa: F401  (same tests, this module's store)
    DAY, T0, filled, request_record, test_aggregate_by_each_group,
    test_aggregate_in_time_buckets, test_aggregate_rejects_unknown_group,
    test_aggregate_window_and_client_filter, test_credential_activity_counts_attempts,
    test_token_numbers_in_equal_numbers_out)


@pytest.fixture
def database():
    """A PostgreSQL URL whose connections use a schema of this test's own."""
    url = services.postgres_url()
    schema = services.create_schema(url)
    yield services.with_schema(url, schema)
    services.drop_schema(url, schema)


@pytest.fixture
def store(database):
    s = PostgresUsageStore(database, queue_size=100)
    yield s
    s.close()


def fetch(url, sql):
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def test_request_record_round_trips_every_field(store, database):
    store.submit_request(request_record(prompt="what is the weather"))
    store.flush()
    with psycopg.connect(database) as conn:
        cur = conn.execute("SELECT * FROM requests")
        [row] = cur.fetchall()
        names = [c.name for c in cur.description]
    assert dict(zip(names, row)) == request_record(prompt="what is the weather")


def test_migrations_apply_once_in_version_order(database):
    names = [name for _, name, _ in usage_postgres.migrations()]
    assert names == sorted(names) and names[0] == "0001_usage_tables.sql"
    first = PostgresUsageStore(database)
    second = PostgresUsageStore(database)          # another worker starting later
    first.close(), second.close()
    assert fetch(database, "SELECT name FROM switchyard_migrations ORDER BY version") == \
        [(name,) for name in names]


def test_several_stores_write_one_table_and_each_reports_all(database):
    stores = [PostgresUsageStore(database) for _ in range(3)]
    for i, store in enumerate(stores):
        for j in range(i + 1):
            store.submit_request(request_record(request_id=f"{i}-{j}"))
        store.flush()
    for store in stores:
        [row] = store.aggregate(T0, T0 + DAY, "model")
        assert row["requests"] == 6 and row["input_tokens"] == 6 * 1200
    for store in stores:
        store.close()


def test_prune_deletes_both_tables_past_retention(database):
    store = PostgresUsageStore(database, retention_days=30)
    now = T0 + 40 * DAY
    for request_id, age_days in (("old", 31), ("new", 29)):
        store.submit_request(request_record(request_id=request_id, ts=now - age_days * DAY))
        store.submit_attempt({"request_id": request_id, "ts": now - age_days * DAY, "seq": 1})
    store.flush()
    assert store.prune(now) == 2
    assert fetch(database, "SELECT request_id FROM requests UNION ALL "
                           "SELECT request_id FROM attempts") == [("new",), ("new",)]
    store.close()


def test_the_store_names_no_credentials_of_the_database():
    assert usage_postgres.redacted("postgresql://bob:s3cret@db.internal:5433/usage") == \
        "postgresql://db.internal:5433/usage"
