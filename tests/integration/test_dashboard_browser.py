"""The dashboard in a real headless Chromium (Debian's ``chromium``, driven
by Playwright; no browser is downloaded) against a real gunicorn + gevent
gateway with traffic from the fake upstream: log in, every credential row,
the usage chart and the live table show the numbers the traffic made,
"Disable" changes a credential's state.

Skips when Chromium is absent, except in CI (``CI=true``), where .ci/run
installs it.  ``SWITCHYARD_SCREENSHOT_DIR=docs`` also writes the README's
screenshots (one per tab) there.
"""
import json
import os
import re
import shutil
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.integration.conftest import CLIENT_KEY, KEYS, MODELS, launch, standard_config
from tests.integration import fake_answers
from tests.integration.fake_answers import USAGE
from tests.integration.fake_upstream import Fault

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SECRET = "dashboard-browser-secret"
BATCH_KEY = "sk-client-batch-9876543210"
TIMEOUT_MS = 10_000

if not os.path.exists(CHROMIUM):
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        raise RuntimeError(f"CI must run the browser test: no Chromium at {CHROMIUM} "
                           "(.ci/run installs Debian's chromium package)")
    pytest.skip("no Chromium (apt-get install -y chromium) for the dashboard browser test",
                allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

# (client key, client label, front door, upstream dialect) of each request sent
TRAFFIC = [(CLIENT_KEY, "ci-laptop", "openai", "openai")] * 3 + [
    (CLIENT_KEY, "ci-laptop", "claude", "claude"),
    (BATCH_KEY, "batch-jobs", "gemini", "gemini"), (BATCH_KEY, "batch-jobs", "gemini", "gemini"),
]
FAILING = (BATCH_KEY, "batch-jobs", "responses", "responses")   # the upstream refuses its key
ACTOR = '<img src=x onerror="document.body.dataset.pwned=1">nightly'   # client-chosen text


@pytest.fixture(scope="module")
def dash_gateway(fake, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dashboard")
    auth_dir = tmp / "auth"          # two auth files that serve nothing, each shown with why
    auth_dir.mkdir()
    (auth_dir / "kimi-user.json").write_text('{"type": "kimi", "access_token": "t"}')
    (auth_dir / "broken.json").write_text("{not json")
    config = standard_config(
        fake.url, **{"api-keys": [{"key": CLIENT_KEY, "label": "ci-laptop"},
                                  {"key": BATCH_KEY, "label": "batch-jobs"}],
                     "usage": {"enabled": True, "store-path": str(tmp / "usage.db")},
                     "remote-management": {"secret-key": SECRET}, "auth-dir": str(auth_dir)})
    gw = launch(config, str(tmp))
    yield gw
    gw.stop()


def send(gw, key, front, upstream):
    model = MODELS[upstream]
    headers = {"Authorization": f"Bearer {key}"}
    if key == BATCH_KEY:
        headers["X-Switchyard-Actor"] = ACTOR
    if front == "openai":
        path, body = "/v1/chat/completions", {"model": model,
                                              "messages": [{"role": "user", "content": "hi"}]}
    elif front == "claude":    # (the body claude_answer_with_rate_limits answers)
        path, body = "/v1/messages", {"model": model, "max_tokens": 50,
                                      "messages": [{"role": "user", "content": "hi"}]}
    elif front == "responses":
        path, body = "/v1/responses", {"model": model, "input": "hi"}
    else:
        path = f"/v1beta/models/{model}:generateContent"
        body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    return requests.post(gw.url + path, json=body, headers=headers, timeout=20)


def claude_answer_with_rate_limits():
    """A normal Anthropic answer carrying the rate-limit headers Anthropic sends
    (docs.anthropic.com, "Rate limits": requests 49 of 50 left)."""
    body = {"model": MODELS["claude"], "max_tokens": 50,
            "messages": [{"role": "user", "content": "hi"}]}
    reset = (datetime.now(timezone.utc) + timedelta(seconds=60)).isoformat(timespec="seconds")
    return Fault(raw=json.dumps(fake_answers.whole("claude", body, MODELS["claude"])).encode(),
                 headers={"content-type": "application/json",
                          "anthropic-ratelimit-requests-limit": "50",
                          "anthropic-ratelimit-requests-remaining": "49",
                          "anthropic-ratelimit-requests-reset": reset,
                          # a subscription's unified window (shown as a share used)
                          "anthropic-ratelimit-unified-5h-utilization": "0.42",
                          "anthropic-ratelimit-unified-5h-status": "allowed"})


@pytest.fixture(scope="module")
def traffic(dash_gateway, fake):
    fake.reset_state()
    fake.script(KEYS["claude"], claude_answer_with_rate_limits())
    for key, _, front, upstream in TRAFFIC:
        resp = send(dash_gateway, key, front, upstream)
        assert resp.status_code == 200, resp.text
    fake.script(KEYS["responses"], Fault(status=401, body={
        "error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                  "code": "invalid_api_key"}}))
    failed = send(dash_gateway, *FAILING[:1], *FAILING[2:])
    assert failed.status_code >= 400
    return failed.status_code


@pytest.fixture
def page(tmp_path):
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 720}, color_scheme="light")
        page = browser.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        yield page
        browser.close()


def screenshot(page, tmp_path, tab):
    page.screenshot(path=str(tmp_path / f"dashboard-{tab}.png"), full_page=True)
    docs = os.environ.get("SWITCHYARD_SCREENSHOT_DIR")
    if docs:
        page.screenshot(path=os.path.join(docs, f"dashboard-{tab}.png"))


def cell(row, column):
    """Text of a row's cell under the header ``column``."""
    headers = row.page.locator("table:visible thead th").all_inner_texts()
    return row.locator("td").nth(headers.index(column)).inner_text()


def test_dashboard_in_a_real_browser(dash_gateway, traffic, page, tmp_path):
    page.goto(f"{dash_gateway.url}/dashboard")
    page.fill("#key", "not the key")
    page.click("#login-form button")
    expect(page.locator("#login-error")).to_contain_text("neither")
    page.fill("#key", SECRET)
    page.click("#login-form button")

    # Credentials: one row per credential, with the attempts the traffic made.
    pool = requests.get(f"{dash_gateway.url}/v0/management/pool",
                        headers={"Authorization": f"Bearer {SECRET}"}).json()["credentials"]
    rows = page.locator("#credentials tbody tr")
    expect(rows).to_have_count(len(pool) + 2)
    for account, status, reason in (("auth:kimi-user.json", "unsupported", "Kimi"),
                                     ("auth:broken.json", "malformed", "")):
        row = page.locator(f'#credentials tr[data-id="{account}"]')
        assert cell(row, "State") == status and reason in cell(row, "Last error")
        assert cell(row, "Last error") != "–" and row.locator("button").count() == 0
    attempts = {"openai": 3, "claude": 1, "gemini": 2, "responses": 1, "echo": 0}
    by_dialect = {"openai-compat": "openai", "claude": "claude", "gemini": "gemini",
                  "codex": "responses", "echo": "echo"}
    for cred in pool:
        row = page.locator(f'#credentials tr[data-id="{cred["id"]}"]')
        dialect = by_dialect[cred["provider"]]
        assert cell(row, "Provider") == cred["provider"]
        assert cell(row, "Req 5 min") == str(attempts[dialect])
        assert cell(row, "Req 24 h") == str(attempts[dialect])
        if dialect == "responses":           # the refused key: cooling, error named
            assert cell(row, "Err 5 min") == "1 (100%)"
            assert cell(row, "State").startswith("cooling")
            assert cell(row, "Last error").startswith("401")
        else:
            assert cell(row, "Err 5 min") == ("0 (0%)" if attempts[dialect] else "0")
            assert cell(row, "State") == "ready" and cell(row, "Last error") == "–"
        if dialect == "claude":              # the window Anthropic reported
            assert re.match(r"requests: 49 of 50 left, resets \d\d:\d\d:\d\d UTC; "
                            r"unified-5h: 42% used \(allowed\)$",
                            cell(row, "Cooldowns / quota windows"))
    screenshot(page, tmp_path, "credentials")

    claude = [c["id"] for c in pool if c["provider"] == "claude"][0]
    row = page.locator(f'#credentials tr[data-id="{claude}"]')
    row.locator('button[data-action="disable"]').click()
    expect(row).to_have_attribute("data-state", "disabled")
    assert cell(row, "State") == "disabled"
    expect(row.locator('button[data-action="enable"]')).to_be_visible()
    pool = requests.get(f"{dash_gateway.url}/v0/management/pool",
                        headers={"Authorization": f"Bearer {SECRET}"}).json()["credentials"]
    assert {c["id"]: c["state"] for c in pool}[claude] == "disabled"

    # Usage: totals, per-model bars and the client labels.
    page.click('[data-tab="usage"]')
    ok = len(TRAFFIC)
    per_request = USAGE["input_tokens"] + USAGE["output_tokens"]
    expect(page.locator('[data-total="requests"] dd')).to_have_text(str(ok + 1))
    expect(page.locator('[data-total="input_tokens"] dd')).to_have_text(
        str(ok * USAGE["input_tokens"]))
    expect(page.locator("#usage-chart svg")).to_have_attribute("data-bucket", "hour")
    values = {}                  # per model over every hour bar (the traffic may span two)
    for bar in page.locator("#usage-chart rect.bar").all():
        group = bar.get_attribute("data-group")
        values[group] = values.get(group, 0) + int(bar.get_attribute("data-value"))
    assert values == {MODELS["openai"]: 3 * per_request, MODELS["claude"]: per_request,
                      MODELS["gemini"]: 2 * per_request}
    page.select_option('#usage-form select[name="group_by"]', "client")
    page.click('#usage-form button[type="submit"]')
    expect(page.locator("#usage-rows tbody tr")).to_have_count(2)
    labels = page.locator("#usage-rows tbody tr td:first-child").all_inner_texts()
    assert sorted(labels) == ["batch-jobs", "ci-laptop"]
    expect(page.locator("#usage-chart .legend").first).to_be_visible()
    with page.expect_download() as download:
        page.click("#usage-csv")
    csv_lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert csv_lines[0].startswith("ts,iso,key,label,requests")
    assert sum(int(line.split(",")[4]) for line in csv_lines[1:]) == ok + 1
    page.select_option('#usage-form select[name="group_by"]', "model")
    page.click('#usage-form button[type="submit"]')
    expect(page.locator("#usage-rows tbody tr")).to_have_count(4)
    screenshot(page, tmp_path, "usage")

    # Live: the backlog, filters, and a new request arriving by itself.
    page.click('[data-tab="live"]')
    live = page.locator("#live tbody tr")
    expect(live).to_have_count(ok + 1)
    failed = page.locator("#live tbody tr.failed")
    expect(failed).to_have_count(1)
    assert cell(failed, "Status") == str(traffic) and cell(failed, "Client") == "batch-jobs"
    assert cell(live.last, "Front door → upstream") == "openai → openai-compat"
    assert cell(live.last, "Tokens in") == str(USAGE["input_tokens"])
    page.select_option("#live-status", "error")
    expect(live).to_have_count(1)
    page.select_option("#live-status", "")
    page.select_option("#live-client", "batch-jobs")
    expect(live).to_have_count(3)
    page.select_option("#live-client", "")
    assert send(dash_gateway, CLIENT_KEY, "gemini", "gemini").status_code == 200
    expect(live).to_have_count(ok + 2)
    assert cell(live.first, "Model") == MODELS["gemini"]
    assert cell(live.first, "Client") == "ci-laptop"
    screenshot(page, tmp_path, "live")

    # Config: secrets masked, nothing pending.
    page.click('[data-tab="config"]')
    expect(page.locator("#config-json")).to_contain_text('"secret-key": "(set, hidden)"')
    text = page.locator("#config-json").inner_text()
    for secret in (SECRET, CLIENT_KEY, BATCH_KEY, *KEYS.values()):
        assert secret not in text
    expect(page.locator("#config-pending")).to_contain_text("Nothing")
    screenshot(page, tmp_path, "config")
    assert re.search(r"dashboard-config\.png", " ".join(os.listdir(tmp_path)))


def test_a_client_key_sees_only_its_own_usage(dash_gateway, traffic, page):
    page.emulate_media(color_scheme="dark")
    page.goto(f"{dash_gateway.url}/dashboard")
    page.fill("#key", BATCH_KEY)
    page.click("#login-form button")
    expect(page.locator('[data-tab="usage"]')).to_be_visible()
    expect(page.locator('[data-tab="credentials"]')).to_have_count(0)
    expect(page.locator('[data-total="requests"] dd')).to_have_text(
        str(sum(1 for t in TRAFFIC if t[0] == BATCH_KEY) + 1))
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 25, 30)"                 # the dark theme, as the browser asks
    # A client-chosen actor is shown as text, never run as markup.
    page.select_option('#usage-form select[name="group_by"]', "actor")
    page.click('#usage-form button[type="submit"]')
    expect(page.locator("#usage-rows tbody tr td:first-child")).to_have_text([ACTOR])
    expect(page.locator("#usage-chart .legend")).to_have_text(ACTOR[:23] + "…")
    assert page.locator("#usage-rows img, #usage-chart img").count() == 0
    assert page.evaluate("document.body.dataset.pwned") is None
