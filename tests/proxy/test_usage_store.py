"""UsageStore: records in = numbers out, drops, pruning, aggregation."""
import sqlite3

import gevent
import pytest

from proxy.telemetry import usage_store
from proxy.telemetry.usage_store import UsageStore, totals

DAY = 86400
T0 = 1_735_689_600.0      # 2025-01-01T00:00:00Z


def request_record(**over):
    record = {
        "request_id": "req-1", "ts": T0 + 60, "client_key_id": "key-aaa", "actor": "ci-bot",
        "dialect": "openai", "action": "generate", "provider": "claude",
        "credential_id": "claude:111", "model": "claude-x", "upstream_model": "claude-x-2",
        "stream": True, "status": 200, "error_class": None, "latency_ms": 812.5,
        "ttft_ms": 120.0, "attempts": 2, "input_tokens": 1200, "output_tokens": 340,
        "cached_tokens": 1000, "cache_creation_tokens": 150, "reasoning_tokens": 90,
        "tool_calls": '[{"name": "get_weather", "id": "call_1"}]', "prompt": None,
    }
    record.update(over)
    return record


@pytest.fixture
def store(tmp_path):
    s = UsageStore(str(tmp_path / "usage.db"), queue_size=100)
    yield s
    s.close()


def rows(path, sql):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def test_request_record_round_trips_every_field(store):
    store.submit_request(request_record(prompt="what is the weather"))
    store.flush()
    [row] = rows(store.path, "SELECT * FROM requests")
    assert row == dict(request_record(prompt="what is the weather"), stream=1)


def test_a_record_in_any_key_order_or_with_keys_missing_is_the_same_row(store):
    record = request_record(request_id="backward")
    store.submit_request(dict(reversed(record.items())))
    store.submit_request({k: v for k, v in record.items() if k not in ("actor", "prompt")})
    store.flush()
    backward, partial = rows(store.path, "SELECT * FROM requests")
    assert backward == dict(record, stream=1)
    assert partial == dict(record, stream=1, actor=None, prompt=None)


def test_token_numbers_in_equal_numbers_out(store):
    store.submit_request(request_record(request_id="a"))
    store.submit_request(request_record(request_id="b", input_tokens=10, output_tokens=5,
                                       cached_tokens=0, cache_creation_tokens=0,
                                       reasoning_tokens=3))
    store.flush()
    [row] = store.aggregate(T0, T0 + DAY, "model")
    assert row == {"key": "claude-x", "requests": 2, "errors": 0, "input_tokens": 1210,
                   "output_tokens": 345, "cached_tokens": 1000, "cache_creation_tokens": 150,
                   "reasoning_tokens": 93}


def test_attempt_records_are_stored(store):
    store.submit_attempt({"request_id": "req-1", "ts": T0, "seq": 1, "provider": "claude",
                          "credential_id": "claude:111", "upstream_model": "claude-x",
                          "status": 429, "outcome": "rate_limit", "error": None,
                          "latency_ms": 30.0})
    store.flush()
    [row] = rows(store.path, "SELECT * FROM attempts")
    assert (row["seq"], row["status"], row["outcome"]) == (1, 429, "rate_limit")


def test_full_queue_drops_and_counts_without_blocking(tmp_path):
    store = UsageStore(str(tmp_path / "u.db"), queue_size=2)
    for i in range(5):
        store.submit_request(request_record(request_id=f"r{i}"))
    assert (store.dropped, store.pending) == (3, 2)
    store.flush()
    assert len(rows(store.path, "SELECT request_id FROM requests")) == 2
    store.close()


def test_prune_deletes_records_past_retention(tmp_path):
    store = UsageStore(str(tmp_path / "u.db"), retention_days=30)
    now = T0 + 40 * DAY
    store.submit_request(request_record(request_id="old", ts=now - 31 * DAY))
    store.submit_request(request_record(request_id="new", ts=now - 29 * DAY))
    store.submit_attempt({"request_id": "old", "ts": now - 31 * DAY, "seq": 1})
    store.flush()
    assert store.prune(now) == 2
    assert rows(store.path, "SELECT request_id FROM requests") == [{"request_id": "new"}]
    assert rows(store.path, "SELECT * FROM attempts") == []
    store.close()


@pytest.fixture
def filled(store):
    store.submit_request(request_record(request_id="1", client_key_id="key-a",
                                        credential_id="c1", model="m1", ts=T0 + 10))
    store.submit_request(request_record(request_id="2", client_key_id="key-a",
                                        credential_id="c2", model="m2", ts=T0 + DAY + 10,
                                        status=502, error_class="UpstreamStatusError"))
    store.submit_request(request_record(request_id="3", client_key_id="key-b",
                                        credential_id="c1", model="m1", ts=T0 + DAY + 20,
                                        status=200, error_class="UpstreamStreamError"))
    store.flush()
    return store


@pytest.mark.parametrize("group_by, expected", [
    ("client", {"key-a": (2, 1), "key-b": (1, 1)}),
    ("credential", {"c1": (2, 1), "c2": (1, 1)}),
    ("model", {"m1": (2, 1), "m2": (1, 1)}),
    ("actor", {"ci-bot": (3, 2)}),
    ("day", {"2025-01-01": (1, 0), "2025-01-02": (2, 2)}),
])
def test_aggregate_by_each_group(filled, group_by, expected):
    result = filled.aggregate(T0, T0 + 2 * DAY, group_by)
    assert {r["key"]: (r["requests"], r["errors"]) for r in result} == expected
    assert totals(result)["input_tokens"] == 3 * 1200


def test_aggregate_window_and_client_filter(filled):
    assert [r["key"] for r in filled.aggregate(T0 + DAY, T0 + 2 * DAY, "day")] == ["2025-01-02"]
    only_b = filled.aggregate(T0, T0 + 2 * DAY, "model", client_key_id="key-b")
    assert [(r["key"], r["requests"]) for r in only_b] == [("m1", 1)]


def test_aggregate_rejects_unknown_group(store):
    with pytest.raises(ValueError):
        store.aggregate(0, 1, "colour")
    with pytest.raises(ValueError):
        store.aggregate(0, 1, "model", bucket="week")


@pytest.mark.parametrize("bucket, expected", [
    ("hour", [(T0, "m1", 1), (T0 + DAY, "m1", 1), (T0 + DAY, "m2", 1)]),
    ("day", [(T0, "m1", 1), (T0 + DAY, "m1", 1), (T0 + DAY, "m2", 1)]),
])
def test_aggregate_in_time_buckets(filled, bucket, expected):
    filled.submit_request(request_record(request_id="4", model="m1", ts=T0 + 3599))
    filled.submit_request(request_record(request_id="5", model="m1", ts=T0 + 3600))
    filled.flush()
    series = filled.aggregate(T0, T0 + 2 * DAY, "model", bucket=bucket)
    if bucket == "hour":     # the two extra records fall in the first two hours
        expected = [(T0, "m1", 2), (T0 + 3600, "m1", 1)] + expected[1:]
    else:
        expected = [(T0, "m1", 3)] + expected[1:]
    assert [(r["ts"], r["key"], r["requests"]) for r in series] == expected
    assert sum(r["input_tokens"] for r in series) == 5 * 1200


def test_credential_activity_counts_attempts(store):
    for seq, (cred, outcome, ts) in enumerate([("c1", "success", T0 + 1), ("c1", "transient", T0 + 2),
                                               ("c2", "success", T0 + 3), ("c2", "success", T0 - 5)]):
        store.submit_attempt({"request_id": str(seq), "ts": ts, "seq": 1, "credential_id": cred,
                              "outcome": outcome, "status": 200})
    store.flush()
    assert store.credential_activity(T0, T0 + 10) == {"c1": {"requests": 2, "errors": 1},
                                                      "c2": {"requests": 1, "errors": 0}}


def test_file_uses_wal(store):
    assert rows(store.path, "PRAGMA journal_mode") == [{"journal_mode": "wal"}]


def test_background_writer_writes_and_close_flushes(tmp_path):
    store = UsageStore(str(tmp_path / "u.db"), flush_interval=0.01).start()
    for i in range(3):
        store.submit_request(request_record(request_id=f"r{i}"))
    store.close()
    assert len(rows(store.path, "SELECT * FROM requests")) == 3
    assert store.pending == 0


@pytest.mark.parametrize("count", [1, 2, 63, 64, 65, 130, 500, 777])
def test_rows_of_any_batch_size_go_in_whole_and_in_order(tmp_path, count):
    # a batch goes in as statements of many rows each (powers of two)
    store = UsageStore(str(tmp_path / "u.db"), batch_size=500)
    for i in range(count):
        store.submit_request_row(tuple(request_record(request_id=f"r{i}", ts=T0 + i / 7,
                                                      stream=i % 2 == 0).values()))
        store.submit_attempt({"request_id": f"r{i}", "ts": T0 + i, "seq": 1})
    assert store.pending == 2 * count
    store.flush()
    stored = _typed(store.path, "SELECT request_id, ts, stream, typeof(stream) FROM requests")
    assert stored == [(f"r{i}", T0 + i / 7, int(i % 2 == 0), "integer") for i in range(count)]
    assert len(rows(store.path, "SELECT * FROM attempts")) == count and store.pending == 0
    store.close()


def test_nulls_bools_and_floats_are_stored_as_bound_one_by_one(tmp_path):
    # what executemany of the same rows stores, value for value and type for type
    records = [request_record(request_id="a", actor=None, error_class=None, stream=False,
                              ttft_ms=None, latency_ms=0.1 + 0.2, prompt=None),
               request_record(request_id="b", stream=True, latency_ms=1e-7, ts=T0 + 1 / 3,
                              tool_calls=None, input_tokens=None)]
    store = UsageStore(str(tmp_path / "u.db"))
    for record in records:
        store.submit_request(record)
    store.flush()
    reference = sqlite3.connect(str(tmp_path / "ref.db"))
    reference.executescript(usage_store._SCHEMA)
    saved = dict(sqlite3.adapters)          # bound as sqlite3 binds them by itself
    for kind in (type(None), bool):
        del sqlite3.adapters[(kind, sqlite3.PrepareProtocol)]
    try:
        reference.executemany(usage_store._insert_sql("requests", 1),
                              [tuple(r.values()) for r in records])
    finally:
        sqlite3.adapters.update(saved)
    reference.commit()
    typed = "SELECT " + ", ".join(f"{f}, typeof({f})" for f in usage_store.REQUEST_FIELDS) + \
        " FROM requests ORDER BY request_id"
    assert _typed(store.path, typed) == reference.execute(typed).fetchall()
    reference.close()
    store.close()


def _typed(path, sql):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_statements_stay_under_sqlites_variable_limit(tmp_path, monkeypatch):
    # a SQLite built with a low limit on bound variables gets smaller chunks
    real = usage_store._connect

    def low_limit(path):
        conn = real(path)
        conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)
        return conn
    monkeypatch.setattr(usage_store, "_connect", low_limit)
    store = UsageStore(str(tmp_path / "u.db"))
    assert store._chunk_rows == {"requests": 4, "attempts": 8}      # 23 and 10 columns
    for i in range(21):
        store.submit_request(request_record(request_id=f"r{i}"))
    store.flush()
    assert len(rows(store.path, "SELECT request_id FROM requests")) == 21
    store.close()


def test_an_idle_writer_wakes_for_the_first_row(tmp_path):
    store = UsageStore(str(tmp_path / "u.db"), flush_interval=30).start()
    gevent.sleep(0.05)                      # the writer waits for rows now
    store.submit_request(request_record(request_id="first"))
    with gevent.Timeout(5):
        while not rows(store.path, "SELECT request_id FROM requests"):
            gevent.sleep(0.01)
    store.close()


def test_an_idle_writer_still_prunes(tmp_path):
    clock = [T0 + 40 * DAY]
    store = UsageStore(str(tmp_path / "u.db"), flush_interval=0.01, prune_interval=0.0,
                       clock=lambda: clock[0])
    store.submit_request(request_record(request_id="old", ts=T0))
    store.flush()
    store.start()
    with gevent.Timeout(5):
        while rows(store.path, "SELECT request_id FROM requests"):
            gevent.sleep(0.01)
    store.close()
