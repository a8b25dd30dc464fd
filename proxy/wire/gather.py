"""A message head and a large body written with one system call, uncopied.

Both sides of the gateway write a head followed by a body: the transport
its request to the upstream, the worker its answer to the client.  Joined
with ``head + body`` they leave in one write, but the join copies the body
(an agent's request is hundreds of KB: a fresh buffer of that size, filled
and freed, per request).  ``sendmsg`` hands the kernel both buffers as they
are (a gather write, writev(2)), still one system call and one TCP segment
train.  A small body is cheaper to join than to gather (the iovec setup
costs more than copying a few KB), and TLS sockets have no ``sendmsg``:
both keep the join.
"""

GATHER_FROM = 16 * 1024      # bodies from this size are gathered, not joined


def can_gather(sock):
    """Whether ``sock`` takes a gather write (a plain socket; an SSL socket
    refuses ``sendmsg``)."""
    return getattr(sock, "pending", None) is None and hasattr(sock, "sendmsg")


def send_gathered(sock, head, body):
    """Write ``head`` then ``body`` (bytes-like) to ``sock`` (a blocking or
    gevent socket) with one ``sendmsg`` where the kernel takes them whole;
    the rest of a partial write goes by ``sendall``.  Returns nothing,
    raises what the socket raises."""
    sent = sock.sendmsg([head, body])
    if sent >= len(head) + len(body):
        return
    if sent < len(head):
        sock.sendall(memoryview(head)[sent:])
        sent = 0
    else:
        sent -= len(head)
    sock.sendall(memoryview(body)[sent:])
