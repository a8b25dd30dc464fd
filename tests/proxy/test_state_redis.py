"""Two pools on one real Redis act as one pool (``proxy.state.redis_store``).

Each pool stands for a worker process: its own store object, connection and
local view; ``sync_once`` is one round of the store's background greenlet,
run by hand so each step is deterministic.
"""
import time

import pytest

from proxy import config as config_mod
from proxy.routing.cooldown import Decision
from proxy.routing.pool import CredentialPool
from proxy.relay.signatures import SignatureCache
from proxy.state.redis_store import RedisStore
from tests import services
from tests.proxy.test_pool import MODEL, Clock, cred

RATE_LIMITED = Decision(True, "rate_limit", "model", 1.0, next_round=True, status=429)
BROKEN = Decision(True, "transient", "credential", 60.0, next_round=True, status=500)


@pytest.fixture
def shared():
    """``make(ids)``: a new 'process' (pool + store) on one Redis prefix."""
    url, prefix = services.redis_url(), services.unique_prefix()
    clock, stores = Clock(), []

    def make(ids=("a", "b"), *, redis_url=url, claim_ttl=5.0, **settings):
        store = RedisStore(redis_url, prefix=prefix, clock=clock, wall=clock.wall,
                           claim_ttl=claim_ttl)
        stores.append(store)
        pool = CredentialPool([cred(i) for i in ids], config_mod.build(settings), clock,
                              wall_clock=clock.wall, store=store)
        store.sync_once()
        return pool, store

    make.clock, make.prefix = clock, prefix
    yield make
    for store in stores:
        store._redis.close()
    services.drop_prefix(url, prefix)


def states(pool):
    return {row["id"]: row["state"] for row in pool.snapshot()}


def test_a_cooldown_set_by_one_process_is_skipped_by_the_other(shared):
    (one, s1), (two, s2) = shared(), shared()
    a = one.pick(MODEL, exclude={"b"})
    one.report_failure(a, MODEL, BROKEN)
    s1.sync_once()                                    # written on change
    s2.sync_once()                                    # read on the next refresh
    assert states(two) == {"a": "cooling", "b": "ready"}
    assert {two.pick(MODEL).id for _ in range(6)} == {"b"}
    assert two.next_ready_in(MODEL, exclude={"b"}) == pytest.approx(60.0)


def test_disable_enable_and_reset_hold_everywhere(shared):
    (one, s1), (two, s2) = shared(), shared()
    one.set_disabled("a", True)
    one.report_failure(one.credentials[1], MODEL, BROKEN)
    s1.sync_once(), s2.sync_once()
    assert states(two) == {"a": "disabled", "b": "cooling"}
    assert two.pick(MODEL) is None
    two.set_disabled("a", False)
    two.reset_cooldown("b")
    s2.sync_once(), s1.sync_once()
    assert states(one) == {"a": "ready", "b": "ready"}
    assert one.snapshot()[1]["model_cooldowns"] == {}


def test_a_model_cooldown_keeps_its_level_across_processes(shared):
    (one, s1), (two, s2) = shared(["a"]), shared(["a"])
    clock = shared.clock
    one.report_failure(one.credentials[0], MODEL, RATE_LIMITED)
    s1.sync_once(), s2.sync_once()
    clock.advance(1.0)
    probe = two.pick(MODEL)                           # half-open: two probes, and fails
    two.report_failure(probe, MODEL, RATE_LIMITED)
    s2.sync_once(), s1.sync_once()
    described = one.snapshot()[0]["model_cooldowns"][MODEL]
    assert (described["state"], described["seconds"]) == ("cooling", 2.0)


def test_exactly_one_half_open_probe_across_processes(shared):
    (one, s1), (two, s2) = shared(["a"]), shared(["a"])
    one.report_failure(one.credentials[0], MODEL, BROKEN)
    s1.sync_once(), s2.sync_once()
    shared.clock.advance(60.0)
    probe = two.pick(MODEL)
    assert probe is not None
    assert one.pick(MODEL) is None                    # the other process holds the probe
    assert two.pick(MODEL) is None                    # and so does its own lock
    two.report_success(probe, MODEL)
    s2.sync_once(), s1.sync_once()
    assert one.pick(MODEL).id == "a"                  # recovered everywhere


def test_a_dead_process_probe_claim_expires(shared):
    (one, s1), (two, s2) = shared(["a"], claim_ttl=0.2), shared(["a"], claim_ttl=0.2)
    one.report_failure(one.credentials[0], MODEL, BROKEN)
    s1.sync_once(), s2.sync_once()
    shared.clock.advance(60.0)
    assert one.pick(MODEL) is not None                # ...and `one` dies holding the claim
    assert two.pick(MODEL) is None
    deadline = time.monotonic() + 5                   # the claim's TTL runs in Redis time
    while two.pick(MODEL) is None:
        assert time.monotonic() < deadline, "the dead process's claim never expired"
        shared.clock.advance(s2.probe_recheck_seconds)
        time.sleep(0.05)


def test_round_robin_cursor_is_shared(shared):
    (one, _), (two, _) = shared(["a", "b", "c"]), shared(["a", "b", "c"])
    picks = "".join((one if i % 2 else two).pick(MODEL).id for i in range(9))
    assert sorted(picks) == sorted("abc" * 3)
    assert picks == "abc" * 3


def test_session_binding_and_signatures_are_shared(shared):
    settings = {"routing": {"session-affinity": True}}
    (one, s1), (two, s2) = shared(["a", "b", "c"], **settings), shared(["a", "b", "c"], **settings)
    first = one.pick(MODEL, session="conversation-1").id
    s1.sync_once()
    assert {two.pick(MODEL, session="conversation-1").id for _ in range(4)} == {first}
    cache1, cache2 = SignatureCache(shared=s1), SignatureCache(shared=s2)
    cache1.remember("call_1", "sig-bytes")
    s1.sync_once()
    assert cache2.recall("call_1") == "sig-bytes"
    assert cache2.recall("call_unknown") is None


def test_a_reload_announced_by_one_process_reaches_the_other(shared):
    (_, s1), (_, s2) = shared(), shared()
    reloads = []
    s2.on_reload = lambda: reloads.append(1)
    s1.announce_reload()
    s1.sync_once()                                    # its own announcement is not news
    s2.sync_once()
    assert reloads == [1]
    assert s1.describe()["reloads"] == s2.describe()["reloads"] == 1


def test_redis_down_serves_from_the_local_view_and_replays_when_back(shared, caplog):
    server = services.RedisServer().start()
    try:
        (one, s1), (two, s2) = (shared(redis_url=server.url), shared(redis_url=server.url))
        one.set_disabled("a", True)
        s1.sync_once(), s2.sync_once()
        server.stop()
        s2.sync_once()                                # `two` notices the outage too
        caplog.clear()
        b = one.pick(MODEL)                           # no error: the local view answers
        assert b.id == "b"
        one.report_failure(b, MODEL, BROKEN)
        s1.sync_once(), s1.sync_once()
        assert len(caplog.records) == 1               # logged once, not per call
        assert "unreachable" in caplog.records[0].message
        assert one.pick(MODEL) is None                # both out, in this process's view
        server.start()                                # back, and empty (no persistence)
        s1.sync_once()                                # writes its whole view back
        s2.sync_once()
        assert states(two) == {"a": "disabled", "b": "cooling"}
    finally:
        server.close()


def test_wrong_management_keys_count_across_processes(shared):
    from proxy.admin.management import Lockout
    (_, s1), (_, s2) = shared(), shared()
    one, two = (s.lockout(Lockout(limit=4, window=60, lock_for=30)) for s in (s1, s2))
    for lockout in (one, two, one):
        lockout.failed("203.0.113.9")
    assert two.locked_for("203.0.113.9") == 0.0
    two.failed("203.0.113.9")                         # the fourth, counted by either
    assert 29.0 < one.locked_for("203.0.113.9") <= 30.0
    assert two.locked_for("198.51.100.1") == 0.0      # per address
    one.succeeded("198.51.100.1")


def test_lockout_falls_back_to_the_process_count_while_redis_is_down(shared):
    from proxy.admin.management import Lockout
    server = services.RedisServer().start()
    try:
        _, store = shared(redis_url=server.url)
        lockout = store.lockout(Lockout(limit=2, window=60, lock_for=30, clock=shared.clock))
        lockout.failed("203.0.113.9")
        server.stop()
        lockout.failed("203.0.113.9")                 # no error; counted here
        assert lockout.locked_for("203.0.113.9") == 30.0
    finally:
        server.close()
