"""Account refreshes coordinated through a real Redis
(``proxy.state.refreshes``): one lease per refresh token, released only by
its holder; handed-over tokens followed down a chain of rotations; Redis
unreachable leaves the file lock alone in charge."""
import pytest

from proxy.accounts import health
from proxy.state.redis_store import RedisStore
from tests import services


@pytest.fixture
def stores():
    url, prefix = services.redis_url(), services.unique_prefix()
    made = [RedisStore(url, prefix=prefix) for _ in range(2)]
    yield made
    for store in made:
        store.close()
    services.drop_prefix(url, prefix)


def _next(tokens):
    return health.digest(tokens.get("refresh_token") or "")


def test_one_lease_per_refresh_token(stores):
    a, b = (s.account_refreshes() for s in stores)
    with a.lock(health.digest("rt-1")) as held:
        assert held
        with pytest.raises(TimeoutError):
            with b.lock(health.digest("rt-1"), wait=0.2):
                pass
        with b.lock(health.digest("rt-other"), wait=0.2) as other:   # another token: free
            assert other
    with b.lock(health.digest("rt-1"), wait=0.2) as held:          # released by its holder
        assert held


def test_handed_over_tokens_follow_the_chain_of_rotations(stores):
    a, b = (s.account_refreshes() for s in stores)
    assert b.handed_over(health.digest("rt-1"), _next) is None
    a.hand_over(health.digest("rt-1"), {"access_token": "at-2", "refresh_token": "rt-2",
                                        "expires_in": 3600}, now=1000.0)
    a.hand_over(health.digest("rt-2"), {"access_token": "at-3", "refresh_token": "rt-3",
                                        "expires_in": 3600}, now=2000.0)
    tokens, at = b.handed_over(health.digest("rt-1"), _next)
    assert tokens["access_token"] == "at-3" and at == 2000.0
    # a rotation without a new refresh token ends the chain
    a.hand_over(health.digest("rt-3"), {"access_token": "at-4", "expires_in": 60}, now=3000.0)
    assert b.handed_over(health.digest("rt-2"), _next)[0]["access_token"] == "at-4"


def test_redis_unreachable_holds_no_lease_and_hands_nothing_over():
    store = RedisStore(f"redis://127.0.0.1:{services.free_port()}/0", prefix="x:")
    try:
        shared = store.account_refreshes()
        with shared.lock(health.digest("rt-1"), wait=0.2) as held:
            assert held is False                  # the file lock alone guards this machine
        shared.hand_over(health.digest("rt-1"), {"access_token": "at-2"})
        assert shared.handed_over(health.digest("rt-1"), _next) is None
    finally:
        store.close()
