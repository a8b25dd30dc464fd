"""Management API and /v0/usage: auth, lockout, pool actions, YAML-backed edits."""
import pytest
from flask import Flask

from proxy.access import auth
from proxy.admin import management, reload
from proxy import runtime
from proxy.telemetry import usage_store
from proxy import config as config_mod
from proxy.telemetry.usage_store import UsageStore

SECRET = "admin-secret-123"
ADMIN = {"Authorization": f"Bearer {SECRET}"}
CLIENT_KEY = "sk-client-alpha-0001"
ANT_KEY = "sk-ant-api03-verysecretvalue"

CONFIG = f'''\
# Gateway used by the platform team
api-keys:
  - "{CLIENT_KEY}"   # alpha team
claude-api-key:
  - api-key: "{ANT_KEY}"  # main account
remote-management:
  secret-key: "{SECRET}"
'''


class Clock:
    now = 1000.0

    def __call__(self):
        return self.now


class FakePool:
    """The pool's management surface (reset_cooldown, set_disabled), recorded."""

    def __init__(self):
        self.calls = []
        self.states = {"claude:111": "cooling", "gemini:222": "ready"}

    def snapshot(self):
        return [{"id": i, "provider": i.split(":")[0], "key_hint": "…", "state": s}
                for i, s in self.states.items()]

    def reset_cooldown(self, cred_id):
        self.calls.append(("reset", cred_id))
        self.states[cred_id] = "ready"

    def set_disabled(self, cred_id, disabled):
        self.calls.append(("disabled", cred_id, disabled))
        self.states[cred_id] = "disabled" if disabled else "ready"


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch):
    monkeypatch.setitem(reload.SCRYPT, "n", 2 ** 4)


@pytest.fixture
def gateway(tmp_path, monkeypatch):
    """(client, config path, lockout clock) with CONFIG live."""
    saved = runtime.current(), usage_store.current()
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("SWITCHYARD_CONFIG", str(path))
    reload.apply(config_mod.load(str(path)))
    clock = Clock()
    app = Flask(__name__)
    management.register(app, lockout=management.Lockout(clock=clock))
    yield app.test_client(), path, clock
    runtime.install(saved[0])
    usage_store.install(saved[1])


def use_config(**raw):
    """Make ``raw`` live with a FakePool; returns the pool."""
    pool = FakePool()
    config = reload.seal(config_mod.build(raw))
    runtime.install(runtime.Runtime(config=config, pool=pool,
                                    client_keys=tuple(auth.load_keys(config["api-keys"]))))
    return pool


def remote(addr):
    return {"environ_base": {"REMOTE_ADDR": addr}}


def error_type(resp):
    return resp.get_json()["error"]["type"]


def message(resp):
    return resp.get_json()["error"]["message"]


def pool_status(client, headers=None, **kwargs):
    return client.get("/v0/management/pool", headers=headers, **kwargs).status_code


# -- auth --------------------------------------------------------------------

def test_disabled_without_secret(gateway):
    client, _, _ = gateway
    use_config()
    resp = client.get("/v0/management/pool", headers=ADMIN)
    assert resp.status_code == 404 and error_type(resp) == "not_found_error"


def test_missing_and_wrong_key_are_401(gateway):
    client, _, _ = gateway
    resp = client.get("/v0/management/pool")
    assert resp.status_code == 401 and "Missing management key" in message(resp)
    resp = client.get("/v0/management/pool", headers={"Authorization": "Bearer wrong"})
    assert resp.status_code == 401 and message(resp) == "Invalid management key."


def test_both_key_headers_accepted(gateway):
    client, _, _ = gateway
    assert client.get("/v0/management/pool", headers=ADMIN).status_code == 200
    assert pool_status(client, {"X-Management-Key": SECRET}) == 200


@pytest.mark.parametrize("peer", ["10.1.2.3", "2001:db8::1", "::ffff:10.0.0.1"])
def test_remote_peer_forbidden_by_default(gateway, peer):
    client, _, _ = gateway
    resp = client.get("/v0/management/pool", headers=ADMIN, **remote(peer))
    assert resp.status_code == 403 and error_type(resp) == "permission_error"


def test_loopback_peers_allowed(gateway):
    client, _, _ = gateway
    for peer in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        assert client.get("/v0/management/pool", headers=ADMIN, **remote(peer)).status_code == 200


def test_spoofed_forwarded_for_is_ignored(gateway):
    client, _, _ = gateway
    spoof = dict(ADMIN, **{"X-Forwarded-For": "127.0.0.1"})
    assert pool_status(client, spoof, **remote("203.0.113.9")) == 403


def test_forwarded_for_believed_only_from_trusted_proxy(gateway):
    client, _, _ = gateway
    use_config(**{"remote-management": {"secret-key": SECRET},
                  "trusted-proxies": ["127.0.0.1", "10.0.0.0/8"]})
    via_proxy = dict(ADMIN, **{"X-Forwarded-For": "127.0.0.5, 203.0.113.9, 10.0.0.2"})
    assert client.get("/v0/management/pool", headers=via_proxy).status_code == 403
    local = dict(ADMIN, **{"X-Forwarded-For": "127.0.0.1"})
    assert client.get("/v0/management/pool", headers=local, **remote("10.9.9.9")).status_code == 200


def test_allow_remote(gateway):
    client, _, _ = gateway
    use_config(**{"remote-management": {"secret-key": SECRET, "allow-remote": True}})
    assert pool_status(client, ADMIN, **remote("203.0.113.9")) == 200


def test_lockout_after_repeated_failures(gateway):
    client, _, clock = gateway
    wrong = {"Authorization": "Bearer guess"}
    for _ in range(5):
        assert client.get("/v0/management/pool", headers=wrong).status_code == 401
    resp = client.get("/v0/management/pool", headers=ADMIN)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "601"
    other = client.get("/v0/management/pool", headers=ADMIN, **remote("::1"))
    assert other.status_code == 200                       # per address
    clock.now += 601
    assert client.get("/v0/management/pool", headers=ADMIN).status_code == 200


def test_lockout_forgets_the_oldest_address_when_full():
    lockout = management.Lockout(limit=2, max_addresses=2, clock=Clock())
    lockout.failed("a")
    lockout.failed("b")
    lockout.failed("c")                   # memory full: "a" is forgotten
    lockout.failed("a")
    assert lockout.locked_for("a") == 0
    lockout.failed("c")
    assert lockout.locked_for("c") == 600


# -- pool --------------------------------------------------------------------

@pytest.fixture
def pool(gateway):
    return use_config(**{"remote-management": {"secret-key": SECRET}})


def test_pool_state(gateway, pool):
    client, _, _ = gateway
    body = client.get("/v0/management/pool", headers=ADMIN).get_json()
    assert [c["id"] for c in body["credentials"]] == ["claude:111", "gemini:222"]


def test_reset_cooldown_disable_enable(gateway, pool):
    client, _, _ = gateway
    resp = client.post("/v0/management/credentials/claude:111/reset-cooldown", headers=ADMIN)
    assert resp.get_json()["credential"]["state"] == "ready"
    client.post("/v0/management/credentials/gemini:222/disable", headers=ADMIN)
    resp = client.post("/v0/management/credentials/gemini:222/enable", headers=ADMIN)
    assert resp.status_code == 200
    assert pool.calls == [("reset", "claude:111"), ("disabled", "gemini:222", True),
                          ("disabled", "gemini:222", False)]


def test_unknown_credential_is_404(gateway, pool):
    client, _, _ = gateway
    resp = client.post("/v0/management/credentials/nope:0/disable", headers=ADMIN)
    assert resp.status_code == 404 and pool.calls == []


# -- client keys -------------------------------------------------------------

def test_list_keys_never_shows_them(gateway):
    client, _, _ = gateway
    resp = client.get("/v0/management/api-keys", headers=ADMIN)
    [key] = resp.get_json()["api-keys"]
    assert key["id"] == auth.load_keys([CLIENT_KEY])[0].key_id
    assert key["key_hint"] == "sk-c…0001" and CLIENT_KEY not in resp.get_data(as_text=True)


def test_add_generated_key_persists_with_comments_and_goes_live(gateway):
    client, path, _ = gateway
    resp = client.post("/v0/management/api-keys", headers=ADMIN, json={"label": "beta"})
    assert resp.status_code == 201
    new_key = resp.get_json()["key"]
    text = path.read_text(encoding="utf-8")
    assert "# Gateway used by the platform team" in text and "# alpha team" in text
    assert f"key: {new_key}" in text and "label: beta" in text
    live_ids = {k.key_id for k in auth.load_keys(runtime.current().config["api-keys"])}
    assert resp.get_json()["id"] in live_ids


def test_add_duplicate_key_conflicts(gateway):
    client, _, _ = gateway
    resp = client.post("/v0/management/api-keys", headers=ADMIN, json={"key": CLIENT_KEY})
    assert resp.status_code == 409 and "key" not in resp.get_json()


def test_delete_key_by_id_and_by_index(gateway):
    client, path, _ = gateway
    client.post("/v0/management/api-keys", headers=ADMIN, json={"key": "sk-second-0000000"})
    key_id = auth.load_keys([CLIENT_KEY])[0].key_id
    resp = client.delete(f"/v0/management/api-keys/{key_id}", headers=ADMIN)
    assert resp.get_json()["deleted"]["id"] == key_id
    assert client.delete("/v0/management/api-keys/0", headers=ADMIN).status_code == 200
    assert runtime.current().config["api-keys"] == []
    assert "# Gateway used by the platform team" in path.read_text(encoding="utf-8")
    assert client.delete("/v0/management/api-keys/0", headers=ADMIN).status_code == 404


# -- upstream entries --------------------------------------------------------

def test_list_upstreams_masks_keys(gateway):
    client, _, _ = gateway
    resp = client.get("/v0/management/upstreams", headers=ADMIN)
    [entry] = resp.get_json()["claude-api-key"]
    assert entry["api-key"] == "sk-a…alue" and entry["index"] == 0
    assert entry["credential_ids"] == [c.id for c in runtime.current().pool.credentials
                                       if c.kind == "claude"]
    assert ANT_KEY not in resp.get_data(as_text=True)


def test_add_and_delete_upstream(gateway):
    client, path, _ = gateway
    entry = {"name": "local", "base-url": "http://127.0.0.1:9999/v1",
             "api-key-entries": ["sk-local-key-123456", {"api-key": "sk-local-key-654321",
                                                          "proxy-url": "socks5://u:pw@h:1080"}],
             "models": [{"name": "llama-3", "alias": "llama"}]}
    resp = client.post("/v0/management/upstreams/openai-compatibility", headers=ADMIN, json=entry)
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["api-key-entries"] == ["sk-l…3456", {"api-key": "sk-l…4321",
                                                     "proxy-url": "socks5://u:***@h:1080"}]
    assert "sk-local-key" not in resp.get_data(as_text=True)
    live = {c.id for c in runtime.current().pool.credentials}
    assert set(body["credential_ids"]) <= live and len(body["credential_ids"]) == 2
    assert "# main account" in path.read_text(encoding="utf-8")
    assert client.post("/v0/management/upstreams/openai-compatibility", headers=ADMIN,
                       json=entry).status_code == 409
    second = body["credential_ids"][1]
    resp = client.delete(f"/v0/management/upstreams/openai-compatibility/{second}", headers=ADMIN)
    assert resp.status_code == 200
    assert not set(body["credential_ids"]) & {c.id for c in runtime.current().pool.credentials}
    resp = client.delete("/v0/management/upstreams/claude-api-key/0", headers=ADMIN)
    assert resp.status_code == 200
    assert runtime.current().config["claude-api-key"] == []


@pytest.mark.parametrize("section, entry, status", [
    ("claude-api-key", {"base-url": "https://x"}, 400),
    ("claude-api-key", ["not", "an", "object"], 400),
    ("openai-compatibility", {"name": "x"}, 400),
    ("claude-api-key", {"api-key": "k", "priority": "high"}, 400),
    ("mystery-api-key", {"api-key": "k"}, 404),
])
def test_add_upstream_rejects_bad_entries(gateway, section, entry, status):
    client, path, _ = gateway
    resp = client.post(f"/v0/management/upstreams/{section}", headers=ADMIN, json=entry)
    assert resp.status_code == status and "error" in resp.get_json()
    assert path.read_text(encoding="utf-8") == CONFIG


# -- reload ------------------------------------------------------------------

def test_reload_endpoint(gateway):
    client, path, _ = gateway
    path.write_text(CONFIG + "port: 9001\n", encoding="utf-8")
    assert client.post("/v0/management/reload", headers=ADMIN).get_json() == {"status": "applied"}
    assert runtime.current().config["port"] == 9001
    path.write_text(CONFIG + "port: [\n", encoding="utf-8")
    resp = client.post("/v0/management/reload", headers=ADMIN)
    assert resp.status_code == 400 and "not valid YAML" in resp.get_json()["error"]["message"]
    assert runtime.current().config["port"] == 9001


# -- usage -------------------------------------------------------------------

@pytest.fixture
def usage(gateway, tmp_path):
    store = UsageStore(str(tmp_path / "usage.db"))
    alpha = auth.load_keys([CLIENT_KEY])[0].key_id
    for i, (client_id, model) in enumerate([(alpha, "m1"), (alpha, "m2"), ("key-other", "m1")]):
        store.submit_request({"request_id": str(i), "ts": 1_735_689_600 + i, "model": model,
                              "client_key_id": client_id, "status": 200, "input_tokens": 10,
                              "output_tokens": 1, "cached_tokens": 4, "reasoning_tokens": 2})
    store.flush()
    usage_store.install(store)
    yield store
    store.close()


def test_client_key_sees_only_its_own_usage(gateway, usage):
    client, _, _ = gateway
    resp = client.get("/v0/usage?group_by=model", headers={"Authorization": f"Bearer {CLIENT_KEY}"})
    body = resp.get_json()
    assert [(r["key"], r["requests"]) for r in body["rows"]] == [("m1", 1), ("m2", 1)]
    assert body["totals"]["cached_tokens"] == 8 and body["totals"]["reasoning_tokens"] == 4


def test_management_key_sees_everyone(gateway, usage):
    client, _, _ = gateway
    body = client.get("/v0/usage?group_by=client", headers=ADMIN).get_json()
    assert sum(r["requests"] for r in body["rows"]) == 3 and len(body["rows"]) == 2
    body = client.get("/v0/management/usage?group_by=model&client=key-other",
                      headers=ADMIN).get_json()
    assert [(r["key"], r["requests"]) for r in body["rows"]] == [("m1", 1)]


def test_usage_time_window(gateway, usage):
    client, _, _ = gateway
    body = client.get("/v0/usage?group_by=day&from=2025-01-01&to=2025-01-01",
                      headers=ADMIN).get_json()
    assert body["rows"][0]["key"] == "2025-01-01" and body["rows"][0]["requests"] == 3
    body = client.get("/v0/usage?from=1735689601&to=2025-01-01T00:00:02Z", headers=ADMIN).get_json()
    assert body["totals"]["requests"] == 1
    empty = client.get("/v0/usage?from=2024-12-01&to=2024-12-31", headers=ADMIN).get_json()
    assert empty["rows"] == []


def test_usage_rejects_bad_queries_and_strangers(gateway, usage):
    client, _, _ = gateway
    assert client.get("/v0/usage?group_by=colour", headers=ADMIN).status_code == 400
    assert client.get("/v0/usage?from=yesterday", headers=ADMIN).status_code == 400
    assert client.get("/v0/usage", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/v0/usage").status_code == 401


def test_usage_without_management_needs_a_client_key(gateway, usage):
    client, _, _ = gateway
    use_config(**{"api-keys": [CLIENT_KEY]})
    assert client.get("/v0/usage", headers=ADMIN).status_code == 401
    assert client.get("/v0/usage", headers={"x-api-key": CLIENT_KEY}).status_code == 200


def test_parse_instant():
    assert management.parse_instant("1735689600") == 1735689600.0
    assert management.parse_instant("2025-01-01") == 1735689600.0
    assert management.parse_instant("2025-01-01", end=True) == 1735689600.0 + 86400
    assert management.parse_instant("2025-01-01T01:00:00+01:00") == 1735689600.0
