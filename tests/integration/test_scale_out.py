"""Two gateway instances of two gunicorn workers each, on one real Redis,
behave as one pool.

Each test uses its own model (credentials of their own).  Before asserting
what *every* worker does, a test waits until every worker of both instances
reports (``/v0/management/pool``, on fresh connections) a state version at
least the one Redis holds after the change: the local views are refreshed
by a poll, and this is how a test knows they have been.
"""
import os
import signal
import threading
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from proxy.providers.credentials import mask
from tests import services
from tests.integration.conftest import CLIENT_KEY, launch
from tests.integration.fake_upstream import Fault

MGMT_KEY = "mgmt-secret-for-scale-out"
MODELS = ("so-cool", "so-manage", "so-probe", "so-dead", "so-spread", "so-usage",
          "so-metrics")
DEADLINE = 20.0


def key(model, i):
    return f"upk{i}-{model}-{str(i) * 4}"


def _entry(fake_url, model, count):
    return {"name": f"entry-{model}", "base-url": f"{fake_url}/v1",
            "api-key-entries": [{"api-key": key(model, i)} for i in range(1, count + 1)],
            "models": [{"name": model}]}


@pytest.fixture(scope="module")
def cluster(fake, tmp_path_factory):
    """``(a, b, redis client, prefix)``: two instances sharing Redis and
    PostgreSQL."""
    import redis
    url, prefix = services.redis_url(), services.unique_prefix()
    database = services.postgres_url()
    schema = services.create_schema(database)
    counts = {"so-cool": 2, "so-manage": 2, "so-probe": 1, "so-dead": 1, "so-spread": 3,
              "so-usage": 2, "so-metrics": 1}
    config = {
        "api-keys": [CLIENT_KEY],
        "openai-compatibility": [_entry(fake.url, m, n) for m, n in counts.items()],
        "remote-management": {"secret-key": MGMT_KEY},
        "transient-error-cooldown-seconds": 1.0,
        "max-retry-interval": 0.0,
        "state": {"redis-url": url, "key-prefix": prefix, "refresh-seconds": 0.05,
                  "claim-ttl-seconds": 1.0},
        "usage": {"database-url": services.with_schema(database, schema)},
        "watch-config": False,
    }
    env = {"WEB_CONCURRENCY": "2"}
    a = launch(config, str(tmp_path_factory.mktemp("inst-a")), env)
    b = launch(config, str(tmp_path_factory.mktemp("inst-b")),     # one config file for all
               dict(env, SWITCHYARD_CONFIG=a.config_path))
    client = redis.Redis.from_url(url, decode_responses=True)
    yield a, b, client, prefix
    a.stop()
    b.stop()
    client.close()
    services.drop_prefix(url, prefix)
    services.drop_schema(database, schema)


def chat(gw, model, **kwargs):
    """One request on a fresh connection (so successive calls spread over
    the workers)."""
    return requests.post(f"{gw.url}/v1/chat/completions",
                         headers={"Authorization": f"Bearer {CLIENT_KEY}", "Connection": "close"},
                         json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
                         timeout=30, **kwargs)


def manage(gw, method, path):
    answer = requests.request(method, f"{gw.url}/v0/management{path}", timeout=10,
                              headers={"X-Management-Key": MGMT_KEY, "Connection": "close"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def workers(gw):
    """PIDs of the gateway's current gunicorn workers."""
    pids = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == gw.proc.pid:
                    pids.add(int(pid))
        except (OSError, IndexError, ValueError):
            continue
    return pids


def settled(cluster):
    """Wait until every worker of both instances has read the state Redis
    holds now; returns the last pool answer of each instance."""
    a, b, client, prefix = cluster
    version = int(client.get(f"{prefix}version") or 0)
    answers = {}
    for gw in (a, b):
        pending, deadline = workers(gw), time.monotonic() + DEADLINE
        while pending:
            assert time.monotonic() < deadline, f"workers {pending} never caught up"
            answer = manage(gw, "GET", "/pool")
            if answer["state"]["version"] >= version:
                pending.discard(answer["state"]["worker"])
            answers[gw.url] = answer
    return answers[a.url], answers[b.url]


def wait_for_write(cluster, cred_id, field, present=True):
    """Wait until a worker has written ``field`` of ``cred_id`` to Redis."""
    _, _, client, prefix = cluster
    deadline = time.monotonic() + DEADLINE
    while client.hexists(f"{prefix}cred:{cred_id}", field) != present:
        assert time.monotonic() < deadline, f"{cred_id} {field} never written"
        time.sleep(0.01)


def cred_id(answer, model, i):
    hint = mask(key(model, i))
    return next(c["id"] for c in answer["credentials"]
                if c["key_hint"] == hint and c["models"] == [model])


def row(answer, cid):
    return next(c for c in answer["credentials"] if c["id"] == cid)


def wait_state(gw, cid, wanted):
    deadline = time.monotonic() + DEADLINE
    while row(manage(gw, "GET", "/pool"), cid)["state"] != wanted:
        assert time.monotonic() < deadline, f"{cid} never became {wanted}"
        time.sleep(0.05)


def test_a_429_cools_the_credential_for_every_worker_of_every_instance(cluster, upstream):
    a, b, _, _ = cluster
    k1 = key("so-cool", 1)
    upstream.script(k1, Fault(status=429, headers={"retry-after": "120"}))
    while not upstream.calls_for(k1):              # round-robin reaches k1 within two
        assert chat(a, "so-cool").status_code == 200
    cid = cred_id(manage(a, "GET", "/pool"), "so-cool", 1)
    wait_for_write(cluster, cid, "cd:so-cool")
    answer_a, answer_b = settled(cluster)
    assert row(answer_b, cid)["model_cooldowns"]["so-cool"]["status"] == 429
    for i in range(12):
        assert chat(a if i % 2 else b, "so-cool").status_code == 200
    assert len(upstream.calls_for(k1)) == 1        # no worker tried it again


def test_disable_enable_and_reset_through_one_instance_hold_on_the_other(cluster, upstream):
    a, b, _, _ = cluster
    cid1 = cred_id(manage(a, "GET", "/pool"), "so-manage", 1)
    cid2 = cred_id(manage(a, "GET", "/pool"), "so-manage", 2)
    manage(a, "POST", f"/credentials/{cid1}/disable")
    wait_for_write(cluster, cid1, "disabled")
    _, answer_b = settled(cluster)
    assert row(answer_b, cid1)["state"] == "disabled"
    for _ in range(8):
        assert chat(b, "so-manage").status_code == 200
    assert upstream.calls_for(key("so-manage", 1)) == []

    # k2 fails, and again on the retry the last usable credential gets; k1 is disabled
    upstream.script(key("so-manage", 2), Fault(status=500), Fault(status=500))
    assert chat(b, "so-manage").status_code != 200
    manage(b, "POST", f"/credentials/{cid1}/enable")
    wait_for_write(cluster, cid1, "disabled", present=False)
    wait_for_write(cluster, cid2, "cd:*")
    manage(b, "POST", f"/credentials/{cid2}/reset-cooldown")
    wait_for_write(cluster, cid2, "cd:*", present=False)
    answer_a, _ = settled(cluster)
    assert {row(answer_a, c)["state"] for c in (cid1, cid2)} == {"ready"}
    upstream.calls.clear()
    for i in range(8):
        assert chat(a if i % 2 else b, "so-manage").status_code == 200
    assert len(upstream.calls_for(key("so-manage", 1))) == 4
    assert len(upstream.calls_for(key("so-manage", 2))) == 4


def test_round_robin_spreads_evenly_across_workers_and_instances(cluster, upstream):
    a, b, _, _ = cluster
    for i in range(30):
        assert chat(a if i % 2 else b, "so-spread").status_code == 200
    assert [len(upstream.calls_for(key("so-spread", i))) for i in (1, 2, 3)] == [10, 10, 10]


def test_a_client_key_added_through_one_instance_works_on_every_worker(cluster, upstream):
    a, b, client, prefix = cluster
    added = requests.post(f"{a.url}/v0/management/api-keys", json={"label": "late"},
                          headers={"X-Management-Key": MGMT_KEY}, timeout=10)
    assert added.status_code == 201, added.text
    reloads = int(client.get(f"{prefix}reload"))
    for gw in (a, b):
        pending, deadline = workers(gw), time.monotonic() + DEADLINE
        while pending:
            assert time.monotonic() < deadline, f"workers {pending} never reloaded"
            answer = manage(gw, "GET", "/pool")["state"]
            if answer["reloads"] >= reloads:
                pending.discard(answer["worker"])
    for i in range(8):
        answer = requests.get(f"{(a, b)[i % 2].url}/v1/models", timeout=10, headers={
            "Authorization": f"Bearer {added.json()['key']}", "Connection": "close"})
        assert answer.status_code == 200


def usage_of(gw, model):
    answer = manage(gw, "GET", "/usage?group_by=model")
    return next((r["requests"] for r in answer["rows"] if r["key"] == model), 0)


def test_usage_totals_count_the_requests_sent_through_both_instances(cluster, upstream):
    a, b, _, _ = cluster
    for i in range(14):
        assert chat(a if i % 2 else b, "so-usage").status_code == 200
    deadline = time.monotonic() + DEADLINE         # each worker writes its batch within 1 s
    while (usage_of(a, "so-usage"), usage_of(b, "so-usage")) != (14, 14):
        assert time.monotonic() < deadline, (usage_of(a, "so-usage"), usage_of(b, "so-usage"))
        time.sleep(0.05)


def requests_counted(gw, model):
    text = requests.get(f"{gw.url}/metrics", headers={"Connection": "close"}, timeout=10).text
    return sum(s.value for family in text_string_to_metric_families(text)
               for s in family.samples
               if s.name == "switchyard_requests_total" and s.labels.get("model") == model)


def test_one_scrape_counts_every_worker_of_the_instance(cluster, upstream):
    a, b, _, _ = cluster
    for i in range(12):
        assert chat(a if i % 3 else b, "so-metrics").status_code == 200
    deadline = time.monotonic() + DEADLINE         # counted as each answer completes
    while requests_counted(a, "so-metrics") != 8:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert {requests_counted(a, "so-metrics") for _ in range(6)} == {8}
    assert {requests_counted(b, "so-metrics") for _ in range(6)} == {4}


def _cool_until_half_open(cluster, upstream, model):
    a, _, _, _ = cluster
    k1 = key(model, 1)
    upstream.script(k1, Fault(status=500), Fault(status=500))   # the blip and its retry
    assert chat(a, model).status_code != 200
    cid = cred_id(manage(a, "GET", "/pool"), model, 1)
    wait_for_write(cluster, cid, "cd:*")
    wait_state(a, cid, "half-open")                # the 1 s transient cooldown ran out
    settled(cluster)
    return k1, cid


def _probe_in_flight(gw, upstream, k1, model):
    """Start a request that becomes the probe and is held at the upstream."""
    gate = threading.Event()
    upstream.script(k1, Fault(gate=gate))
    before = len(upstream.calls_for(k1))
    result = {}

    def send():
        try:
            result["r"] = chat(gw, model)
        except requests.RequestException as exc:    # its worker was killed
            result["r"] = exc

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    deadline = time.monotonic() + DEADLINE
    while len(upstream.calls_for(k1)) == before:
        assert time.monotonic() < deadline, "the probe never reached the upstream"
        time.sleep(0.01)
    return gate, thread, result


def test_exactly_one_half_open_probe_across_workers(cluster, upstream):
    a, b, _, _ = cluster
    k1, cid = _cool_until_half_open(cluster, upstream, "so-probe")
    calls = len(upstream.calls_for(k1))
    gate, thread, result = _probe_in_flight(a, upstream, k1, "so-probe")
    for i in range(8):                             # every worker, while the probe runs
        assert chat(a if i % 2 else b, "so-probe").status_code != 200
    assert len(upstream.calls_for(k1)) == calls + 1
    gate.set()
    thread.join(30)
    assert result["r"].status_code == 200
    wait_for_write(cluster, cid, "cd:*", present=False)
    settled(cluster)
    for i in range(4):
        assert chat(a if i % 2 else b, "so-probe").status_code == 200


def test_a_worker_killed_holding_the_probe_does_not_strand_the_credential(cluster, upstream):
    a, b, client, prefix = cluster
    k1, cid = _cool_until_half_open(cluster, upstream, "so-dead")
    gate, thread, _ = _probe_in_flight(a, upstream, k1, "so-dead")
    holder = client.get(f"{prefix}probe:{cid}:cd:*")
    assert holder is not None
    os.kill(int(holder.split(":")[1]), signal.SIGKILL)    # token: host:pid:random
    gate.set()
    thread.join(30)
    deadline = time.monotonic() + DEADLINE
    while chat(b, "so-dead").status_code != 200:          # claim TTL: 1 s
        assert time.monotonic() < deadline, "the dead worker's claim stranded the credential"
        time.sleep(0.1)


@pytest.fixture
def outage(fake, tmp_path):
    """Two instances on a private Redis the test may kill and restart."""
    server = services.RedisServer().start()
    config = {
        "api-keys": [CLIENT_KEY],
        "openai-compatibility": [_entry(fake.url, "so-outage", 2)],
        "remote-management": {"secret-key": MGMT_KEY},
        "state": {"redis-url": server.url, "refresh-seconds": 0.05},
        "usage": {"enabled": False}, "watch-config": False,
    }
    env = {"WEB_CONCURRENCY": "2"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = launch(config, str(tmp_path / "a"), env), launch(config, str(tmp_path / "b"), env)
    import redis
    client = redis.Redis.from_url(server.url, decode_responses=True)
    yield server, (a, b, client, "switchyard:")
    a.stop()
    b.stop()
    client.close()
    server.close()


class Load:
    """Requests sent back to back through both instances from a few threads."""

    def __init__(self, gateways, model, threads=4):
        self.statuses, self._stop = [], threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(gateways[i % 2], model),
                                          daemon=True) for i in range(threads)]

    def _run(self, gw, model):
        while not self._stop.is_set():
            try:
                self.statuses.append(chat(gw, model).status_code)
            except requests.RequestException as exc:
                self.statuses.append(repr(exc))

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def wait_for(self, more):
        target, deadline = len(self.statuses) + more, time.monotonic() + DEADLINE
        while len(self.statuses) < target:
            assert time.monotonic() < deadline, "the load stalled"
            time.sleep(0.01)


def test_redis_killed_mid_load_fails_nothing_and_catches_up(outage, upstream):
    server, cluster = outage
    a, b, client, _ = cluster
    cid = cred_id(manage(a, "GET", "/pool"), "so-outage", 1)
    with Load((a, b), "so-outage") as load:
        load.wait_for(20)
        server.stop()
        load.wait_for(40)                          # served from the local views
        manage(a, "POST", f"/credentials/{cid}/disable")   # a change while Redis is away
        load.wait_for(20)
        server.start()                             # back, empty (no persistence)
        wait_for_write(cluster, cid, "disabled")   # replayed by a's worker
        _, answer_b = settled(cluster)
        assert row(answer_b, cid)["state"] == "disabled"
        upstream.calls.clear()
        load.wait_for(40)
    assert set(load.statuses) == {200}, [s for s in load.statuses if s != 200][:5]
    assert upstream.calls_for(key("so-outage", 1)) == []
    assert "unreachable" in a.log() and "reachable again" in a.log()
