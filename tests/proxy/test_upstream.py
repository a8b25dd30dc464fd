"""proxy.providers.upstream over its transports: pooled connections, one write per request, error mapping."""
import http.server
import socket
import threading
from types import SimpleNamespace

import pytest

from proxy.providers import upstream, urllib3_transport
from proxy.errors import UpstreamConnectError, UpstreamStatusError

CRED = SimpleNamespace(id="c1", proxy_url="", display_name="'fake' (127.0.0.1:1)", short_name="'fake'")
TIMEOUTS = (2, 5)              # (connect, read) seconds


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"           # keep-alive

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.seen.append((self.path, self.client_address[1], body))
        status = 429 if self.path == "/limited" else 200
        answer = b'{"echo":%d}' % len(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Retry-After", "3")
        self.send_header("Content-Length", str(len(answer)))
        if self.path == "/close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.seen = []
    thread = threading.Thread(target=srv.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _url(srv, path):
    return f"http://127.0.0.1:{srv.server_address[1]}{path}"


def test_connections_are_reused_and_dropped_ones_replaced(server):
    client = upstream.UpstreamClient()
    for path in ("/a?x=1", "/b", "/close", "/c"):
        resp = client.send(CRED, _url(server, path), {"content-type": "application/json"},
                           b'{"n":1}', timeouts=TIMEOUTS)
        assert resp.read() == b'{"echo":7}'
    paths = [p for p, _, _ in server.seen]
    ports = [port for _, port, _ in server.seen]
    assert paths == ["/a?x=1", "/b", "/close", "/c"]
    assert ports[0] == ports[1] == ports[2] != ports[3]     # reused until the server closed it


def test_non_2xx_raises_with_status_headers_and_body(server):
    client = upstream.UpstreamClient()
    with pytest.raises(UpstreamStatusError) as caught:
        client.send(CRED, _url(server, "/limited"), {}, b"{}", timeouts=TIMEOUTS)
    assert caught.value.status == 429
    assert caught.value.headers["retry-after"] == "3"
    assert caught.value.body == b'{"echo":2}'


def test_refused_connection_is_a_connect_error():
    client = upstream.UpstreamClient()
    with pytest.raises(UpstreamConnectError) as caught:
        client.send(CRED, "http://127.0.0.1:1/v1/x?key=secret", {}, b"{}", timeouts=TIMEOUTS)
    assert "secret" not in caught.value.message


def test_liveness_check_sees_an_idle_connection_closed_by_the_server():
    ours, theirs = socket.socketpair()
    conn = urllib3_transport._HTTPConnection("example.test", 80)
    conn.sock = ours
    assert conn.is_connected
    theirs.close()
    assert not conn.is_connected
    ours.close()


class _RecordingSocket:
    def __init__(self):
        self.writes = []

    def sendall(self, data):
        self.writes.append(bytes(data))

    def settimeout(self, timeout):
        pass


def test_head_and_small_body_leave_in_one_write():
    conn = urllib3_transport._HTTPConnection("example.test", 80)
    conn.sock = _RecordingSocket()
    conn.request("POST", "/v1/chat/completions", body=b'{"model":"m"}',
                 headers={"content-type": "application/json"})
    (write,) = conn.sock.writes
    assert write.startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert write.endswith(b'\r\n\r\n{"model":"m"}')
    assert b"Content-Length: 13\r\n" in write


def test_proxy_targets():
    client = urllib3_transport.Urllib3Transport()
    _, target = client._pool_for("http://api.test/v1/chat?x=1", "http://proxy.test:3128")
    assert target == "http://api.test/v1/chat?x=1"            # absolute form via a plain proxy
    _, target = client._pool_for("https://api.test/v1/chat", "http://proxy.test:3128")
    assert target == "/v1/chat"                                # tunnelled
    _, target = client._pool_for("https://api.test/v1/chat", "")
    assert target == "/v1/chat"


@pytest.mark.parametrize("headers", [{"x-evil": "a\r\nInjected: 1"}, {"x:y": "v"},
                                     {"x-evil": "a\nb"}])
def test_headers_cannot_smuggle_a_line_break(headers):
    conn = urllib3_transport._HTTPConnection("example.test", 80)
    conn.sock = _RecordingSocket()
    with pytest.raises(ValueError):
        conn.request("POST", "/x", body=b"{}", headers=headers)
    assert conn.sock.writes == []


def test_a_write_outside_a_request_goes_straight_out():
    """http.client writes a proxy's CONNECT itself, before any request()."""
    conn = urllib3_transport._HTTPSConnection("example.test", 443)
    conn.sock = _RecordingSocket()
    conn.send(b"CONNECT example.test:443 HTTP/1.1\r\n\r\n")
    assert conn.sock.writes == [b"CONNECT example.test:443 HTTP/1.1\r\n\r\n"]


def test_timeouts_are_per_call_one_object_per_config():
    first = urllib3_transport._timeout((3, 40))
    assert (first.connect_timeout, first.read_timeout) == (3, 40)
    assert urllib3_transport._timeout((3, 40)) is first and urllib3_transport._timeout((3, 41)) is not first


def test_proxied_credentials_go_over_urllib3_the_rest_over_our_client():
    client = upstream.UpstreamClient()
    for proxy_url in ("", None, "direct"):
        via = client._transport_for(SimpleNamespace(proxy_url=proxy_url))
        assert isinstance(via, upstream.DirectTransport)
    for proxy_url in ("http://proxy.test:3128", "socks5://proxy.test:1080"):
        via = client._transport_for(SimpleNamespace(proxy_url=proxy_url))
        assert isinstance(via, urllib3_transport.Urllib3Transport)
    client.close()
