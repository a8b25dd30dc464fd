"""LiveFeed: a bounded ring of finished requests that wakes watchers."""
import gevent

from proxy.telemetry.live_feed import LiveFeed


def test_ring_keeps_the_latest_in_order():
    feed = LiveFeed(size=3)
    for i in range(5):
        feed.publish({"n": i})
    assert [(seq, r["n"]) for seq, r in feed.since(0)] == [(3, 2), (4, 3), (5, 4)]
    assert [seq for seq, _ in feed.since(4)] == [5]
    assert [seq for seq, _ in feed.since(0, limit=1)] == [5]
    assert feed.since(0, limit=0) == []


def test_publishing_with_nobody_watching_wakes_nothing():
    feed = LiveFeed()
    event = feed._event
    feed.publish({"n": 1})
    assert feed._event is event and not event.is_set()


def test_a_publish_wakes_every_watcher_once():
    feed = LiveFeed()
    watchers = [gevent.spawn(feed.wait, 0, 30) for _ in range(3)]
    gevent.idle()                          # all three are waiting now
    feed.publish({"n": 1})
    results = gevent.joinall(watchers, timeout=5)
    assert [w.value for w in results] == [[(1, {"n": 1})]] * 3
    assert feed._watchers == 0


def test_wait_returns_at_once_when_newer_records_exist_and_empty_on_timeout():
    feed = LiveFeed()
    feed.publish({"n": 1})
    assert feed.wait(0, 30) == [(1, {"n": 1})]
    assert feed.wait(1, 0) == []


def test_close_releases_watchers_and_later_waits():
    feed = LiveFeed()
    watcher = gevent.spawn(feed.wait, 0, 30)
    gevent.idle()
    feed.close()
    assert watcher.get(timeout=5) == [] and feed.closed
    assert feed.wait(0, 30) == []          # returns at once once closed


def test_a_usage_row_is_read_as_its_record():
    # the request observer publishes its row; a watcher reads the dict
    from proxy.telemetry.usage_store import REQUEST_FIELDS
    row = tuple(f"v{i}" for i in range(len(REQUEST_FIELDS)))
    feed = LiveFeed()
    feed.publish(row)
    feed.publish({"n": 2})
    assert feed.since(0) == [(1, dict(zip(REQUEST_FIELDS, row))), (2, {"n": 2})]
