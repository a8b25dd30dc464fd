"""The dashboard's login cookie and the JSON API behind the page, through the
real Flask app (``proxy.http.server.create_app``): sessions, CSRF, usage labels
and series, CSV/SVG answers, credential activity, the config view, the live
request feed."""
import re
import time
import xml.etree.ElementTree as ET

import gevent
import pytest
import yaml

from proxy.access import auth
from proxy.telemetry import live_feed, usage_store
from proxy.admin import reload
from proxy import runtime
from proxy import config as config_mod
from proxy.dashboard import session as sessions
from proxy.http.server import create_app
from proxy.telemetry.usage_store import UsageStore

SECRET = "dash-admin-secret-1"
ALPHA, BETA = "sk-client-alpha-0123456789", "sk-client-beta-0123456789"
ANT_KEY = "sk-ant-api03-dashboardsecretvalue"
T0 = 1_735_689_600.0      # 2025-01-01T00:00:00Z


def raw_config(tmp_path, **over):
    config = {
        "api-keys": [{"key": ALPHA, "label": "alpha team"}, BETA],
        "claude-api-key": [{"api-key": ANT_KEY, "models": [{"name": "claude-x"}]}],
        "remote-management": {"secret-key": SECRET},
        "usage": {"enabled": False},
        "metrics": {"key": "metrics-secret-value"},
        "watch-config": False,
    }
    config.update(over)
    return config


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch):
    monkeypatch.setitem(reload.SCRYPT, "n", 2 ** 4)


@pytest.fixture
def dash(tmp_path, monkeypatch):
    """(test client, config path) of a real app with the config above."""
    saved = runtime.current(), usage_store.current()
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw_config(tmp_path)), encoding="utf-8")
    monkeypatch.setenv("SWITCHYARD_CONFIG", str(path))
    app = create_app(config_mod.load(str(path)))
    store = UsageStore(str(tmp_path / "usage.db"))   # no writer greenlet: reports flush
    usage_store.install(store)
    yield app.test_client(), path
    store.close()
    runtime.install(saved[0])
    usage_store.install(saved[1])


def key_id(key):
    return auth.load_keys([key])[0].key_id


def log_in(client, key):
    resp = client.post("/dashboard/login", data={"key": key})
    csrf = None
    if resp.status_code == 303:
        page = client.get("/dashboard").get_data(as_text=True)
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return resp, csrf


# -- login and sessions ------------------------------------------------------

def test_login_page_then_management_session(dash):
    client, _ = dash
    page = client.get("/dashboard")
    assert page.status_code == 200 and b'name="key"' in page.data
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    resp, csrf = log_in(client, SECRET)
    cookie = resp.headers["Set-Cookie"]
    assert resp.headers["Location"].endswith("/dashboard")
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert attribute in cookie
    assert SECRET not in cookie
    body = client.get("/dashboard").get_data(as_text=True)
    assert 'data-tab="credentials"' in body and 'data-tab="config"' in body
    assert client.get("/v0/management/pool").status_code == 200


def test_writes_with_a_cookie_need_the_csrf_token(dash):
    client, _ = dash
    _, csrf = log_in(client, SECRET)
    cred = client.get("/v0/management/pool").get_json()["credentials"][0]["id"]
    url = f"/v0/management/credentials/{cred}/disable"
    refused = client.post(url)
    assert refused.status_code == 403 and "CSRF" in refused.get_json()["error"]["message"]
    assert client.post(url, headers={"X-CSRF-Token": "x" * 32}).status_code == 403
    done = client.post(url, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200 and done.get_json()["credential"]["state"] == "disabled"


def test_wrong_keys_are_refused_then_locked_out(dash):
    client, _ = dash
    for _ in range(4):
        resp, _ = log_in(client, "not-a-key")
        assert resp.status_code == 401 and b"neither" in resp.data
        assert "Set-Cookie" not in resp.headers
    resp, _ = log_in(client, "not-a-key")
    locked, _ = log_in(client, SECRET)           # even the right key, for a while
    assert locked.status_code == 429


def test_management_login_is_loopback_only(dash):
    client, _ = dash
    resp = client.post("/dashboard/login", data={"key": SECRET},
                       environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert resp.status_code == 403 and b"loopback" in resp.data
    _, _ = log_in(client, SECRET)                # a loopback session...
    remote = client.get("/v0/management/pool", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert remote.status_code == 403             # ...is no pass from elsewhere


def test_login_page_says_how_to_turn_management_on(dash, tmp_path):
    client, path = dash
    assert b"management-off" not in client.get("/dashboard").data
    reload.apply(config_mod.build({}))                     # a fresh `make run`: no config
    page = client.get("/dashboard").get_data(as_text=True)
    assert "remote-management.secret-key" in page and str(path) in page
    assert "no client keys are configured" in page


def test_login_posted_from_another_site_is_refused(dash):
    client, _ = dash
    resp = client.post("/dashboard/login", data={"key": SECRET},
                       headers={"Origin": "http://evil.example"})
    assert resp.status_code == 403 and "Set-Cookie" not in resp.headers


def test_client_session_sees_its_own_usage_only(dash):
    client, _ = dash
    store = usage_store.current()
    for i, key in enumerate([ALPHA, ALPHA, BETA]):
        store.submit_request({"request_id": str(i), "ts": T0 + i, "model": "claude-x",
                              "client_key_id": key_id(key), "status": 200, "input_tokens": 7})
    resp, _ = log_in(client, ALPHA)
    assert resp.status_code == 303
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'data-tab="usage"' in page and 'data-tab="credentials"' not in page
    assert "alpha team" in page
    body = client.get("/v0/usage?group_by=client").get_json()
    assert [(r["label"], r["requests"]) for r in body["rows"]] == [("alpha team", 2)]
    assert client.get("/v0/management/pool").status_code == 401
    assert client.get("/v0/usage?client=" + key_id(BETA)).get_json()["totals"]["requests"] == 2


def test_forged_expired_and_revoked_cookies_are_ignored():
    config = reload.seal(config_mod.build({"remote-management": {"secret-key": SECRET}}))
    keys = auth.load_keys([ALPHA])
    value = sessions.issue(sessions.CLIENT, config, client_key=keys[0], now=T0)
    assert sessions.read(value, config, keys, now=T0 + 1).role == sessions.CLIENT
    assert sessions.read(value, config, keys, now=T0 + sessions.LIFETIME_SECONDS) is None
    assert sessions.read(value, config, auth.load_keys([BETA]), now=T0 + 1) is None
    forged = value.replace(key_id(ALPHA), key_id(BETA))
    assert sessions.read(forged, config, auth.load_keys([ALPHA, BETA]), now=T0 + 1) is None
    manager = sessions.issue(sessions.MANAGEMENT, config, now=T0)
    assert sessions.read(manager, config, keys, now=T0 + 1).role == sessions.MANAGEMENT
    other = reload.seal(config_mod.build({"remote-management": {"secret-key": "changed"}}))
    assert sessions.read(manager, other, keys, now=T0 + 1) is None
    longer = manager.replace(f".{int(T0) + sessions.LIFETIME_SECONDS}.", ".9999999999.")
    assert sessions.read(longer, config, keys, now=T0 + 1) is None


def test_logout_clears_the_cookie(dash):
    client, _ = dash
    _, csrf = log_in(client, SECRET)
    assert client.post("/dashboard/logout", data={"csrf": "wrong"}).status_code == 403
    resp = client.post("/dashboard/logout", data={"csrf": csrf})
    assert resp.status_code == 303 and "switchyard_session=;" in resp.headers["Set-Cookie"]
    assert client.get("/v0/management/pool").status_code == 401


# -- usage report ------------------------------------------------------------

ADMIN = {"Authorization": f"Bearer {SECRET}"}


@pytest.fixture
def recorded(dash):
    """Requests of two clients (one unlabelled) and two actors over two hours."""
    store = usage_store.current()
    cred = runtime.current().pool.credentials[0].id
    rows = [(ALPHA, "alice", T0 + 10, 100, 10), (ALPHA, "=cmd|' /C calc'!A0", T0 + 3700, 200, 20),
            (BETA, None, T0 + 3800, 300, 30)]
    for i, (key, actor, ts, tokens_in, tokens_out) in enumerate(rows):
        store.submit_request({"request_id": str(i), "ts": ts, "model": "claude-x", "actor": actor,
                              "client_key_id": key_id(key), "credential_id": cred,
                              "status": 200, "input_tokens": tokens_in,
                              "output_tokens": tokens_out, "cached_tokens": 5})
    return dash[0]


def test_usage_labels_instead_of_hashes(recorded):
    body = recorded.get("/v0/usage?group_by=client", headers=ADMIN).get_json()
    assert {r["label"]: r["input_tokens"] for r in body["rows"]} == {
        "alpha team": 300, key_id(BETA): 300}
    body = recorded.get("/v0/usage?group_by=credential", headers=ADMIN).get_json()
    assert body["rows"][0]["label"] == "claude sk-a…alue"


def test_usage_by_actor_with_iso_times(recorded):
    body = recorded.get("/v0/usage?group_by=actor&from=2025-01-01&to=2025-01-01",
                        headers=ADMIN).get_json()
    assert {r["key"]: r["requests"] for r in body["rows"]} == {
        None: 1, "alice": 1, "=cmd|' /C calc'!A0": 1}
    assert body["from"] == T0 and body["from_iso"] == "2025-01-01T00:00:00+00:00"
    assert body["to_iso"] == "2025-01-02T00:00:00+00:00"


def test_usage_series_in_hour_buckets(recorded):
    body = recorded.get("/v0/usage?group_by=client&bucket=hour&from=2025-01-01",
                        headers=ADMIN).get_json()
    assert sorted((r["iso"], r["label"], r["output_tokens"]) for r in body["series"]) == [
        ("2025-01-01T00:00:00+00:00", "alpha team", 10),
        ("2025-01-01T01:00:00+00:00", "alpha team", 20),
        ("2025-01-01T01:00:00+00:00", key_id(BETA), 30)]
    assert body["totals"]["output_tokens"] == 60


def test_usage_as_csv_defuses_formulas(recorded):
    resp = recorded.get("/v0/usage?group_by=actor&bucket=day&format=csv", headers=ADMIN)
    assert resp.mimetype == "text/csv" and "attachment" in resp.headers["Content-Disposition"]
    lines = resp.get_data(as_text=True).splitlines()
    assert lines[0] == ("ts,iso,key,label,requests,errors,input_tokens,output_tokens,"
                        "cached_tokens,cache_creation_tokens,reasoning_tokens")
    assert lines[1:] == [
        f"{int(T0)},2025-01-01T00:00:00+00:00,,(none),1,0,300,30,5,0,0",
        f"{int(T0)},2025-01-01T00:00:00+00:00,'=cmd|' /C calc'!A0,'=cmd|' /C calc'!A0,1,0,200,20,5,0,0",
        f"{int(T0)},2025-01-01T00:00:00+00:00,alice,alice,1,0,100,10,5,0,0"]


def test_usage_as_svg_chart(recorded):
    resp = recorded.get("/v0/usage?group_by=client&bucket=hour&format=svg&metric=input_tokens"
                        "&from=2025-01-01&to=2025-01-01", headers=ADMIN)
    assert resp.mimetype == "image/svg+xml"
    svg = ET.fromstring(resp.data)
    ns = {"s": "http://www.w3.org/2000/svg"}
    buckets = svg.findall("s:g[@class='bucket']", ns)
    assert len(buckets) == 24                      # the whole day, empty hours included
    assert [int(b.get("data-total")) for b in buckets[:3]] == [100, 500, 0]
    bars = [(r.get("data-group"), r.get("data-value")) for r in buckets[1].findall("s:rect", ns)]
    assert sorted(bars) == [("alpha team", "200"), (key_id(BETA), "300")]


@pytest.mark.parametrize("query", ["format=svg", "format=pdf", "bucket=week",
                                   "bucket=hour&format=svg&metric=colour"])
def test_usage_rejects_bad_formats(recorded, query):
    resp = recorded.get(f"/v0/usage?{query}", headers=ADMIN)
    assert resp.status_code == 400 and resp.get_json()["error"]["type"] == "invalid_request_error"


def test_pool_shows_activity_of_the_last_5_min_and_24_h(dash):
    client, _ = dash
    store = usage_store.current()
    cred = runtime.current().pool.credentials[0].id
    now = time.time()
    for seq, (outcome, age) in enumerate([("success", 10), ("transient", 20), ("success", 3600),
                                          ("rate_limit", 7200), ("success", 90000)]):
        store.submit_attempt({"request_id": str(seq), "ts": now - age, "seq": 1,
                              "credential_id": cred, "outcome": outcome})
    body = client.get("/v0/management/pool", headers=ADMIN).get_json()
    assert body["credentials"][0]["activity"] == {"5m": {"requests": 2, "errors": 1},
                                                 "24h": {"requests": 4, "errors": 2}}


# -- config view -------------------------------------------------------------

def test_config_masks_every_secret(dash):
    client, _ = dash
    resp = client.get("/v0/management/config", headers=ADMIN)
    text = resp.get_data(as_text=True)
    for secret in (SECRET, ALPHA, BETA, ANT_KEY, "metrics-secret-value"):
        assert secret not in text
    body = resp.get_json()
    assert body["config"]["api-keys"][0]["label"] == "alpha team"
    assert body["config"]["claude-api-key"][0]["api-key"] == "sk-a…alue"
    assert body["pending"] == [] and body["file_error"] is None
    assert "usage.store-path" in body["restart_keys"]


def test_config_lists_keys_waiting_for_restart_or_reload(dash, tmp_path):
    client, path = dash
    changed = raw_config(tmp_path, port=9999, **{"request-retry": 7})
    changed["usage"]["retention-days"] = 3
    path.write_text(yaml.safe_dump(changed), encoding="utf-8")
    pending = client.get("/v0/management/config", headers=ADMIN).get_json()["pending"]
    assert {p["key"]: (p["needs"], p.get("running"), p.get("file")) for p in pending} == {
        "port": ("restart", 8317, 9999), "request-retry": ("reload", 3, 7),
        "usage.retention-days": ("restart", 30, 3)}
    client.post("/v0/management/reload", headers=ADMIN)       # a reload applies what it can
    pending = client.get("/v0/management/config", headers=ADMIN).get_json()["pending"]
    assert {p["key"] for p in pending} == {"port", "usage.retention-days"}
    path.write_text("port: [", encoding="utf-8")
    body = client.get("/v0/management/config", headers=ADMIN).get_json()
    assert "not valid YAML" in body["file_error"]


# -- live feed ---------------------------------------------------------------

def finished(request_id, **over):
    record = {"request_id": request_id, "ts": T0, "client_key_id": key_id(ALPHA),
              "dialect": "claude", "provider": "claude", "model": "claude-x", "status": 200,
              "latency_ms": 12.5, "input_tokens": 3, "prompt": "secret prompt text"}
    record.update(over)
    return record


@pytest.fixture
def feed():
    saved, fresh = live_feed.current(), live_feed.LiveFeed(size=10)
    live_feed.install(fresh)
    yield fresh
    live_feed.install(saved)


def test_recent_requests_with_labels(dash, feed):
    client, _ = dash
    for i in range(12):
        feed.publish(finished(f"r{i}", status=200 if i % 2 else 502))
    body = client.get("/v0/management/requests?limit=3", headers=ADMIN).get_json()
    assert [r["request_id"] for r in body["requests"]] == ["r9", "r10", "r11"]
    assert body["requests"][0]["client"] == "alpha team"
    assert body["requests"][0]["iso"] == "2025-01-01T00:00:00.000+00:00"
    assert "prompt" not in body["requests"][0]


def _frames(stream, count):
    """The first ``count`` SSE ``request`` events of a streamed response body."""
    events, buffer = [], b""
    for chunk in stream:
        buffer += chunk
        while b"\n\n" in buffer:
            frame, buffer = buffer.split(b"\n\n", 1)
            if b"event: request" in frame:
                events.append(frame)
        if len(events) >= count:
            return events
    return events


def test_live_stream_sends_backlog_then_new_requests(dash, feed):
    client, _ = dash
    feed.publish(finished("before-1"))
    feed.publish(finished("before-2"))
    resp = client.get("/v0/management/requests/live?backlog=1", headers=ADMIN, buffered=False)
    assert resp.mimetype == "text/event-stream"
    stream = iter(resp.response)
    assert b"before-2" in _frames(stream, 1)[0]
    later = gevent.spawn(feed.publish, finished("later", status=429))   # runs once the stream waits
    frame = _frames(stream, 1)[0]
    later.join()
    assert frame.startswith(b"id: 3\n") and b'"status":429' in frame and b"later" in frame
    resp.close()


def test_live_stream_resumes_after_last_event_id(dash, feed):
    client, _ = dash
    for i in range(4):
        feed.publish(finished(f"r{i}"))
    headers = dict(ADMIN, **{"Last-Event-ID": "2"})
    resp = client.get("/v0/management/requests/live", headers=headers, buffered=False)
    frames = _frames(iter(resp.response), 2)
    assert [f.split(b"\n")[0] for f in frames] == [b"id: 3", b"id: 4"]
    resp.close()


def test_live_stream_needs_management(dash, feed):
    client, _ = dash
    assert client.get("/v0/management/requests/live").status_code == 401
    headers = {"Authorization": f"Bearer {ALPHA}"}
    assert client.get("/v0/management/requests/live", headers=headers).status_code == 401
