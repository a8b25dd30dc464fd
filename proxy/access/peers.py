"""Who is calling: the one loopback-or-remote decision.

Every operational endpoint (``/v0/pool``, ``/metrics``, management, usage,
the dashboard) asks ``request_address`` / ``is_local`` here, so they all
honour ``trusted-proxies`` and ``X-Forwarded-For`` the same way: the peer
is the socket address, and ``X-Forwarded-For`` counts only when that peer
is one of ``trusted-proxies``.  ``is_loopback_host`` answers the same
question for a configured bind address.
"""
import ipaddress


def _networks(entries):
    """``trusted-proxies`` as networks; entries that are not addresses are skipped."""
    nets = []
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            continue
    return nets


def _ip(value):
    try:
        addr = ipaddress.ip_address(value.strip().strip("[]"))
    except (ValueError, AttributeError):
        return None
    return getattr(addr, "ipv4_mapped", None) or addr


def client_address(peer, forwarded_for, trusted):
    """The address a request comes from, or None if it cannot be told.

    ``X-Forwarded-For`` is read right to left, skipping trusted proxies, and
    only when the socket ``peer`` itself is trusted; hops left of the first
    untrusted one are whatever the client chose to write.
    """
    nets = _networks(trusted)
    peer_ip = _ip(peer or "")
    if not (peer_ip and forwarded_for and any(peer_ip in n for n in nets)):
        return peer_ip
    hops = [_ip(hop) for hop in forwarded_for.split(",")]
    if None in hops:
        return None                # a garbled chain: trust nothing beyond the proxy
    for hop in reversed(hops):
        if not any(hop in n for n in nets):
            return hop
    return hops[0]                 # every hop is ours: the first is the client


def request_address(environ, config):
    """The caller's address of a WSGI request under ``config``'s trusted proxies."""
    return client_address(environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"),
                          config["trusted-proxies"])


def is_local(environ, config):
    """Whether a WSGI request comes from this machine (loopback), proxies
    honoured: a trusted proxy forwarding a remote client is remote."""
    address = request_address(environ, config)
    return address is not None and address.is_loopback


def is_loopback_host(host):
    """Whether a bind address or host name only serves this machine."""
    if host == "localhost":
        return True
    address = _ip(host or "")
    return address is not None and address.is_loopback
