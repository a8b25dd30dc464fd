"""CredentialPool: resolution, strategies, tiers, cooldowns, half-open probes,
session affinity, reload carry-over, snapshot, and green-thread safety.
Every test runs on a fake clock."""
import json
import logging
from dataclasses import replace

import gevent
import pytest

from proxy import config as config_mod
from proxy.routing.cooldown import CANCELLED_DECISION, Decision, classify_status
from proxy.providers.credentials import Credential
from proxy.routing.pool import CredentialPool

MODEL = "gpt-4o"
WALL_START = 1_700_000_000.0   # 2023-11-14T22:13:20Z


class Clock:
    """Monotonic fake; the wall clock moves with it."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def wall(self):
        return WALL_START + self.now - 1000.0

    def advance(self, seconds):
        self.now += seconds


def cred(id_, **fields):
    fields.setdefault("patterns", ("gpt-*",))
    return Credential(id=id_, kind="codex", dialect="responses", base_url="https://up",
                      api_key=f"sk-secret-key-of-{id_}-0123456789", **fields)


def make_pool(creds, clock=None, previous=None, **settings):
    clock = clock or Clock()
    config = config_mod.build(settings)
    return CredentialPool(creds, config, clock, previous, wall_clock=clock.wall)


def ids(pool, n, model=MODEL, **kwargs):
    return "".join(pool.pick(model, **kwargs).id for _ in range(n))


def status(code, headers=None, body=b"{}", **settings):
    return classify_status(code, headers or {}, body, config_mod.build(settings))


RATE_LIMITED = Decision(True, "rate_limit", "model", 1.0, next_round=True, status=429)


# --- resolution ---

def test_explicit_models_win_over_wildcards():
    mapped = cred("m", models={"gpt-4o": "gpt-4o-2024-08-06"}, patterns=())
    wildcard = cred("w")
    pool = make_pool([wildcard, mapped])
    assert pool.resolve("gpt-4o") == [mapped]
    assert pool.resolve("gpt-5") == [wildcard]
    assert pool.upstream_model(mapped, "gpt-4o") == "gpt-4o-2024-08-06"


def test_prefix_addresses_only_its_entries():
    team = cred("t", prefix="team")
    plain = cred("p")
    pool = make_pool([team, plain])
    assert pool.resolve("team/gpt-4o") == [team]
    assert pool.upstream_model(team, "team/gpt-4o") == "gpt-4o"
    assert pool.resolve("gpt-4o") == [team, plain]
    assert ids(pool, 2, "team/gpt-4o") == "tt"


def test_slash_in_a_model_name_is_not_a_prefix():
    org = cred("o", patterns=("meta-llama/*",))
    pool = make_pool([org])
    assert pool.resolve("meta-llama/Llama-3") == [org]
    assert pool.upstream_model(org, "meta-llama/Llama-3") == "meta-llama/Llama-3"


def test_excluded_model_wildcards():
    pool = make_pool([cred("a", excluded=("gpt-4*",)), cred("b")])
    assert [c.id for c in pool.resolve("gpt-4o")] == ["b"]
    assert [c.id for c in pool.resolve("gpt-5")] == ["a", "b"]


def test_names_are_matched_once_per_model_not_per_pick_or_report(monkeypatch):
    """Pattern matching (fnmatch per pattern) happens when a model is first
    resolved; picks, attempts and their reports reuse it."""
    pool = make_pool([cred("a", models={"gpt-4o": "gpt-4o-2024-08-06"}), cred("b")])
    assert [c.id for c in pool.resolve(MODEL)] == ["a"]      # explicit entry wins
    calls = []
    real = Credential.upstream_model
    monkeypatch.setattr(Credential, "upstream_model",
                        lambda self, name: calls.append(name) or real(self, name))
    for _ in range(3):
        picked = pool.pick(MODEL)
        umodel = pool.upstream_model(picked, MODEL)
        pool.report_cancelled(picked, MODEL)
        pool.report_success(picked, MODEL)
    pool.report_failure(picked, MODEL, RATE_LIMITED)
    assert pool.next_ready_in(MODEL) == 1.0
    assert umodel == "gpt-4o-2024-08-06" and calls == []
    byok = cred("byok:x", models={MODEL: "own"})          # not pooled: asked directly
    assert pool.upstream_model(byok, MODEL) == "own" and calls == [MODEL]


# --- strategies and tiers ---

def test_round_robin_spreads_evenly():
    pool = make_pool([cred("a"), cred("b"), cred("c")])
    assert ids(pool, 7) == "abcabca"


def test_round_robin_keeps_a_cursor_per_model():
    pool = make_pool([cred("a"), cred("b")])
    assert [pool.pick(m).id for m in ("gpt-4o", "gpt-5", "gpt-4o", "gpt-5")] == list("aabb")


def test_round_robin_skips_cooling_credentials():
    pool = make_pool([cred("a"), cred("b"), cred("c")])
    pool.report_failure(pool.credentials[1], MODEL, status(401))
    assert ids(pool, 4) == "acac"


def test_fill_first_uses_the_first_available():
    pool = make_pool([cred("a"), cred("b")], routing={"strategy": "fill-first"})
    assert ids(pool, 3) == "aaa"
    pool.report_failure(pool.credentials[0], MODEL, status(500))
    assert ids(pool, 2) == "bb"


def test_smooth_weighted_round_robin_matches_nginx():
    pool = make_pool([cred("a", weight=5), cred("b", weight=1), cred("c", weight=1)],
                     routing={"strategy": "weighted-round-robin"})
    assert ids(pool, 14) == "aabacaa" * 2


def test_weight_zero_excludes_under_weighted_round_robin():
    pool = make_pool([cred("a", weight=0), cred("b", weight=2)],
                     routing={"strategy": "weighted-round-robin"})
    assert ids(pool, 3) == "bbb"
    only_zero = make_pool([cred("a", weight=0)], routing={"strategy": "weighted-round-robin"})
    assert only_zero.pick(MODEL) is None
    assert only_zero.next_ready_in(MODEL) is None


def test_higher_priority_tier_wins_until_it_is_unavailable():
    pool = make_pool([cred("low"), cred("h1", priority=10), cred("h2", priority=10)])
    assert [pool.pick(MODEL).id for _ in range(4)] == ["h1", "h2", "h1", "h2"]
    h1, h2 = pool.credentials[1:]
    pool.report_failure(h1, MODEL, status(401))
    pool.report_failure(h2, MODEL, status(401))
    assert pool.pick(MODEL).id == "low"


def test_exclude_skips_tried_credentials():
    pool = make_pool([cred("a"), cred("b")])
    assert pool.pick(MODEL, exclude={"a"}).id == "b"
    assert pool.pick(MODEL, exclude={"a", "b"}) is None


# --- cooldowns ---

def test_rate_limit_cools_only_that_model_until_the_provider_says():
    clock = Clock()
    pool = make_pool([cred("a")], clock)
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(429, {"retry-after": "30"}))
    assert pool.pick(MODEL) is None
    assert pool.pick("gpt-5").id == "a"
    assert pool.next_ready_in(MODEL) == 30.0
    clock.advance(30)
    assert pool.pick(MODEL).id == "a"


def test_cooldown_is_keyed_by_upstream_model():
    clock = Clock()
    a = cred("a", models={"fast": "gpt-4o-mini", "gpt-4o-mini": "gpt-4o-mini"}, patterns=())
    pool = make_pool([a], clock)
    pool.report_failure(a, "fast", status(429, {"retry-after": "30"}))
    assert pool.pick("gpt-4o-mini") is None


def test_backoff_without_reset_time_doubles_per_failure_and_resets_on_success():
    clock = Clock()
    pool = make_pool([cred("a")], clock)
    a = pool.credentials[0]
    waits = []
    for _ in range(4):
        pool.report_failure(a, MODEL, status(429))
        waits.append(pool.next_ready_in(MODEL))
        clock.advance(waits[-1])
        assert pool.pick(MODEL) is a          # half-open: the probe
    assert waits == [1.0, 2.0, 4.0, 8.0]
    pool.report_success(a, MODEL)
    pool.report_failure(a, MODEL, status(429))
    assert pool.next_ready_in(MODEL) == 1.0


def test_concurrent_failures_of_one_burst_do_not_escalate():
    clock = Clock()
    pool = make_pool([cred("a")], clock)
    a = pool.credentials[0]
    for _ in range(10):
        pool.report_failure(a, MODEL, status(429))
    assert pool.next_ready_in(MODEL) == 1.0


def test_provider_reset_is_used_as_is_after_a_failed_probe():
    clock = Clock()
    pool = make_pool([cred("a")], clock)
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(429, {"retry-after": "10"}))
    clock.advance(10)
    assert pool.pick(MODEL) is a
    pool.report_failure(a, MODEL, status(429, {"retry-after": "3"}))
    assert pool.next_ready_in(MODEL) == 3.0


def test_doubling_stops_at_the_cap():
    clock = Clock()
    pool = make_pool([cred("a")], clock, **{"max-cooldown-seconds": 100})
    a = pool.credentials[0]
    lengths = []
    for _ in range(4):
        pool.report_failure(a, MODEL, status(401))
        lengths.append(pool.next_ready_in(MODEL))
        clock.advance(lengths[-1])
    assert lengths == [1800.0, 1800.0, 1800.0, 1800.0]   # configured above the cap: kept
    pool = make_pool([cred("a")], clock, **{"max-cooldown-seconds": 5})
    a, lengths = pool.credentials[0], []
    for _ in range(4):
        pool.report_failure(a, MODEL, status(503))
        lengths.append(pool.next_ready_in(MODEL))
        clock.advance(lengths[-1])
    assert lengths == [2.0, 4.0, 5.0, 5.0]


def test_transient_cooldowns_escalate_up_to_their_configured_length():
    clock = Clock()
    pool = make_pool([cred("a")], clock, **{"transient-error-cooldown-seconds": 20})
    a = pool.credentials[0]
    lengths = []
    blip = status(503, **{"transient-error-cooldown-seconds": 20})
    for _ in range(6):
        pool.report_failure(a, MODEL, blip)
        lengths.append(pool.next_ready_in(MODEL))
        clock.advance(lengths[-1])
        assert pool.pick(MODEL) is a                   # the half-open probe
    assert lengths == [2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    pool.report_success(a, MODEL)
    pool.report_failure(a, MODEL, blip)                # a success starts over
    assert pool.next_ready_in(MODEL) == 2.0


def test_configured_length_above_the_cap_is_honoured_not_doubled():
    clock = Clock()
    pool = make_pool([cred("a")], clock)
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(404))
    assert pool.next_ready_in(MODEL) == 43200.0
    clock.advance(43200)
    assert pool.pick(MODEL) is a
    pool.report_failure(a, MODEL, status(404))
    assert pool.next_ready_in(MODEL) == 43200.0


def test_auth_failure_cools_the_whole_credential():
    pool = make_pool([cred("a"), cred("b")])
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(401))
    assert ids(pool, 2, "gpt-5") == "bb"


def test_request_faults_are_not_cooled():
    pool = make_pool([cred("a")])
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(400))
    assert pool.pick(MODEL) is a
    assert pool.snapshot()[0]["failures"] == 1


def test_transient_cooldown_disabled_by_minus_one():
    settings = {"transient-error-cooldown-seconds": -1}
    pool = make_pool([cred("a")], **settings)
    pool.report_failure(pool.credentials[0], MODEL, status(503, **settings))
    assert pool.pick(MODEL).id == "a"


def test_disable_cooling_globally():
    pool = make_pool([cred("a")], **{"disable-cooling": True})
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(401))
    pool.report_failure(a, MODEL, status(429))
    assert pool.pick(MODEL) is a
    assert pool.next_ready_in(MODEL) is None
    assert pool.snapshot()[0]["state"] == "ready"


def test_disable_cooling_per_entry():
    pool = make_pool([cred("a", disable_cooling=True), cred("b")])
    a, b = pool.credentials
    pool.report_failure(a, MODEL, status(401))
    pool.report_failure(b, MODEL, status(401))
    assert ids(pool, 2) == "aa"


def test_cooldowns_are_logged_without_the_key(caplog):
    pool = make_pool([cred("a")])
    a = pool.credentials[0]
    with caplog.at_level(logging.INFO, logger="switchyard.pool"):
        pool.report_failure(a, MODEL, status(429, {"retry-after": "30"}))
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert "a" in record.args and MODEL in record.args and 429 in record.args
    assert "30.0s" in record.getMessage() and "rate_limit" in record.getMessage()
    assert a.api_key not in record.getMessage()


# --- half-open probing ---

def test_half_open_admits_exactly_one_probe():
    clock = Clock()
    pool = make_pool([cred("a")], clock)
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(401))
    clock.advance(1800)
    assert pool.pick(MODEL) is a
    assert pool.pick(MODEL) is None
    assert pool.next_ready_in(MODEL) == 1.0
    assert pool.snapshot()[0]["state"] == "half-open"


def test_successful_probe_restores_the_credential(caplog):
    clock = Clock()
    pool = make_pool([cred("a")], clock)
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(401))
    clock.advance(1800)
    pool.pick(MODEL)
    with caplog.at_level(logging.INFO, logger="switchyard.pool"):
        pool.report_success(a, MODEL)
    assert "recovered" in caplog.text
    assert ids(pool, 3) == "aaa"
    assert pool.snapshot()[0]["state"] == "ready"


def test_failed_probe_doubles_the_cooldown():
    clock = Clock()
    pool = make_pool([cred("a")], clock, **{"auth-error-cooldown-seconds": 10})
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(401, **{"auth-error-cooldown-seconds": 10}))
    clock.advance(10)
    pool.pick(MODEL)
    pool.report_failure(a, MODEL, status(401, **{"auth-error-cooldown-seconds": 10}))
    assert pool.next_ready_in(MODEL) == 20.0


def test_other_credentials_serve_while_one_is_probed():
    clock = Clock()
    pool = make_pool([cred("a"), cred("b")], clock)
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(500))
    clock.advance(60)
    assert ids(pool, 4) == "abbb"


def test_cancelled_probe_is_released_without_counting():
    clock = Clock()
    pool = make_pool([cred("a")], clock)
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(500))
    clock.advance(60)
    pool.pick(MODEL)
    pool.report_cancelled(a, MODEL)
    assert pool.pick(MODEL) is a
    pool.report_failure(a, MODEL, CANCELLED_DECISION)
    assert pool.pick(MODEL) is a
    assert pool.snapshot()[0]["failures"] == 1
    assert pool.snapshot()[0]["state"] == "half-open"


def test_request_fault_on_a_probe_releases_it():
    clock = Clock()
    pool = make_pool([cred("a")], clock)
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(500))
    clock.advance(60)
    pool.pick(MODEL)
    pool.report_failure(a, MODEL, status(400))
    assert pool.pick(MODEL) is a


def test_a_lost_probe_expires_after_the_upstream_timeouts():
    clock = Clock()
    settings = {"connect-timeout-seconds": 5, "read-timeout-seconds": 25}
    pool = make_pool([cred("a")], clock, **settings)
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(500))
    clock.advance(60)
    assert pool.pick(MODEL) is a
    clock.advance(29)
    assert pool.pick(MODEL) is None
    clock.advance(1)
    assert pool.pick(MODEL) is a


def test_success_during_a_running_cooldown_keeps_it():
    clock = Clock()
    pool = make_pool([cred("a")], clock)
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(429, {"retry-after": "30"}))
    pool.report_success(a, MODEL)     # a request that started before the 429
    assert pool.pick(MODEL) is None


# --- next_ready_in ---

def test_next_ready_in():
    clock = Clock()
    pool = make_pool([cred("a"), cred("b")], clock)
    a, b = pool.credentials
    assert pool.next_ready_in(MODEL) is None          # nothing is cooling
    assert pool.next_ready_in("claude-x") is None
    pool.report_failure(a, MODEL, status(429, {"retry-after": "20"}))
    assert pool.next_ready_in(MODEL) == 20.0          # b is ready, so was tried already
    pool.report_failure(b, MODEL, status(429, {"retry-after": "5"}))
    assert pool.next_ready_in(MODEL) == 5.0
    assert pool.next_ready_in(MODEL, exclude={"b"}) == 20.0
    pool.set_disabled("a", True)
    assert pool.next_ready_in(MODEL, exclude={"b"}) is None


def test_whole_and_model_cooldowns_combine():
    clock = Clock()
    pool = make_pool([cred("a")], clock)
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, status(429, {"retry-after": "100"}))
    pool.report_failure(a, MODEL, status(500))
    assert pool.next_ready_in(MODEL) == 100.0
    assert pool.next_ready_in("gpt-5") == 2.0


# --- session affinity ---

AFFINITY = {"routing": {"session-affinity": True, "session-affinity-ttl": 100}}


def test_session_sticks_to_its_credential():
    pool = make_pool([cred("a"), cred("b"), cred("c")], **AFFINITY)
    first = pool.pick(MODEL, session="s1").id
    assert ids(pool, 5, session="s1") == first * 5
    assert pool.pick(MODEL, session="s2").id != first


def test_session_affinity_is_off_by_default():
    pool = make_pool([cred("a"), cred("b")])
    assert ids(pool, 4, session="s1") == "abab"


def test_failover_rebinds_the_session():
    pool = make_pool([cred("a"), cred("b")], **AFFINITY)
    assert pool.pick(MODEL, session="s").id == "a"
    assert pool.pick(MODEL, session="s", exclude={"a"}).id == "b"
    assert ids(pool, 3, session="s") == "bbb"
    pool.report_failure(pool.credentials[1], MODEL, status(401))
    assert ids(pool, 2, session="s") == "aa"


def test_session_binding_expires_after_the_ttl():
    clock = Clock()
    pool = make_pool([cred("a"), cred("b")], clock, **AFFINITY)
    assert pool.pick(MODEL, session="s").id == "a"
    clock.advance(99)
    assert pool.pick(MODEL, session="s").id == "a"    # use refreshes the TTL
    clock.advance(100)
    assert pool.pick(MODEL, session="s").id == "b"    # forgotten: round-robin's turn


def test_session_binding_is_per_model():
    pool = make_pool([cred("a"), cred("b")], **AFFINITY)
    assert pool.pick("gpt-4o", session="s").id == "a"
    assert pool.pick("gpt-5", session="s").id == "a"
    pool.report_failure(pool.credentials[0], "gpt-5", status(404))
    assert pool.pick("gpt-5", session="s").id == "b"
    assert pool.pick("gpt-4o", session="s").id == "a"


# --- management and snapshot ---

def test_set_disabled_and_reset_cooldown():
    pool = make_pool([cred("a"), cred("b")])
    a = pool.credentials[0]
    assert pool.set_disabled("a", True)
    assert ids(pool, 2) == "bb"
    assert pool.snapshot()[0]["state"] == "disabled"
    assert pool.set_disabled("a", False)
    pool.report_failure(a, MODEL, status(401))
    assert pool.reset_cooldown("a")
    assert pool.pick(MODEL, exclude={"b"}) is a
    assert not pool.set_disabled("nope", True)
    assert not pool.reset_cooldown("nope")


def test_snapshot_is_json_ready_and_never_shows_a_key():
    clock = Clock()
    pool = make_pool([cred("a", label="team", priority=2, weight=3,
                           models={"gpt-4o": "gpt-4o"}, patterns=())], clock)
    a = pool.credentials[0]
    pool.report_success(a, MODEL)
    pool.report_failure(a, MODEL, status(429, {"retry-after": "30"}))
    clock.advance(10)
    pool.report_failure(a, MODEL, status(502))
    (row,) = pool.snapshot()
    assert a.api_key not in json.dumps(row)
    assert row == {
        "id": "a", "provider": "codex", "label": "team", "key_hint": a.key_hint,
        "models": ["gpt-4o"], "priority": 2, "weight": 3,
        "state": "cooling", "cooling_until": "2023-11-14T22:13:32+00:00",
        "model_cooldowns": {"gpt-4o": {"state": "cooling", "until": "2023-11-14T22:13:50+00:00",
                                       "seconds": 30.0, "kind": "rate_limit", "status": 429}},
        "successes": 1, "failures": 2,
        "recent": {"window_seconds": 3600.0, "successes": 1, "failures": 2},
        "last_error": {"status": 502, "kind": "transient", "at": "2023-11-14T22:13:30+00:00"},
    }


def test_recent_counts_cover_the_last_hour():
    clock = Clock()
    pool = make_pool([cred("a")], clock)
    a = pool.credentials[0]
    pool.report_success(a, MODEL)
    clock.advance(3600)
    pool.report_success(a, MODEL)
    row = pool.snapshot()[0]
    assert (row["successes"], row["recent"]["successes"]) == (2, 1)


# --- reload ---

def test_reload_carries_state_of_unchanged_credentials():
    clock = Clock()
    old = make_pool([cred("a"), cred("b")], clock)
    a, b = old.credentials
    old.report_failure(a, MODEL, status(429))
    clock.advance(1)
    old.pick(MODEL, exclude={"b"})
    old.report_failure(a, MODEL, status(429))         # backoff now 2 s
    old.report_success(b, MODEL)
    old.set_disabled("b", True)
    new = make_pool([replace(a, priority=5), cred("c")], clock, previous=old)
    assert new.pick(MODEL).id == "c"
    assert new.next_ready_in(MODEL, exclude={"c"}) == 2.0
    clock.advance(2)
    assert new.pick(MODEL).id == "a"                  # half-open probe, level kept
    new.report_failure(new.credentials[0], MODEL, status(429))
    assert new.next_ready_in(MODEL, exclude={"c"}) == 4.0
    assert [row["failures"] for row in new.snapshot()] == [3, 0]
    back = make_pool([cred("b")], clock, previous=new)    # b was not in `new`
    assert back.snapshot()[0]["state"] == "ready"


def test_reports_to_the_old_pool_land_in_the_new_one():
    clock = Clock()
    old = make_pool([cred("a")], clock)
    a = old.pick(MODEL)
    new = make_pool([cred("a")], clock, previous=old)
    old.report_failure(a, MODEL, status(401))       # a request still in flight
    assert new.pick(MODEL) is None


def test_reload_keeps_session_bindings():
    old = make_pool([cred("a"), cred("b")], **AFFINITY)
    old.pick(MODEL)
    assert old.pick(MODEL, session="s").id == "b"
    new = make_pool([cred("a"), cred("b")], previous=old, **AFFINITY)
    assert new.pick(MODEL, session="s").id == "b"


# --- green threads ---

def test_hundreds_of_green_threads_pick_and_report_consistently():
    clock = Clock()
    pool = make_pool([cred(name) for name in "abcde"], clock)
    outcomes = {"success": 0, "failure": 0, "none": 0}
    fault = status(400)

    def worker(i):
        for round_ in range(20):
            c = pool.pick(MODEL)
            gevent.sleep(0)                       # yield mid-attempt, like real I/O
            if c is None:
                outcomes["none"] += 1
            elif (i + round_) % 7 == 0:
                pool.report_failure(c, MODEL, fault)
                outcomes["failure"] += 1
            else:
                pool.report_success(c, MODEL)
                outcomes["success"] += 1

    threads = [gevent.spawn(worker, i) for i in range(300)]
    done = gevent.joinall(threads, timeout=30, raise_error=True)
    assert len(done) == 300
    rows = pool.snapshot()
    assert sum(r["successes"] for r in rows) == outcomes["success"]
    assert sum(r["failures"] for r in rows) == outcomes["failure"]
    assert outcomes["none"] == 0
    assert outcomes["success"] + outcomes["failure"] == 6000
    assert {r["successes"] + r["failures"] for r in rows} == {1200}   # round-robin: even


def test_green_threads_racing_for_a_half_open_credential_get_one_probe():
    clock = Clock()
    pool = make_pool([cred("a")], clock)
    a = pool.credentials[0]
    pool.report_failure(a, MODEL, RATE_LIMITED)
    clock.advance(1)

    def attempt():
        gevent.sleep(0)
        return pool.pick(MODEL)

    threads = [gevent.spawn(attempt) for _ in range(200)]
    gevent.joinall(threads, timeout=30, raise_error=True)
    assert [t.value for t in threads if t.value is not None] == [a]


@pytest.mark.parametrize("strategy", ["round-robin", "fill-first", "weighted-round-robin"])
def test_every_strategy_survives_cooling_everything(strategy):
    pool = make_pool([cred("a"), cred("b")], routing={"strategy": strategy})
    for c in pool.credentials:
        pool.report_failure(c, MODEL, status(401))
    assert pool.pick(MODEL) is None
    assert pool.next_ready_in(MODEL) == 1800.0


# --- the one-credential pick and the plain success report ---

def _single_pool_cases():
    """Pools whose model has one eligible credential, in each state a pick meets."""
    for strategy in ("round-robin", "fill-first", "weighted-round-robin"):
        yield strategy, "ready", {}
        yield strategy, "disabled", {"disabled": True}
        yield strategy, "cooling", {"cool": 30.0}
        yield strategy, "half-open", {"cool": 1.0, "advance": 5.0}
        yield strategy, "excluded", {"exclude": {"a"}}


@pytest.mark.parametrize("strategy, state, how", list(_single_pool_cases()))
def test_a_one_credential_pick_answers_as_the_general_pick(strategy, state, how):
    """The shortcut for a model one credential serves (nothing chosen,
    stepped or claimed while nothing cools) gives what the general pick
    gives, and leaves the same cooldowns and probe claims behind."""
    outcomes = []
    for general in (False, True):
        clock = Clock()
        # "z" serves another model only, and weight 0 keeps "w" out of a weighted pick
        creds = [cred("a"), cred("z", patterns=("o1-*",))]
        if strategy == "weighted-round-robin":
            creds.append(cred("w", weight=0))
        pool = make_pool(creds, clock, routing={"strategy": strategy})
        if how.get("disabled"):
            pool.set_disabled("a", True)
        if how.get("cool"):
            pool.report_failure(creds[0], MODEL, Decision(True, "rate_limit", "model",
                                                          how["cool"], status=429))
        clock.advance(how.get("advance", 0.0))
        exclude = how.get("exclude", frozenset())
        if general:
            picked = pool._pick(MODEL, exclude, None)
        else:
            assert pool.route(MODEL).only is creds[0]
            picked = pool.pick(MODEL, exclude=exclude)
        probes = {key: cd.probe_until for key, cd in pool._states["a"].cooldowns.items()}
        outcomes.append((picked and picked.id, probes))
    assert outcomes[0] == outcomes[1]
    assert (outcomes[0][0] == "a") == (state in ("ready", "half-open"))


def test_a_session_bound_pick_of_one_credential_still_binds():
    pool = make_pool([cred("a")], routing={"session-affinity": True})
    assert pool.pick(MODEL, session="s1").id == "a"
    assert pool._bindings.get(("s1", MODEL), pool._clock()) == "a"


class _NoneCooling(dict):
    """An empty cooldown table that does not look empty: the report takes
    its general path over it."""

    def __bool__(self):
        return True


def test_a_success_with_nothing_cooling_only_counts():
    """The plain success report (nothing cooling: no probe to end, nothing
    to forget or share) leaves what the general one leaves."""
    clock = Clock()
    plain = make_pool([cred("a")], clock)
    general = make_pool([cred("a")], clock)
    general._states["a"].shared.cooldowns = _NoneCooling()
    for minutes in (0, 0, 3):
        clock.advance(60 * minutes)
        for pool in (plain, general):
            pool.report_success(pool.route(MODEL).creds[0], MODEL)
    assert plain.snapshot() == general.snapshot()
    assert plain.snapshot()[0]["successes"] == 3
    assert plain.snapshot()[0]["recent"]["successes"] == 3
