"""Real Redis and PostgreSQL for the tests that share state through them.

Each is found at ``REDIS_URL`` / ``DATABASE_URL``, else at the local default
port, else started from a ``redis-server`` binary on PATH in a temp dir.
When none can be had the test is skipped with the reason -- unless
``SWITCHYARD_REQUIRE_SERVICES=1`` (CI sets it), which makes that a failure.
Every test gets its own Redis key prefix and PostgreSQL schema, so parallel
test workers and other runs sharing the servers never see each other's data.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

LOCAL_REDIS = "redis://127.0.0.1:6379/0"
LOCAL_POSTGRES = ("postgresql://postgres@127.0.0.1:5432/test",
                  "postgresql://root@127.0.0.1:5432/test")


def unavailable(reason):
    """Skip, or fail when the services are required."""
    if os.environ.get("SWITCHYARD_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (SWITCHYARD_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_answers(url):
    import redis
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        try:
            return client.ping()
        finally:
            client.close()
    except redis.RedisError:
        return False


class RedisServer:
    """A redis-server of the test's own, on a free port in a temp dir (for
    tests that stop and restart it; never the machine's)."""

    def __init__(self):
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("no redis-server on PATH to start a private Redis")
        self.binary = binary
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="switchyard-redis-")
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _redis_answers(self.url):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                unavailable(f"redis-server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


_found_redis = None


def redis_url():
    """A reachable Redis URL for shared state (found once per test process)."""
    global _found_redis
    if _found_redis is None:
        url = os.environ.get("REDIS_URL") or LOCAL_REDIS
        if not _redis_answers(url):
            if os.environ.get("REDIS_URL"):
                unavailable(f"REDIS_URL={url} does not answer")
            server = RedisServer().start()    # lives as long as the test process
            url = server.url
        _found_redis = url
    return _found_redis


def unique_prefix():
    return f"switchyard-test:{uuid.uuid4().hex[:12]}:"


def drop_prefix(url, prefix):
    import redis
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _postgres_answers(url):
    import psycopg
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


_found_postgres = None


def postgres_url():
    """A reachable PostgreSQL URL (found once per test process)."""
    global _found_postgres
    if _found_postgres is None:
        given = os.environ.get("DATABASE_URL")
        candidates = (given,) if given else LOCAL_POSTGRES
        found = next((url for url in candidates if _postgres_answers(url)), None)
        if found is None:
            unavailable(f"no PostgreSQL answers at {', '.join(candidates)}")
        _found_postgres = found
    return _found_postgres


def with_schema(url, schema):
    """``url`` with every connection's search_path set to ``schema``."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def create_schema(url):
    import psycopg
    schema = f"switchyard_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return schema


def drop_schema(url, schema):
    import psycopg
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
