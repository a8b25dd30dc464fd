"""proxy.http.disconnect: a client that hangs up while the relay waits."""
import gevent
import pytest
from gevent import socket

from proxy.errors import ClientGone
from proxy.http.disconnect import CONNECTION, cancel_on_hangup


class Connection:
    hangup_watcher = None


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    yield ours, theirs
    ours.close()
    theirs.close()


def test_a_hang_up_throws_client_gone_into_the_waiting_green_thread(pair):
    ours, theirs = pair
    gevent.spawn_later(0.02, theirs.close)
    with pytest.raises(ClientGone):
        with cancel_on_hangup({"gunicorn.sock": ours}):
            gevent.sleep(2)


def test_pipelined_bytes_are_not_a_hang_up_and_stay_unread(pair):
    ours, theirs = pair
    gevent.spawn_later(0.01, theirs.sendall, b"GET / HTTP/1.1\r\n")
    with cancel_on_hangup({"gunicorn.sock": ours}):
        gevent.sleep(0.05)
    assert ours.recv(100) == b"GET / HTTP/1.1\r\n"


def test_the_connection_keeps_one_watcher_across_requests(pair):
    ours, theirs = pair
    connection = Connection()
    environ = {"gunicorn.sock": ours, CONNECTION: connection}
    with cancel_on_hangup(environ):
        gevent.sleep(0)
    watcher = connection.hangup_watcher
    assert watcher is not None and not watcher.active
    with cancel_on_hangup(environ):
        assert watcher.active
    assert connection.hangup_watcher is watcher and not watcher.active
    theirs.close()
    gevent.sleep(0.02)          # stopped outside the block: nothing is thrown


def test_without_a_gevent_socket_it_watches_nothing():
    with cancel_on_hangup({}):
        gevent.sleep(0)
    with pytest.raises(ValueError):
        with cancel_on_hangup({"gunicorn.sock": object()}):
            raise ValueError("passes through")
