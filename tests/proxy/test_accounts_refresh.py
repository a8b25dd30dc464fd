"""The refresher against the fake OAuth server: ahead of expiry (driven
directly with a future clock, no sleeps), one refresh for two processes
racing on one Codex file (single-use refresh tokens), a refused refresh
marks the account ``needs re-login``; the file formats' expiry keys."""
import json
import multiprocessing
import os
import time
from types import SimpleNamespace

import pytest

from proxy.accounts import (authfile, code_assist, code_assist_setup, codex_body, gemini_project,
                            health, refresher, view)
from tests.fakes.oauth_server import FakeOAuthServer


@pytest.fixture
def oauth():
    health.reset()
    with FakeOAuthServer() as server:
        yield server
    health.reset()


def _codex_file(folder, oauth, expires_in=3600):
    t = oauth.grant()
    path = os.path.join(folder, "codex-a.json")
    with open(path, "w") as f:
        json.dump({"type": "codex", "access_token": t["access_token"],
                   "refresh_token": t["refresh_token"], "account_id": "acct",
                   "expired": int(time.time()) + expires_in, "mine": "kept"}, f)
    return path


def _config(folder, oauth):
    return {"auth-dir": folder, "oauth": {"codex-token-url": oauth.token_url,
                                          "claude-token-url": oauth.token_url}}


def _cred(config):
    (entry,) = authfile.scan(config)
    return entry.credential


def test_refresh_ahead_of_expiry_rewrites_the_file_atomically(tmp_path, oauth):
    path = _codex_file(str(tmp_path), oauth, expires_in=10 * 86400)
    config = _config(str(tmp_path), oauth)
    cred = _cred(config)
    pool = SimpleNamespace(credentials=[cred])
    scheduler = refresher.Scheduler(lambda: SimpleNamespace(pool=pool, config=config))
    assert scheduler.run_once(now=time.time()) == []             # 10 days left: not due
    data = json.load(open(path))
    # Codex's lead is 5 days: six days on, the pass refreshes it
    assert scheduler.run_once(now=time.time() + 6 * 86400) == [cred.id]
    assert oauth.refresh_count() == 1
    after = json.load(open(path))
    assert after["access_token"] == cred.api_key != data["access_token"]
    assert after["refresh_token"] != data["refresh_token"] and after["mine"] == "kept"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert authfile.expiry(after) > time.time() + 3000


def _race(path, config, barrier, queue):
    health.reset()
    cred = _cred(config)
    barrier.wait()
    refresher.refresh(cred, config, reason="race", rejected_token=cred.api_key)
    queue.put(cred.api_key)


def test_two_processes_racing_refresh_one_codex_file_once(tmp_path, oauth):
    path = _codex_file(str(tmp_path), oauth)
    config = _config(str(tmp_path), oauth)
    ctx = multiprocessing.get_context("fork")
    for attempt in range(5):                   # several races, each must refresh once
        barrier, queue = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_race, args=(path, config, barrier, queue))
                 for _ in range(2)]
        before = oauth.refresh_count()
        for p in procs:
            p.start()
        tokens = {queue.get(timeout=30) for _ in procs}
        for p in procs:
            p.join(10)
        assert oauth.refresh_count() == before + 1, "refreshed more than once"
        assert tokens == {json.load(open(path))["access_token"]}
        assert oauth.valid(tokens.pop())


def test_refused_refresh_means_needs_relogin(tmp_path, oauth):
    path = _codex_file(str(tmp_path), oauth)
    config = _config(str(tmp_path), oauth)
    oauth.revoke(json.load(open(path))["refresh_token"])
    cred = _cred(config)
    assert refresher.refresh(cred, config, reason="test") is False
    (entry,) = authfile.scan(config)
    assert entry.status == health.NEEDS_RELOGIN and entry.credential is None
    # a transient failure backs off instead
    health.reset()
    oauth.fail_next(1, 503)
    _codex_file(str(tmp_path), oauth)
    cred = _cred(config)
    assert refresher.refresh(cred, config, reason="test") is False
    assert health.backing_off(cred.id) and not health.needs_relogin(
        cred.id, authfile.refresh_token(json.load(open(path))))


@pytest.mark.parametrize("value", ["2030-01-02T03:04:05Z", "2030-01-02T03:04:05+00:00",
                                   1893553445, 1893553445000, "1893553445"])
def test_expiry_formats(value):
    assert abs(authfile.expiry({"token": {"expiry": value}}) - 1893553445) < 1 or \
        authfile.expiry({"expires_at": value}) is not None


def test_code_assist_and_codex_wire_rules():
    wrapped = code_assist.wrap({"contents": []}, model="gemini-x", project="p", action="generate")
    assert wrapped == {"model": "gemini-x", "project": "p", "request": {"contents": []}}
    assert code_assist.wrap({"contents": []}, model="m", project="p",
                            action="count_tokens") == {"request": {"contents": [],
                                                                   "model": "models/m"}}
    event = b'data: {"response": {"candidates": []}}\n\n'
    assert code_assist.unwrap_event(event) == b'data: {"candidates":[]}\n\n'
    body = codex_body.prepare({"model": "gpt", "input": "hi", "temperature": 1,
                               "max_output_tokens": 5, "previous_response_id": "r"})
    # the backend answers 400 "Input must be a list" to a string input
    assert body == {"model": "gpt", "stream": True, "store": False, "instructions": "",
                    "input": [{"type": "message", "role": "user",
                               "content": [{"type": "input_text", "text": "hi"}]}]}
    events = [b'event: response.created\ndata: {"type":"response.created"}\n\n',
              b'event: response.completed\ndata: {"type":"response.completed",'
              b'"response":{"id":"r1","output":[]}}\n\n']
    assert codex_body.assemble(events) == {"id": "r1", "output": []}


def test_account_rate_limit_cools_the_whole_account_until_the_reset():
    from proxy import config as config_mod
    from proxy.routing import cooldown
    from proxy.accounts import quota

    built = config_mod.build({})
    body = b'{"error":{"type":"usage_limit_reached","resets_in_seconds":1234}}'
    exc = SimpleNamespace(status=429, headers={}, body=body)
    decision = quota.account_decision(cooldown.classify_status(429, {}, body, built), exc)
    assert decision.scope == "credential" and decision.cooldown == 1234 and decision.exact
    headers = {"anthropic-ratelimit-unified-reset": str(int(time.time()) + 600)}
    exc = SimpleNamespace(status=429, headers=headers, body=b"{}")
    decision = quota.account_decision(cooldown.classify_status(429, headers, b"{}", built), exc,
                                      now=time.time())
    assert decision.scope == "credential" and 590 < decision.cooldown <= 600


def test_a_token_issued_for_less_than_the_lead_is_refreshed_at_half_its_life(tmp_path, oauth):
    """Claude's lead is 4 h: a token that lives 1 h (the fake's) is due at
    half its life, not at every pass after each refresh."""
    t = oauth.grant()
    issued = time.time()
    path = tmp_path / "claude-a.json"
    path.write_text(json.dumps({"type": "claude", "access_token": t["access_token"],
                                "refresh_token": t["refresh_token"],
                                "expired": refresher._rfc3339(issued + 3600),
                                "last_refresh": refresher._rfc3339(issued)}))
    config = _config(str(tmp_path), oauth)
    cred = _cred(config)
    assert cred.account["lifetime"] == pytest.approx(3600, abs=2)
    scheduler = refresher.Scheduler(lambda: SimpleNamespace(
        pool=SimpleNamespace(credentials=[cred]), config=config))
    assert scheduler.run_once(now=issued + 1700) == []
    assert scheduler.run_once(now=issued + 1900) == [cred.id]
    # the new token lives an hour too: not due again on the next passes
    assert [scheduler.run_once() for _ in range(3)] == [[]] * 3
    assert oauth.refresh_count() == 1


def _gemini_without_project(folder, oauth, **token):
    t = oauth.grant()
    path = os.path.join(folder, "gemini-g@example.com.json")
    with open(path, "w") as f:     # what `switchyard import gemini` writes
        json.dump({"type": "gemini", "email": "g@example.com", "project_id": "",
                   "auto": True, "checked": False, "mine": "kept",
                   "token": dict({"access_token": t["access_token"],
                                  "refresh_token": t["refresh_token"],
                                  "expiry": refresher._rfc3339(time.time() + 3600),
                                  "client_id": "gemini-client",
                                  "client_secret": "gemini-secret"}, **token)}, f)
    return path


def _finder(folder, oauth):
    config = {"auth-dir": folder, "oauth": {"gemini-token-url": oauth.token_url,
                                            "gemini-base-url": oauth.url}}
    return config, gemini_project.Finder(lambda: SimpleNamespace(
        accounts=tuple(authfile.scan(config)), config=config))


def test_a_gemini_file_without_a_project_waits_out_of_rotation_until_it_is_found(
        tmp_path, oauth):
    path = _gemini_without_project(str(tmp_path), oauth)
    config, finder = _finder(str(tmp_path), oauth)
    (entry,) = authfile.scan(config)
    assert entry.status == authfile.SETTING_UP and entry.credential is not None
    assert finder.run_once() == [entry.id]
    data = json.load(open(path))
    assert data["project_id"] == "fake-project" and data["checked"] is True
    assert data["auto"] is True and data["mine"] == "kept"
    assert os.stat(path).st_mode & 0o777 == 0o600
    (entry,) = authfile.scan(config)
    assert entry.status == "loaded" and entry.credential.account["project"] == "fake-project"
    assert finder.run_once() == []                     # nothing left to look up
    assert [p for _, p, _ in oauth.code_assist_calls] == ["/v1internal:loadCodeAssist"]


def test_a_project_another_worker_saved_meanwhile_is_read_not_asked_again(tmp_path, oauth):
    path = _gemini_without_project(str(tmp_path), oauth)
    config, _ = _finder(str(tmp_path), oauth)
    (entry,) = authfile.scan(config)          # loaded before the other worker wrote
    data = json.load(open(path))
    authfile.write(path, dict(data, project_id="theirs", checked=True))
    assert gemini_project.find(entry.credential, config)
    assert entry.credential.account["project"] == "theirs" and oauth.code_assist_calls == []


def test_an_account_onboarded_to_the_free_tier_gets_googles_managed_project(tmp_path, oauth,
                                                                            monkeypatch):
    oauth.needs_onboarding = True
    pauses = []
    monkeypatch.setattr(code_assist_setup, "_sleep", pauses.append)
    path = _gemini_without_project(str(tmp_path), oauth)
    _, finder = _finder(str(tmp_path), oauth)
    assert len(finder.run_once()) == 1
    assert json.load(open(path))["project_id"] == "managed-proj-1"
    assert [p for _, p, _ in oauth.code_assist_calls] == [
        "/v1internal:loadCodeAssist", "/v1internal:onboardUser",
        "/v1internal/operations/onboard-1", "/v1internal/operations/onboard-1"]
    assert pauses == [code_assist_setup.POLL_SECONDS] * 2


def test_an_expired_token_is_refreshed_once_and_the_lookup_retried(tmp_path, oauth):
    path = _gemini_without_project(str(tmp_path), oauth)
    oauth.expire(json.load(open(path))["token"]["access_token"])
    _, finder = _finder(str(tmp_path), oauth)
    assert len(finder.run_once()) == 1
    data = json.load(open(path))
    assert data["project_id"] == "fake-project" and oauth.valid(data["token"]["access_token"])
    assert oauth.refresh_count() == 1 and len(oauth.code_assist_calls) == 2


def test_a_failed_lookup_is_the_files_reason_and_waits_before_asking_again(tmp_path, oauth):
    oauth.project_id = ""                  # set up, but no project: a Workspace account
    path = _gemini_without_project(str(tmp_path), oauth)
    config, finder = _finder(str(tmp_path), oauth)
    assert finder.run_once() == [] and finder.run_once() == []
    assert len(oauth.code_assist_calls) == 1                   # backing off
    current = SimpleNamespace(accounts=tuple(authfile.scan(config)))
    (listed,) = view.files(current)
    assert listed["status"] == "setting up"
    assert "needs a Google Cloud project" in listed["reason"]
    assert "project_id in its auth file" in listed["reason"]
    token = json.load(open(path))["token"]
    assert token["access_token"] not in json.dumps(listed)
    assert token["refresh_token"] not in json.dumps(listed)
    # the back-off over, it is asked again
    assert finder.run_once(now=time.time() + health.BACKOFF_SECONDS + 1) == []
    assert len(oauth.code_assist_calls) == 2


def test_token_endpoint_calls_say_honestly_who_is_calling(monkeypatch):
    import requests as requests_lib
    from proxy import __version__
    from proxy.accounts import token_client
    seen = []

    def request(method, url, **kwargs):
        seen.append(kwargs["headers"])
        raise requests_lib.ConnectionError("offline")
    monkeypatch.setattr(requests_lib, "request", request)
    with pytest.raises(token_client.EndpointUnreachable):
        token_client.post("https://token.example/oauth/token", {"grant_type": "x"})
    assert seen == [{"Accept": "application/json", "User-Agent": f"switchyard/{__version__}"}]


def test_an_accounts_proxy_url_carries_its_refresh_too(tmp_path, oauth, monkeypatch):
    import requests as requests_lib
    path = _codex_file(str(tmp_path), oauth)
    data = json.load(open(path))
    authfile.write(path, dict(data, proxy_url="http://127.0.0.1:3128"))
    config = _config(str(tmp_path), oauth)
    cred = _cred(config)
    sent = []
    real = requests_lib.request

    def request(method, url, **kwargs):
        sent.append(kwargs["proxies"])
        return real(method, url, **dict(kwargs, proxies=None))   # the fake is the "proxy"
    monkeypatch.setattr(requests_lib, "request", request)
    assert refresher.refresh(cred, config, reason="test", rejected_token=cred.api_key)
    assert sent == [{"http": "http://127.0.0.1:3128", "https": "http://127.0.0.1:3128"}]
