"""Management API for auth files and API-started logins (against the fake
OAuth server; no provider contacted)."""
import json
import os
import stat

import pytest
import requests
from flask import Flask

from proxy import config as config_mod, runtime
from proxy.admin import login_forwarder, management, reload
from tests import services
from tests.fakes.oauth_server import FakeOAuthServer

SECRET = "admin-secret-123"
ADMIN = {"Authorization": f"Bearer {SECRET}"}


@pytest.fixture
def client(tmp_path, monkeypatch):
    saved = runtime.current()
    path = tmp_path / "config.yaml"
    path.write_text(f'auth-dir: "{tmp_path / "auth"}"\n'
                    f'remote-management:\n  secret-key: "{SECRET}"\n', encoding="utf-8")
    monkeypatch.setenv("SWITCHYARD_CONFIG", str(path))
    reload.apply(config_mod.load(str(path)))
    app = Flask(__name__)
    management.register(app, lockout=management.Lockout())
    yield app.test_client(), tmp_path / "auth"
    runtime.install(saved)


def test_upload_list_disable_delete(client):
    http, auth_dir = client
    record = {"type": "codex", "access_token": "at-secret", "refresh_token": "rt-secret",
              "email": "a@example.com", "account_id": "acct-1"}
    up = http.post("/v0/management/auth-files?name=codex-a.json", json=record, headers=ADMIN)
    assert up.status_code == 201
    assert stat.S_IMODE(os.stat(auth_dir / "codex-a.json").st_mode) == 0o600
    listed = http.get("/v0/management/auth-files", headers=ADMIN)
    assert "secret" not in listed.get_data(as_text=True)
    [entry] = listed.get_json()["files"]
    assert entry["name"] == "codex-a.json" and entry["email"] == "a@example.com"
    off = http.patch("/v0/management/auth-files/status", headers=ADMIN,
                     json={"name": "codex-a.json", "disabled": True})
    assert off.status_code == 200 and off.get_json()["disabled"] is True
    assert json.loads((auth_dir / "codex-a.json").read_text())["disabled"] is True
    bad = http.post("/v0/management/auth-files?name=x.json", json=[1], headers=ADMIN)
    assert bad.status_code == 400
    sneaky = http.post("/v0/management/auth-files?name=../../etc/x.json", json=record,
                       headers=ADMIN)
    assert sneaky.status_code == 201 and (auth_dir / "x.json").exists()
    assert http.delete("/v0/management/auth-files?name=codex-a.json",
                       headers=ADMIN).status_code == 200
    assert http.delete("/v0/management/auth-files?name=codex-a.json",
                       headers=ADMIN).status_code == 404
    assert http.get("/v0/management/auth-files").status_code == 401


def test_disable_and_enable_take_an_account_out_of_rotation_and_back(client):
    http, auth_dir = client
    record = {"type": "codex", "access_token": "at-b", "refresh_token": "rt-b",
              "email": "b@example.com", "account_id": "acct-b"}
    assert http.post("/v0/management/auth-files?name=codex-b.json", json=record,
                     headers=ADMIN).status_code == 201

    def listed():
        runtime.apply_config(runtime.current().config)     # what the folder watcher does
        [entry] = http.get("/v0/management/auth-files", headers=ADMIN).get_json()["files"]
        serving = "auth:codex-b.json" in {c.id for c in runtime.current().pool.credentials}
        return entry["status"], entry["reason"], serving
    assert listed() == ("loaded", "", True)
    for disabled, expected in ((True, ("disabled", "disabled: true in the file", False)),
                               (False, ("loaded", "", True))):
        assert http.patch("/v0/management/auth-files/status", headers=ADMIN, json={
            "name": "codex-b.json", "disabled": disabled}).status_code == 200
        assert listed() == expected


def test_login_started_and_completed_with_the_pasted_redirect(client, monkeypatch):
    http, auth_dir = client
    with FakeOAuthServer(email="z@example.com") as fake:
        config = dict(runtime.current().config)
        config["oauth"] = dict(config["oauth"], **{
            "claude-auth-url": fake.url, "claude-token-url": fake.token_url,
            "claude-base-url": fake.url, "claude-callback-port": services.free_port()})
        runtime.install(runtime.build(config))
        monkeypatch.setattr(login_forwarder, "ensure", lambda *args: True)   # not served here
        start = http.post("/v0/management/logins/claude", headers=ADMIN).get_json()
        assert start["status"] == "pending" and start["state"] in start["url"]
        status = http.get(f"/v0/management/logins/{start['state']}", headers=ADMIN)
        assert status.get_json()["status"] == "pending"
        redirect = requests.get(start["url"], allow_redirects=False, timeout=5).headers["Location"]
        done = http.post("/v0/management/logins/complete", headers=ADMIN,
                         json={"redirect_url": redirect})
        body = done.get_json()
        assert done.status_code == 200 and body["email"] == "z@example.com"
        assert "at-" not in done.get_data(as_text=True)
        record = json.loads((auth_dir / body["name"]).read_text())
        assert fake.valid(record["access_token"])
        status = http.get(f"/v0/management/logins/{start['state']}", headers=ADMIN).get_json()
        assert status["status"] == "done" and status["name"] == body["name"]
        again = http.post("/v0/management/logins/complete", headers=ADMIN,
                          json={"redirect_url": redirect})
        assert again.status_code == 404
    assert http.post("/v0/management/logins/nope", headers=ADMIN).status_code == 404


def test_cliproxyapi_management_calls_download_multipart_upload_and_bulk_delete(client):
    """The auth-file calls CLIProxyAPI's management panel makes
    (internal/api/handlers/management/auth_files_crud.go)."""
    import io
    http, auth_dir = client
    files = {"claude-a@example.com.json": {"type": "claude", "access_token": "sk-ant-oat01-x",
                                           "email": "a@example.com"},
             "codex-b.json": {"type": "codex", "access_token": "at-b", "email": "b@example.com"}}
    form = {"file": [(io.BytesIO(json.dumps(v).encode()), k) for k, v in files.items()]}
    up = http.post("/v0/management/auth-files", data=form, headers=ADMIN,
                   content_type="multipart/form-data")
    assert up.status_code == 201 and up.get_json()["uploaded"] == 2
    assert "sk-ant" not in up.get_data(as_text=True)
    assert json.loads((auth_dir / "codex-b.json").read_text()) == files["codex-b.json"]
    bad = http.post("/v0/management/auth-files", headers=ADMIN, content_type="multipart/form-data",
                    data={"file": [(io.BytesIO(b"{}"), "c.json"), (io.BytesIO(b"x"), "d.txt")]})
    assert bad.status_code == 400 and not (auth_dir / "c.json").exists()
    got = http.get("/v0/management/auth-files/download?name=codex-b.json", headers=ADMIN)
    assert got.status_code == 200 and json.loads(got.data) == files["codex-b.json"]
    assert 'filename="codex-b.json"' in got.headers["Content-Disposition"]
    assert http.get("/v0/management/auth-files/download?name=nope.json",
                    headers=ADMIN).status_code == 404
    gone = http.delete("/v0/management/auth-files", headers=ADMIN,
                       json={"names": ["codex-b.json", "claude-a@example.com.json"]})
    assert gone.status_code == 200 and gone.get_json()["deleted"] == 2
    assert not any(n.endswith(".json") for n in os.listdir(auth_dir))
    for name, body in files.items():
        http.post(f"/v0/management/auth-files?name={name}", json=body, headers=ADMIN)
    everything = http.delete("/v0/management/auth-files?all=true", headers=ADMIN)
    assert everything.get_json()["deleted"] == 2
    assert not any(n.endswith(".json") for n in os.listdir(auth_dir))


def test_patch_fields_sets_and_removes_knobs_but_never_credentials(client):
    """CLIProxyAPI's PATCH auth-files/fields."""
    http, auth_dir = client
    http.post("/v0/management/auth-files?name=codex-f.json", headers=ADMIN,
              json={"type": "codex", "access_token": "at-f", "note": "old", "priority": 1})
    ok = http.patch("/v0/management/auth-files/fields", headers=ADMIN, json={
        "name": "codex-f.json", "prefix": "team", "proxy_url": "http://127.0.0.1:3128",
        "headers.X-Team": "blue", "note": None, "priority": 5})
    assert ok.status_code == 200, ok.get_json()
    record = json.loads((auth_dir / "codex-f.json").read_text())
    assert record == {"type": "codex", "access_token": "at-f", "priority": 5, "prefix": "team",
                      "proxy_url": "http://127.0.0.1:3128", "headers": {"X-Team": "blue"}}
    for body in ({"name": "codex-f.json", "access_token": "x"},
                 {"name": "codex-f.json", "token.access_token": "x"},
                 {"name": "codex-f.json", "weight": 2.5}, {"name": "codex-f.json"}):
        assert http.patch("/v0/management/auth-files/fields", headers=ADMIN,
                          json=body).status_code == 400
    assert json.loads((auth_dir / "codex-f.json").read_text()) == record
    assert http.patch("/v0/management/auth-files/fields", headers=ADMIN,
                      json={"name": "nope.json", "note": "x"}).status_code == 404
