"""Who may reach the operational endpoints, through the real server.

One loopback/remote decision for all of them (trusted proxies and
X-Forwarded-For honoured alike), and a wrong-key lockout that counts each
try before checking it and keeps client keys and management keys apart."""
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.integration.conftest import CLIENT_KEY, launch, standard_config

MGMT_KEY = "mgmt-secret-for-access-tests"


@pytest.fixture(scope="module")
def proxied(fake, tmp_path_factory):
    """A gateway behind a trusted proxy (the test itself, on loopback)."""
    config = standard_config(fake.url, **{
        "trusted-proxies": ["127.0.0.1"],
        "remote-management": {"secret-key": MGMT_KEY, "allow-remote": True},
        "usage": {"enabled": True, "store-path": str(tmp_path_factory.mktemp("u") / "u.db")}})
    gw = launch(config, str(tmp_path_factory.mktemp("proxied")))
    yield gw
    gw.stop()


def _get(gw, path, address=None, key=None):
    headers = {"X-Forwarded-For": address} if address else {}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return requests.get(gw.url + path, headers=headers, timeout=30)


@pytest.mark.parametrize("path", ["/v0/pool", "/metrics"])
def test_proxied_remote_clients_are_remote_everywhere(proxied, path):
    assert _get(proxied, path).status_code == 200                  # the proxy host itself
    resp = _get(proxied, path, "8.8.8.8")
    assert resp.status_code == 403
    assert "credentials" not in resp.text and "switchyard_" not in resp.text


def test_concurrent_wrong_management_keys_are_counted_before_checking(proxied):
    address = "203.0.113.7"
    with ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(
            lambda i: _get(proxied, "/v0/management/pool", address, f"wrong-{i}").status_code,
            range(200)))
    assert statuses.count(401) <= 5 and statuses.count(401) + statuses.count(429) == 200
    assert _get(proxied, "/v0/management/pool", address, MGMT_KEY).status_code == 429


def test_wrong_client_keys_on_usage_do_not_lock_out_the_manager(proxied):
    address = "203.0.113.8"
    for i in range(6):
        assert _get(proxied, "/v0/usage", address, f"sk-stale-{i}").status_code in (401, 429)
    assert _get(proxied, "/v0/usage", address, "sk-stale-x").status_code == 429
    assert _get(proxied, "/v0/management/pool", address, MGMT_KEY).status_code == 200
    assert _get(proxied, "/v0/usage", address, CLIENT_KEY).status_code == 200
