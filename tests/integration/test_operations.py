"""Usage accounting, metrics, management and hot reload through the real
server: numbers recorded must be the numbers the fake upstream reported,
streamed or whole, in every dialect."""
import sqlite3
import threading
import time

import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.integration import clients
from tests.integration.conftest import CLIENT_KEY, KEYS, MODELS, launch, standard_config
from tests.integration.fake_answers import USAGE

SECRET = "mgmt-secret-for-tests"
IR_USAGE = {k: USAGE[k] for k in ("input_tokens", "output_tokens", "cached_tokens",
                                  "cache_creation_tokens", "reasoning_tokens")}


@pytest.fixture(scope="module")
def ops_gateway(fake, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ops")
    config = standard_config(
        fake.url, usage={"enabled": True, "store-path": str(tmp / "usage.db")},
        **{"remote-management": {"secret-key": SECRET}, "watch-config": True,
           "send-actor-headers": True})
    gw = launch(config, str(tmp))
    gw.db = str(tmp / "usage.db")
    yield gw
    gw.stop()


def eventually(check, timeout=10.0):
    """Poll ``check`` until it returns a truthy value (records are written
    by a background greenlet, so they land shortly after the response)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _row(gw, request_id):
    def fetch():
        with sqlite3.connect(gw.db) as conn:
            conn.row_factory = sqlite3.Row
            row = conn.execute("SELECT * FROM requests WHERE request_id = ?",
                               (request_id,)).fetchone()
        return dict(row) if row else None
    return eventually(fetch)


def _tokens(row):
    return {k: row[k] for k in IR_USAGE}


CASES = [  # (client dialect, upstream dialect, stream)
    ("openai", "openai", False), ("openai", "openai", True),
    ("responses", "responses", True), ("claude", "claude", False),
    ("claude", "claude", True), ("gemini", "gemini", True),
    ("claude", "openai", True), ("gemini", "responses", False),
]


def _send(gw, client, up, stream, request_id):
    headers = {"X-Request-Id": request_id, "Authorization": f"Bearer {CLIENT_KEY}",
               "X-Switchyard-Actor": "alice"}
    model = MODELS[up]
    if client == "openai":
        path, body = "/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    elif client == "responses":
        path, body = "/v1/responses", {"model": model, "input": "hi"}
    elif client == "claude":
        path, body = "/v1/messages", {"model": model, "max_tokens": 50,
                                      "messages": [{"role": "user", "content": "hi"}]}
    else:
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        path = f"/v1beta/models/{model}:{method}"
        body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    if stream and client != "gemini":
        body["stream"] = True
    resp = requests.post(gw.url + path, json=body, headers=headers, timeout=20)
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("client,up,stream", CASES)
def test_usage_recorded_exactly(ops_gateway, upstream, client, up, stream):
    request_id = f"usage-{client}-{up}-{stream}"
    _send(ops_gateway, client, up, stream, request_id)
    row = _row(ops_gateway, request_id)
    expected = dict(IR_USAGE, reasoning_tokens=0 if up == "claude" else USAGE["reasoning_tokens"])
    assert _tokens(row) == expected
    assert row["dialect"] == client and row["stream"] == int(stream)
    assert row["status"] == 200 and row["actor"] == "alice"
    assert row["model"] == MODELS[up] and row["attempts"] == 1
    assert CLIENT_KEY not in str(row) and row["client_key_id"]


def test_usage_report_groups(ops_gateway, upstream):
    _send(ops_gateway, "openai", "openai", False, "report-1")
    resp = requests.get(f"{ops_gateway.url}/v0/usage", params={"group_by": "model"},
                        headers={"Authorization": f"Bearer {CLIENT_KEY}"})
    rows = {r["key"]: r for r in resp.json()["rows"]}
    assert rows[MODELS["openai"]]["input_tokens"] >= USAGE["input_tokens"]
    assert rows[MODELS["openai"]]["requests"] >= 1


def test_metrics_scraped(ops_gateway, upstream):
    _send(ops_gateway, "claude", "claude", False, "metrics-1")
    text = requests.get(f"{ops_gateway.url}/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    requests_total = [s for s in families["switchyard_requests"].samples
                      if s.labels.get("dialect") == "claude" and s.name.endswith("_total")]
    assert sum(s.value for s in requests_total) >= 1
    token_samples = families["switchyard_tokens"].samples
    assert any(s.labels.get("kind") == "cached" and s.value >= USAGE["cached_tokens"]
               for s in token_samples)


def _mgmt(gw, method, path, key=SECRET, **kwargs):
    headers = kwargs.pop("headers", {})
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return requests.request(method, f"{gw.url}/v0/management{path}", headers=headers,
                            timeout=10, **kwargs)


def test_management_auth(ops_gateway):
    assert _mgmt(ops_gateway, "GET", "/pool", key=None).status_code == 401
    assert _mgmt(ops_gateway, "GET", "/pool", key=CLIENT_KEY).status_code == 401
    spoofed = _mgmt(ops_gateway, "GET", "/pool", headers={"X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status_code == 200                 # the socket peer is what counts
    state = spoofed.json()
    assert KEYS["claude"] not in str(state)


def test_management_adds_a_client_key_live(ops_gateway):
    resp = _mgmt(ops_gateway, "POST", "/api-keys", json={"key": "sk-new-client-key-123"})
    assert resp.status_code in (200, 201)
    client = clients.openai_client(ops_gateway, key="sk-new-client-key-123")
    answer = client.chat.completions.create(model=MODELS["openai"],
                                            messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content == "Hello from openai"
    with open(ops_gateway.config_path) as f:
        assert "sk-new-client-key-123" in f.read()


def test_invalid_config_rejected_old_one_kept(ops_gateway):
    with open(ops_gateway.config_path) as f:
        good = f.read()
    try:
        with open(ops_gateway.config_path, "w") as f:
            f.write("routing: {strategy: sideways}\n")
        resp = _mgmt(ops_gateway, "POST", "/reload")
        assert resp.status_code == 400 and "routing.strategy" in resp.json()["error"]["message"]
        still = clients.openai_client(ops_gateway).chat.completions.create(
            model=MODELS["openai"], messages=[{"role": "user", "content": "hi"}])
        assert still.choices[0].message.content == "Hello from openai"
    finally:
        with open(ops_gateway.config_path, "w") as f:
            f.write(good)
        _mgmt(ops_gateway, "POST", "/reload")


def test_hot_reload_under_load_drops_nothing(ops_gateway, upstream):
    failures, done, count = [], threading.Event(), [0]

    def load():
        session = requests.Session()
        while not done.is_set():
            resp = session.post(f"{ops_gateway.url}/v1/chat/completions", timeout=20,
                                headers={"Authorization": f"Bearer {CLIENT_KEY}"},
                                json={"model": MODELS["openai"], "stream": True,
                                      "messages": [{"role": "user", "content": "hi"}]})
            count[0] += 1
            if resp.status_code != 200 or not resp.text.rstrip().endswith("data: [DONE]"):
                failures.append((resp.status_code, resp.text[:200]))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    with open(ops_gateway.config_path) as f:
        config = yaml.safe_load(f)
    config["openai-compatibility"][0]["models"].append({"name": MODELS["openai"], "alias": "hot-alias"})
    with open(ops_gateway.config_path, "w") as f:
        yaml.safe_dump(config, f)              # the watcher picks this up by itself
    listed = eventually(lambda: "hot-alias" in requests.get(
        f"{ops_gateway.url}/v1/models", headers={"Authorization": f"Bearer {CLIENT_KEY}"}).text)
    done.set()
    for t in threads:
        t.join()
    assert listed, "the watcher did not apply the new config"
    assert failures == [] and count[0] > 10
    answer = clients.openai_client(ops_gateway).chat.completions.create(
        model="hot-alias", messages=[{"role": "user", "content": "hi"}])
    assert answer.choices[0].message.content == "Hello from openai"


def test_actor_forwarded_with_aibridge_headers(ops_gateway, upstream):
    resp = requests.post(f"{ops_gateway.url}/v1/messages", timeout=20, headers={
        "x-api-key": CLIENT_KEY, "X-Switchyard-Actor": "bob",
        "X-Switchyard-Actor-Metadata-Team": "infra"},
        json={"model": MODELS["claude"], "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
    assert resp.status_code == 200
    sent = upstream.calls_for(KEYS["claude"])[-1].headers
    assert sent["x-ai-bridge-actor-id"] == "bob"
    assert sent["x-ai-bridge-actor-metadata-team"] == "infra"
    assert "x-switchyard-actor" not in sent


def test_reload_changes_the_body_limit_at_once(ops_gateway):
    with open(ops_gateway.config_path) as f:
        good = f.read()
    big = {"model": MODELS["openai"], "messages": [{"role": "user", "content": "x" * 1_500_000}]}
    headers = {"Authorization": f"Bearer {CLIENT_KEY}"}
    try:
        config = yaml.safe_load(good)
        config["request-body-limit-mb"] = 1
        with open(ops_gateway.config_path, "w") as f:
            yaml.safe_dump(config, f)
        assert _mgmt(ops_gateway, "POST", "/reload").status_code == 200
        resp = requests.post(f"{ops_gateway.url}/v1/chat/completions", json=big,
                             headers=headers, timeout=20)
        assert resp.status_code == 413 and "request-body-limit-mb" in resp.json()["error"]["message"]
    finally:
        with open(ops_gateway.config_path, "w") as f:
            f.write(good)
        _mgmt(ops_gateway, "POST", "/reload")
    resp = requests.post(f"{ops_gateway.url}/v1/chat/completions", json=big, headers=headers,
                         timeout=20)
    assert resp.status_code == 200
