"""proxy.deadline: a cheap one-shot deadline that looks like gevent's Timeout."""
import time

import gevent
import pytest
from gevent import Timeout

from proxy.deadline import Deadline, Expired


def test_fires_in_the_arming_green_thread_as_a_gevent_timeout():
    deadline = Deadline(0.02)
    started = time.monotonic()
    with pytest.raises(Timeout) as raised:
        gevent.sleep(1)
    deadline.close()
    assert isinstance(raised.value, Expired) and raised.value.deadline is deadline
    assert not isinstance(raised.value, Exception)       # as gevent's: except Exception misses it
    assert 0.015 <= time.monotonic() - started < 0.5
    assert str(raised.value) == "0.02 seconds"


def test_closed_never_fires_and_closing_twice_is_harmless():
    deadline = Deadline(0.01)
    deadline.close()
    gevent.sleep(0.05)
    deadline.close()


def test_nested_deadlines_tell_theirs_apart():
    outer = Deadline(0.03)
    inner = Deadline(5)
    try:
        with pytest.raises(Expired) as raised:
            gevent.sleep(1)
    finally:
        inner.close()
        outer.close()
    assert raised.value.deadline is outer


def test_only_the_arming_green_thread_is_interrupted():
    def armed():
        deadline = Deadline(0.01)
        try:
            gevent.sleep(1)
        except Expired as fired:
            return fired.deadline is deadline
        finally:
            deadline.close()
        return False

    other = gevent.spawn(gevent.sleep, 0.05)
    assert gevent.spawn(armed).get(timeout=2) is True
    other.get(timeout=2)


def test_its_timer_has_gevent_timeouts_priority():
    deadline, theirs = Deadline(5), Timeout.start_new(5)
    try:
        assert deadline.timer.priority == theirs.timer.priority == -1
    finally:
        deadline.close()
        theirs.close()
