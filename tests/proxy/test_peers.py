"""The one loopback/remote decision (proxy.access.peers) and the lockout's
count-before-check."""
import ipaddress

import gevent
import pytest

from proxy.access import auth, peers
from proxy.admin import management

CONFIG = {"trusted-proxies": ["10.0.0.0/8", "::1"]}


@pytest.mark.parametrize("peer, forwarded, local", [
    ("127.0.0.1", None, True),
    ("127.0.0.1", "8.8.8.8", True),          # loopback is not a trusted proxy here
    ("10.1.2.3", None, False),
    ("10.1.2.3", "127.0.0.1", True),         # a trusted proxy on this host's behalf
    ("10.1.2.3", "8.8.8.8", False),
    ("10.1.2.3", "8.8.8.8, 10.9.9.9", False),
    ("10.1.2.3", "not-an-ip", False),        # a garbled chain trusts nothing
    ("::1", "8.8.8.8", False),
    ("::ffff:127.0.0.1", None, True),
])
def test_is_local_honours_trusted_proxies(peer, forwarded, local):
    environ = {"REMOTE_ADDR": peer}
    if forwarded:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    assert peers.is_local(environ, CONFIG) is local


def test_request_address_is_the_first_untrusted_hop():
    environ = {"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "1.1.1.1, 8.8.8.8, 10.2.2.2"}
    assert peers.request_address(environ, CONFIG) == ipaddress.ip_address("8.8.8.8")


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True),
                                            ("::1", True), ("[::1]", True), ("0.0.0.0", False),
                                            ("192.168.1.5", False), ("example.com", False)])
def test_bind_hosts(host, loopback):
    assert peers.is_loopback_host(host) is loopback


def test_one_bearer_parser():
    assert auth.bearer_token({"authorization": "Bearer  abc "}) == "abc"
    assert auth.bearer_token({"authorization": "bearer abc"}) == "abc"
    assert auth.bearer_token({"authorization": "Basic abc"}) == ""
    assert auth.bearer_token({}) == ""


def test_lockout_counts_each_try_before_its_check():
    lockout = management.Lockout(limit=5)
    allowed = []

    def guess():
        if not lockout.begin("1.2.3.4"):
            gevent.sleep(0.01)               # the slow key check yields
            allowed.append(1)

    gevent.joinall([gevent.spawn(guess) for _ in range(200)])
    assert len(allowed) == 5
    assert lockout.begin("1.2.3.4") > 0


def test_a_right_key_clears_the_count():
    lockout = management.Lockout(limit=3)
    for _ in range(2):
        assert lockout.begin("a") == 0
    lockout.succeeded("a")
    for _ in range(3):
        assert lockout.begin("a") == 0       # the third try is still checked...
    assert lockout.begin("a") > 0            # ...and locks the fourth out
