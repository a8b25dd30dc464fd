"""A Gemini CLI login without a Code Assist project, through the real server.

``switchyard import gemini`` turns Gemini CLI's ``oauth_creds.json`` (which
names no project) into an auth file with ``project_id: ""``.  Two gunicorn
workers find the project once (loadCodeAssist, answered by the fake OAuth
server behind the fake upstream), write it into the file, and the account
serves through all four front doors with the project in Code Assist's
envelope (the fake refuses an envelope without one, as Code Assist does).
An account Code Assist gives no project stays out of rotation with the
reason in /v0/pool and the management list, until the file names one.
"""
import json
import os
import re
import time

import pytest
import requests

from proxy.cli import main
from tests.fakes.oauth_server import FakeOAuthServer
from tests.integration.conftest import CLIENT_KEY, launch
from tests.integration.test_cross_dialect import Claude, Gemini, OpenAIChat, Responses

SECRET = "mgmt-secret-gemini-project"
NAME = "gemini-g@example.com.json"


@pytest.fixture
def oauth(fake):
    with FakeOAuthServer(email="g@example.com") as server:
        fake.oauth = server                  # Code Assist setup calls reach it through the fake
        yield server
        fake.oauth = None


def _imported(tmp_path, oauth):
    """The auth dir after ``switchyard import gemini`` of a Gemini CLI login."""
    t = oauth.grant()
    creds = tmp_path / "oauth_creds.json"
    creds.write_text(json.dumps({
        "access_token": t["access_token"], "refresh_token": t["refresh_token"],
        "scope": "https://www.googleapis.com/auth/cloud-platform", "token_type": "Bearer",
        "expiry_date": int((time.time() + 3600) * 1000)}))
    folder = tmp_path / "auth"
    assert main(["import", "gemini", str(creds), "--auth-dir", str(folder)]) == 0
    (name,) = os.listdir(folder)
    os.rename(folder / name, folder / NAME)
    data = json.loads((folder / NAME).read_text())
    assert data["project_id"] == "" and data["checked"] is False
    return str(folder)


def _launch(fake, oauth, folder, tmp_path, workers="2"):
    config = {"api-keys": [CLIENT_KEY], "auth-dir": folder, "auth-dir-poll-seconds": 0.2,
              "remote-management": {"secret-key": SECRET}, "usage": {"enabled": False},
              "watch-config": False,
              "oauth": {"gemini-token-url": oauth.token_url, "gemini-base-url": fake.url}}
    return launch(config, str(tmp_path), {"WEB_CONCURRENCY": workers})


def _wait_for(predicate, timeout=15.0):
    """Poll ``predicate`` (the workers act on their own schedule); seconds taken."""
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < timeout, "condition not reached"
        time.sleep(0.05)
    return time.monotonic() - start


def _listed(gw):
    pool = requests.get(f"{gw.url}/v0/pool", timeout=5, headers={"Connection": "close"})
    return pool.json(), pool.text


def _every_worker_serving(gw):
    """pids of the workers that loaded the account after its project was
    saved (each rebuilds from the folder once it settles, and once at start)."""
    log = gw.log()
    saved = log.find("Code Assist project fake-project found and saved")
    if saved < 0:
        return set()
    return set(re.findall(r"auth directory changed \(pid (\d+)\): 1 accounts", log[saved:]))


def _serving(gw):
    return any(c["id"] == f"auth:{NAME}" for c in _listed(gw)[0]["credentials"])


def test_an_imported_gemini_login_finds_its_project_once_and_serves_every_door(
        fake, upstream, oauth, tmp_path):
    folder = _imported(tmp_path, oauth)
    started = time.monotonic()
    gw = _launch(fake, oauth, folder, tmp_path)
    try:
        _wait_for(lambda: len(_every_worker_serving(gw)) == 2)
        print(f"imported Gemini file served {time.monotonic() - started:.2f}s after launch")
        data = json.loads(open(os.path.join(folder, NAME)).read())
        assert data["project_id"] == "fake-project" and data["checked"] is True
        assert data["auto"] is True and data["token"]["refresh_token"]
        assert os.stat(os.path.join(folder, NAME)).st_mode & 0o777 == 0o600
        # one of the two workers asked; the other read the file
        assert [p for _, p, _ in oauth.code_assist_calls] == ["/v1internal:loadCodeAssist"]
        assert gw.log().count("Code Assist project fake-project found and saved") == 1
        for door in (OpenAIChat, Responses, Claude, Gemini):
            text, _ = door(gw).text("gemini-fake")
            assert "Hello from" in text
            text, _ = door(gw).stream("gemini-fake")
            assert "Hello from" in text
        generates = [c for c in upstream.calls if c.path.startswith("/v1internal:")
                     and "generatecontent" in c.path.lower()]
        assert len(generates) == 8
        assert {c.body.get("project") for c in generates} == {"fake-project"}
        assert data["token"]["access_token"] not in gw.log()
    finally:
        gw.stop()
    # after a restart the project is read from the file: nothing is asked again
    (tmp_path / "again").mkdir()
    gw = _launch(fake, oauth, folder, tmp_path / "again", workers="1")
    try:
        text, _ = Gemini(gw).text("gemini-fake")
        assert "Hello from" in text and upstream.calls[-1].body["project"] == "fake-project"
        assert len(oauth.code_assist_calls) == 1 and "setting up" not in _listed(gw)[1]
    finally:
        gw.stop()


def test_an_account_without_a_project_says_why_until_the_file_names_one(
        fake, upstream, oauth, tmp_path):
    oauth.project_id = ""                 # set up, but no project: a Workspace account
    folder = _imported(tmp_path, oauth)
    gw = _launch(fake, oauth, folder, tmp_path, workers="1")
    try:
        def reason():
            (account,) = _listed(gw)[0]["accounts"]
            return account["status"] == "setting up" and "Google Cloud project" in \
                account["reason"]
        _wait_for(reason)
        pool, text = _listed(gw)
        assert not any(c["id"] == f"auth:{NAME}" for c in pool["credentials"])
        files = requests.get(f"{gw.url}/v0/management/auth-files", timeout=5,
                             headers={"Authorization": f"Bearer {SECRET}"}).json()["files"]
        (listed,) = files
        assert listed["status"] == "setting up" and "project_id" in listed["reason"]
        token = json.loads(open(os.path.join(folder, NAME)).read())["token"]
        for shown in (text, json.dumps(files), gw.log()):
            assert token["access_token"] not in shown and token["refresh_token"] not in shown
        # nothing went upstream without a project; a request is not served by it
        refused = requests.post(f"{gw.url}/v1beta/models/gemini-fake:generateContent",
                                timeout=10, headers={"x-goog-api-key": CLIENT_KEY},
                                json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
        assert refused.status_code == 404
        assert not [c for c in upstream.calls if "generateContent" in c.path]
        # the user names the project in the file: it serves at once
        path = os.path.join(folder, NAME)
        data = json.loads(open(path).read())
        with open(path, "w") as f:
            json.dump(dict(data, project_id="my-project"), f)
        _wait_for(lambda: _serving(gw))
        text, _ = Gemini(gw).text("gemini-fake")
        assert "Hello from" in text and upstream.calls[-1].body["project"] == "my-project"
    finally:
        gw.stop()
