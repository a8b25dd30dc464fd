"""Racing refreshes of one Codex account through the real server.

Codex refresh tokens are single-use (the fake OAuth server answers
``invalid_grant`` / ``refresh_token_reused`` to a second use), so two
refreshes of one file would lose the account.  Two gunicorn workers sharing
an auth directory, and two instances each with its own copy of the file
sharing only a Redis (``state.redis-url``), all get a 401 for the same
expired access token at once: the token endpoint sees exactly one refresh
per round, every request is answered, and every copy ends with the new
tokens.
"""
import json
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests import services
from tests.fakes.oauth_server import FakeOAuthServer
from tests.integration.conftest import CLIENT_KEY, launch

ROUNDS = 6
CONCURRENT = 12
NAME = "codex-race@example.com-plus.json"
_TOUCHED = re.compile(r"account auth:[^\s:]+(?: refreshed \(upstream 401; pid (\d+)\)|"
                      r": token already rotated by another \w+ \(pid (\d+)\))")


@pytest.fixture(scope="module")
def oauth():
    with FakeOAuthServer() as server:
        yield server


def _codex_file(folder, oauth):
    tokens = oauth.grant()
    # ten days left (not due ahead of expiry): only the fake's expiry of the
    # access token sends the workers refreshing
    expires = (datetime.now(timezone.utc) + timedelta(days=10)).isoformat()
    path = os.path.join(folder, NAME)
    with open(path, "w") as f:
        json.dump({"type": "codex", "access_token": tokens["access_token"],
                   "refresh_token": tokens["refresh_token"], "id_token": tokens["id_token"],
                   "account_id": "acct-fake-1", "email": "race@example.com",
                   "expired": expires, "kept": "a user's field"}, f)
    return path


def _config(fake, oauth, folder, **extra):
    return dict({"api-keys": [CLIENT_KEY], "auth-dir": folder,
                 "oauth": {"codex-token-url": oauth.token_url, "codex-base-url": fake.url},
                 "auth-dir-poll-seconds": 0.2, "usage": {"enabled": False},
                 "watch-config": False}, **extra)


def _ask(url):
    return requests.post(f"{url}/v1/responses", timeout=30, json={
        "model": "gpt-fake", "input": "hi"},
        headers={"Authorization": f"Bearer {CLIENT_KEY}", "Connection": "close"})


def _round(oauth, paths, urls):
    """Expire the current access token, then hit every gateway with
    ``CONCURRENT`` requests at once; returns the refreshes it took."""
    with open(paths[0]) as f:
        oauth.expire(json.load(f)["access_token"])
    before = oauth.refresh_count()
    with ThreadPoolExecutor(CONCURRENT * len(urls)) as pool:
        answers = list(pool.map(_ask, [u for u in urls for _ in range(CONCURRENT)]))
    assert [a.status_code for a in answers] == [200] * len(answers), \
        [a.text[:200] for a in answers if a.status_code != 200]
    return oauth.refresh_count() - before


def _pids(log, start):
    """pids of the processes that handled a 401 of the account since ``start``."""
    return {int(a or b) for a, b in _TOUCHED.findall(log[start:])}


def _both_serving(gw, timeout=30.0):
    """Wait until the second worker serves too (launch returns at the first)."""
    deadline = time.monotonic() + timeout
    while len(re.findall(r"worker \d+ serving", gw.log())) < 2:
        assert time.monotonic() < deadline, "the second worker never started"
        time.sleep(0.05)


@pytest.fixture
def reachable_fake(fake, oauth):
    fake.oauth = oauth
    yield fake
    fake.oauth = None


def test_two_workers_refresh_one_codex_file_once(reachable_fake, oauth, tmp_path):
    folder = str(tmp_path / "auth")
    os.makedirs(folder)
    path = _codex_file(folder, oauth)
    gw = launch(_config(reachable_fake, oauth, folder), str(tmp_path),
                {"WEB_CONCURRENCY": "2"})
    try:
        _both_serving(gw)
        both, offset = 0, 0
        for _ in range(ROUNDS):
            assert _round(oauth, [path], [gw.url]) == 1, "refreshed more than once"
            log = gw.log()
            both += len(_pids(log, offset)) == 2
            offset = len(log)
        print(f"{ROUNDS} rounds, {both} with both workers handling the 401")
        assert both, "the two workers never raced (each round served by one worker)"
        with open(path) as f:
            data = json.load(f)
        assert oauth.valid(data["access_token"]) and data["kept"] == "a user's field"
        assert "refresh_token_reused" not in gw.log() and "needs re-login" not in gw.log()
    finally:
        gw.stop()


def test_two_instances_with_their_own_copies_refresh_once_through_redis(
        reachable_fake, oauth, tmp_path):
    url, prefix = services.redis_url(), services.unique_prefix()
    folders = [str(tmp_path / "a" / "auth"), str(tmp_path / "b" / "auth")]
    os.makedirs(folders[0])
    paths = [_codex_file(folders[0], oauth)]
    shutil.copytree(folders[0], folders[1])          # each machine has its own copy
    paths.append(os.path.join(folders[1], NAME))
    state = {"redis-url": url, "key-prefix": prefix, "refresh-seconds": 0.05}
    gws = []
    try:
        for folder in folders:
            gws.append(launch(_config(reachable_fake, oauth, folder, state=state),
                              os.path.dirname(folder), {"WEB_CONCURRENCY": "1"}))
        for _ in range(3):
            assert _round(oauth, paths, [g.url for g in gws]) == 1, "refreshed more than once"
            copies = []
            for path in paths:
                with open(path) as f:
                    copies.append(json.load(f))
            # the copy that did not refresh adopted the handed-over tokens
            assert copies[0]["refresh_token"] == copies[1]["refresh_token"]
            assert oauth.valid(copies[1]["access_token"])
        for gw in gws:
            assert "needs re-login" not in gw.log()
        assert any("rotated by another instance" in gw.log() for gw in gws)
    finally:
        for gw in gws:
            gw.stop()
        services.drop_prefix(url, prefix)
