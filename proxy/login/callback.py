"""The loopback listener a browser is redirected to at the end of a login.

Binds 127.0.0.1 only, answers the provider's callback path once with a
short page, hands the query back to the waiting CLI and ignores anything
else (favicon requests, scanners).
"""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_DONE = b"<!doctype html><title>Switchyard</title><p>Login received. You can close this tab.</p>"


class CallbackServer:
    def __init__(self, path, port):
        self.path, self._query, self._got = path, None, threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):      # the query holds the code: never logged
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                if parts.path != outer.path:
                    self.send_error(404)
                    return
                body = _DONE
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if not outer._got.is_set():
                    outer._query = parts.query
                    outer._got.set()

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def wait(self, timeout):
        """The callback's query string, or None after ``timeout`` seconds."""
        return self._query if self._got.wait(timeout) else None

    def close(self):
        self.server.shutdown()
        self.server.server_close()
