"""proxy.wire.gather: a head and a body in one gather write, partial writes finished."""
import socket
import threading
from types import SimpleNamespace

import pytest

from proxy.wire import gather


def _fake(accepts):
    """A socket whose ``sendmsg`` takes ``accepts`` bytes, recording every call."""
    calls = []

    def sendmsg(buffers):
        calls.append(("sendmsg", b"".join(bytes(b) for b in buffers)))
        return accepts

    return SimpleNamespace(sendmsg=sendmsg,
                           sendall=lambda data: calls.append(("sendall", bytes(data)))), calls


def test_a_whole_write_is_one_sendmsg():
    sock, calls = _fake(9)
    gather.send_gathered(sock, b"HEAD\r\n", b"bod")
    assert calls == [("sendmsg", b"HEAD\r\nbod")]


@pytest.mark.parametrize("accepts, rest", [
    (0, [b"HEAD\r\n", b"body"]), (3, [b"D\r\n", b"body"]), (6, [b"body"]), (8, [b"dy"])])
def test_a_partial_write_is_finished_by_sendall_in_order(accepts, rest):
    sock, calls = _fake(accepts)
    gather.send_gathered(sock, b"HEAD\r\n", b"body")
    assert calls[1:] == [("sendall", part) for part in rest]


def test_the_bytes_arrive_as_joined_over_a_real_socket():
    left, right = socket.socketpair()
    head, body = b"POST / HTTP/1.1\r\n\r\n", bytes(range(256)) * 4096      # 1 MB: partial writes
    got = bytearray()

    def read():
        while len(got) < len(head) + len(body):
            chunk = right.recv(65536)
            if not chunk:
                return
            got.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        gather.send_gathered(left, head, body)
        reader.join(10)
    finally:
        left.close()
        right.close()
    assert bytes(got) == head + body


def test_tls_and_socketless_objects_do_not_gather():
    with socket.socket() as plain:
        assert gather.can_gather(plain)
    assert not gather.can_gather(SimpleNamespace(sendmsg=None, pending=lambda: 0))   # an SSL socket
    assert not gather.can_gather(SimpleNamespace(send=None, sendall=None))
