"""The gunicorn worker: gevent's pywsgi server, with gunicorn's settings kept.

gunicorn's ``gevent_pywsgi`` worker serves HTTP/1.1 with gevent's own
``pywsgi`` handler instead of gunicorn's request parser; on the bench that is
~40 µs less per request (bench/RESULTS.md), a tenth of the proxy's added
latency.  What its handler lacked or did slowly, changed here:

- pywsgi has no keep-alive timeout and would keep an idle client connection
  open forever: every client socket gets gunicorn's ``keepalive`` seconds as
  its timeout, so a connection that sends nothing for that long (idle
  between requests, or stalled mid-request) is closed quietly (pywsgi treats
  the timeout like a client that went away);
- gunicorn's ``limit_request_line`` / ``limit_request_fields`` /
  ``limit_request_field_size`` hold as under gunicorn's own parser (414 and
  431, RFC 9110 section 15.5.15, RFC 6585 section 5), the error body in the
  dialect the request path speaks; request headers are parsed by
  ``proxy.wire.http1.parse_headers``, not the email package (a malformed line ->
  400), into a message whose lookups go through a dict (``RequestHead``),
  and the WSGI environ's ``HTTP_*`` keys are built from the parsed fields
  without formatting each as a header line and splitting it again;
- a request whose head is in the read buffer whole and has the plain shape
  clients send (``http1.split_request_head``; no chunked body, ``Expect``
  or upgrade) is read from that buffer in one pass and its environ built
  at once (``Handler._plain_environ``): pywsgi's readline per line, header
  message and generic environ cost ~100k instructions a request; any other
  head takes pywsgi's path (with the changes above), which the buffer is
  left untouched for;
- gunicorn's access-log record is not built when its access log writes
  nowhere (Switchyard writes its own, see ``proxy.telemetry.access_log``);
- a response's head leaves in the same write as its first body chunk (pywsgi
  sends them apart: two segments and, for a whole answer, two wake-ups of
  the client), and the ``Date`` value is formatted once a second;
- the read buffer sits on ``Receiver``, not ``socket.makefile``'s
  ``SocketIO``: the same reads and timeouts, without a new ``Timeout``
  (an object and an event-loop timer) for every wait;
- a write is one plain ``send`` when the socket takes it whole (nearly
  always): gevent's ``sendall`` first asks the kernel for the send buffer's
  size, a ``getsockopt`` syscall on every write;
- the environ names the handler (``proxy.http.disconnect.CONNECTION``), so
  what belongs to the client connection (its hang-up watcher) is made once
  per connection, not per request; and it lists its ``HTTP_*`` keys
  (``proxy.http.front.HEADER_KEYS``), so the front doors read the request
  headers without scanning the whole environ -- or, from the plain path,
  hands them over as the doors want them (``LOWER_HEADERS``);
- ``start_response`` checks the fields pywsgi's does (text, latin-1, no CR
  or LF) on all of them at once rather than field by field.
"""
import io
import logging
import time
from itertools import chain
from http.client import LineTooLong

import gevent
from gevent.pywsgi import MAX_REQUEST_LINE, Input, OldMessage, format_date_time, unquote_latin1
from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIHandler

import translators

from proxy.relay import draining
from proxy.wire import gather, http1
from proxy.telemetry import live_feed
from proxy.http.disconnect import CONNECTION
from proxy.http.receiver import Receiver
from proxy.http.front import HEADER_KEYS, LOWER_HEADERS, fresh_request_id, path_dialect
from proxy.errors import HeadRefused, TooManyHeaders, error_body

_COALESCE_LIMIT = 256 * 1024      # first chunks up to this size share the head's write
_date = (None, b"")                # (second, its formatted Date value)


def _http_date(now):
    """RFC 9110 section 5.6.7 IMF-fixdate of ``now``, formatted once a second."""
    global _date
    second = int(now)
    if _date[0] != second:
        _date = (second, format_date_time(second))
    return _date[1]


_REASONS = {400: "Bad Request", 414: "URI Too Long", 431: "Request Header Fields Too Large"}


def _refusal(exc, requestline, request_id):
    """The whole HTTP response refusing a head (``HeadRefused``), its body
    in the dialect of the request's path, with the request id its log line
    names (in ``X-Request-Id``, and where the dialect's SDK reads it)."""
    parts = requestline.split(" ", 2)
    path = parts[1] if len(parts) > 1 else "/"
    dialect = path_dialect(path) or "openai"
    body = error_body(dialect, exc.status, exc.message, request_id=request_id)
    ids = b"X-Request-Id: %s\r\n" % request_id.encode()
    name = translators.dialect(dialect).REQUEST_ID_HEADER
    if name is not None:
        ids += b"%s: %s\r\n" % (name.encode(), request_id.encode())
    return b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nConnection: close\r\n" \
           b"%sContent-Length: %d\r\n\r\n%s" % (
               exc.status, _REASONS[exc.status].encode(), ids, len(body), body)


# What a request's field name means to the plain-request path (``Handler._plain_environ``)
_PLAIN, _CONNECTION, _TYPE, _LENGTH, _DROPPED, _GENERAL = range(6)
# framing pywsgi's general path handles (chunked input, 100-continue, upgrades)
_GENERAL_KEYS = frozenset({"HTTP_TRANSFER_ENCODING", "HTTP_EXPECT", "HTTP_UPGRADE"})
_ENV_KEYS = {}          # field name as sent -> (environ key, kind, lower-cased name); not secrets
_ENV_KEYS_MAX = 1024


def _env_key(name):
    """``(environ key, kind, lower-cased name)`` of a request field name:
    the key as pywsgi names it (``HTTP_`` and the name upper-cased with "-"
    as "_", except ``CONTENT_TYPE`` / ``CONTENT_LENGTH``; a name with "_"
    is dropped: it would pass for its "-" twin), and the name as
    ``proxy.http.doors.environ_headers`` derives it from that key.
    Remembered for the next request, up to ``_ENV_KEYS_MAX`` names."""
    entry = _ENV_KEYS.get(name)
    if entry is None:
        key = name.replace("-", "_").upper()
        if "_" in name:
            entry = ("", _DROPPED, "")
        elif key == "CONTENT_TYPE":
            entry = (key, _TYPE, "content-type")
        elif key == "CONTENT_LENGTH":
            entry = (key, _LENGTH, "content-length")
        else:
            key = "HTTP_" + key
            entry = (key, _CONNECTION if key == "HTTP_CONNECTION"
                     else _GENERAL if key in _GENERAL_KEYS else _PLAIN,
                     key[5:].replace("_", "-").lower())
        if len(_ENV_KEYS) < _ENV_KEYS_MAX:
            _ENV_KEYS[name] = entry
    return entry


class RequestHead(OldMessage):
    """pywsgi's request-header message, its lookups through a dict.

    pywsgi asks a request's head for a field about ten times (framing,
    ``Connection``, ``Content-Type``, ``Expect``, upgrade), and
    ``email.message.Message.get`` scans every field, lower-casing each name
    and passing each value through the email policy, every time.  Here the
    fields are indexed once, by lower-cased name, first value first (what
    ``Message.get`` answers; the values are ``parse_headers``'s ISO-8859-1
    text, which the policy hands back unchanged); any change to the fields
    drops the index.
    """

    _index = None

    @classmethod
    def from_fields(cls, fields):
        """The message of ``(name, value)`` pairs (what ``set_raw`` would
        append one by one), built at once (``http1.parse_headers``)."""
        message = cls()
        message._headers = fields
        return message

    def get(self, name, failobj=None):
        index = self._index
        if index is None:
            index = self._index = {}
            for field, value in self._headers:
                index.setdefault(field.lower(), value)
        return index.get(name.lower(), failobj)

    def set_raw(self, name, value):
        self._index = None
        super().set_raw(name, value)

    def __setitem__(self, name, value):
        self._index = None
        super().__setitem__(name, value)

    def __delitem__(self, name):
        self._index = None
        super().__delitem__(name)


class Handler(PyWSGIHandler):
    """pywsgi's request handler with the changes listed in the module docstring."""

    # Set per worker from gunicorn's settings (Worker.init_process); the
    # defaults are gunicorn's.
    idle_timeout = None            # seconds: `keepalive`
    access_log = True              # gunicorn's own access log on?
    limit_request_line = 4094      # bytes; 0 = pywsgi's own 8 KiB
    limit_request_fields = 100
    limit_request_field_size = 8190
    _line_cut = False
    hangup_watcher = None          # proxy.http.disconnect's watcher of this connection
    _head = None                   # the request's RequestHead, once built (``headers``)
    _fields = ()                   # a plain request's (name, raw value) pairs

    def __init__(self, sock, address, server, rfile=None):
        if rfile is None:
            rfile = io.BufferedReader(Receiver(sock))
        super().__init__(sock, address, server, rfile)

    @property
    def headers(self):
        """The request's head (pywsgi's ``headers``); a plain request's is
        built when first read (gunicorn's access log), not per request."""
        head = self._head
        if head is None:
            head = self._head = RequestHead.from_fields(
                [(name, value.strip(" \t")) for name, value in self._fields])
        return head

    @headers.setter
    def headers(self, head):
        self._head = head

    def handle(self):
        self.socket.settimeout(self.idle_timeout)
        try:
            super().handle()
        finally:
            # the connection's hang-up watcher lives as long as the connection
            if self.hangup_watcher is not None:
                self.hangup_watcher.close()
                self.hangup_watcher = None

    def handle_one_request(self):
        # A plain request whose head is in the read buffer whole (nearly
        # every request) is read from that buffer in one pass; anything
        # else goes through pywsgi's line-by-line path and the overrides
        # below, which the buffer is left untouched for.
        rfile = self.rfile
        if rfile.closed:
            return None
        try:
            data = rfile.peek()
        except OSError:             # as pywsgi: a reset or the idle timeout
            return None
        end = data.find(b"\r\n\r\n")
        environ = None
        if 0 <= end <= self.limit_request_field_size:
            environ = self._plain_environ(data[:end].decode("latin-1"))
        if environ is None:
            return super().handle_one_request()
        rfile.read(end + 4)
        self.response_length = 0
        self.environ = environ
        self.application = self.server.application
        self.handle_one_response()
        if self.close_connection or rfile.closed:
            return None
        return True

    def _plain_environ(self, head):
        """The WSGI environ of a request in its plain shape (see
        ``http1.split_request_head``; HTTP/1.1 or 1.0, within the limits, a
        decimal Content-Length if any, no chunked body, ``Expect`` or
        upgrade, no repeated framing field) with the handler's request
        attributes set, as pywsgi's ``read_request`` and ``get_environ``
        (and gunicorn's and ours above) make them; None for any other head,
        nothing set.  ``head``: up to the blank line, as text."""
        split = http1.split_request_head(head)
        if split is None:
            return None
        line, fields = split
        words = line.split()
        if (len(words) != 3 or len(fields) > self.limit_request_fields
                or len(line) > self.limit_request_line or len(line) + 2 >= MAX_REQUEST_LINE):
            return None
        command, path, version = words
        if version != "HTTP/1.1" and version != "HTTP/1.0":
            return None
        headers, keys, lowered = {}, [], {}
        content_type = length = connection = None
        known = _ENV_KEYS
        for name, value in fields:
            key, kind, lower = known.get(name) or _env_key(name)
            if kind <= _CONNECTION:
                if key in headers:
                    if kind == _CONNECTION:
                        return None
                    lowered[lower] = headers[key] = headers[key] + (
                        "; " if "COOKIE" in key else ",") + value.strip()
                else:
                    lowered[lower] = headers[key] = value.strip()
                    if kind == _CONNECTION:
                        connection = value.strip(" \t").lower()
                keys.append(key)
            elif kind == _TYPE:
                if content_type is None:
                    content_type = value.strip(" \t")
            elif kind == _LENGTH:
                if length is not None:
                    return None
                length = value.strip(" \t")
            elif kind == _GENERAL:
                return None
        if length is not None:
            if not (length.isdigit() and length.isascii()):
                return None
            content_length = int(length)
            if content_length and command == "HEAD":
                return None
        else:
            content_length = None
        if connection == "upgrade":
            return None
        if version == "HTTP/1.1":
            close = connection == "close"
        else:
            close = (connection or "close") != "keep-alive"
        environ = self.server.get_environ()
        environ["REQUEST_METHOD"] = command
        environ["SCRIPT_NAME"] = ""
        target, _, query = path.partition("?")
        environ["PATH_INFO"] = unquote_latin1(target) if "%" in target else target
        environ["QUERY_STRING"] = query
        if content_type is not None:
            environ["CONTENT_TYPE"] = content_type
            if content_type:
                lowered["content-type"] = content_type
        if length:
            environ["CONTENT_LENGTH"] = lowered["content-length"] = length
        environ["SERVER_PROTOCOL"] = version
        address = self.client_address
        if isinstance(address, tuple):
            environ["REMOTE_ADDR"] = str(address[0])
            environ["REMOTE_PORT"] = str(address[1])
        environ.update(headers)
        environ["wsgi.input"] = self.wsgi_input = Input(self.rfile, content_length)
        environ["wsgi.input_terminated"] = True
        environ["gunicorn.sock"] = self.socket
        environ["RAW_URI"] = path
        environ[CONNECTION] = self
        environ[HEADER_KEYS] = keys
        environ[LOWER_HEADERS] = lowered
        self.requestline = line.rstrip()
        self.command, self.path, self.request_version = words
        self._fields, self._head = fields, None
        self.content_length = content_length
        self.close_connection = close
        return environ

    def read_requestline(self):
        # pywsgi answers a line of MAX_REQUEST_LINE bytes or more itself, with
        # an empty body: cut it short so read_request refuses it in a dialect
        line = super().read_requestline()
        self._line_cut = len(line) >= MAX_REQUEST_LINE
        return line[:MAX_REQUEST_LINE - 1] if self._line_cut else line

    def read_request(self, raw_requestline):
        length = len(raw_requestline.rstrip("\r\n"))
        if self._line_cut:
            raise HeadRefused(414, f"The request line is over {MAX_REQUEST_LINE - 1} bytes; "
                                   f"this gateway accepts at most {self.limit_request_line}.")
        if self.limit_request_line and length > self.limit_request_line:
            raise HeadRefused(414, f"The request line is {length} bytes; this gateway "
                                   f"accepts at most {self.limit_request_line}.")
        return super().read_request(raw_requestline)

    def MessageClass(self, fp, *args):
        # pywsgi's ``headers_factory`` contract: an ``OldMessage``; raising
        # makes it answer 400 (ValueError) or, through _handle_client_error
        # below, our status.
        try:
            return http1.parse_headers(fp, RequestHead, strict=True,
                                       max_headers=self.limit_request_fields,
                                       max_line=self.limit_request_field_size + 2)   # + CRLF
        except LineTooLong:
            raise HeadRefused(431, "A request header field is longer than "
                                   f"{self.limit_request_field_size} bytes.") from None
        except TooManyHeaders:
            raise HeadRefused(431, f"The request has more than {self.limit_request_fields} "
                                   "header fields.") from None

    def _headers(self):
        # pywsgi's own formats each field as a "Name: value" line and splits
        # it again; parse_headers has unfolded continuation lines already.
        # As pywsgi: a name with "_" is dropped (it would pass for its "-"
        # twin in the CGI-style key), Content-Type/-Length are keys of their own.
        keys = self._header_keys = []
        for name, value in self.headers._headers:
            if "_" not in name:
                key = name.replace("-", "_").upper()
                if key != "CONTENT_TYPE" and key != "CONTENT_LENGTH":
                    key = "HTTP_" + key
                    keys.append(key)
                    yield key, value.strip()

    def get_environ(self):
        environ = super().get_environ()
        environ[CONNECTION] = self
        environ[HEADER_KEYS] = self._header_keys
        return environ

    def _handle_client_error(self, ex):
        if isinstance(ex, HeadRefused):
            request_id = fresh_request_id()
            self.log_error("Invalid request %s (from %s): %s", request_id, self.client_address, ex)
            return str(ex.status), _refusal(ex, self.requestline, request_id)
        if isinstance(ex, ValueError):          # a malformed head: 400, said in the dialect
            request_id = fresh_request_id()
            self.log_error("Invalid request %s (from %s): %s", request_id, self.client_address, ex)
            return "400", _refusal(HeadRefused(400, f"Malformed request: {ex}"[:300]),
                                   self.requestline or "", request_id)
        return super()._handle_client_error(ex)

    def start_response(self, status, headers, exc_info=None):
        # pywsgi's, its checks made on all the fields at once: one join
        # finds a field that is not text, one encode one outside latin-1,
        # two searches a CR or LF (header injection); what it would refuse
        # (and exc_info) goes to pywsgi's own, which says why.
        if exc_info is not None:
            return super().start_response(status, headers, exc_info)
        try:
            text = "".join([status, *chain.from_iterable(headers)])
            text.encode("latin-1")
            if "\r" in text or "\n" in text:
                raise ValueError("carriage return or newline")
            response_headers = [(name.encode("latin-1"), value.encode("latin-1"))
                                for name, value in headers]
            code = int(status.split(" ", 1)[0])
        except Exception:                            # noqa: BLE001 -- pywsgi raises it
            return super().start_response(status, headers)
        provided = {name.lower(): value for name, value in headers}
        length = provided.get("content-length")
        if code in (304, 204) and length is not None and length != "0":
            return super().start_response(status, headers)        # refused there
        self.status = status.encode("latin-1")
        self._orig_status = status
        self.response_headers = response_headers
        self.code = code
        self.provided_date = provided.get("date")
        self.provided_content_length = length
        connection = provided.get("connection")
        if self.request_version == "HTTP/1.0" and connection is None:
            response_headers.append((b"Connection",
                                     b"close" if self.close_connection else b"keep-alive"))
        elif connection == "close":
            self.close_connection = True
        return self.write

    def finalize_headers(self):
        if self.provided_date is None:
            self.provided_date = True
            self.response_headers.append((b"Date", _http_date(time.time())))
        super().finalize_headers()

    def _write_with_headers(self, data):
        if len(data) > _COALESCE_LIMIT:
            return super()._write_with_headers(data)
        self.headers_sent = True
        self.finalize_headers()
        head = b"".join([b"HTTP/1.1 ", self.status, b"\r\n",
                         *[b"%s: %s\r\n" % pair for pair in self.response_headers], b"\r\n"])
        if data and self.response_use_chunked:     # chunk framing as pywsgi's _write
            data = b"%x\r\n%s\r\n" % (len(data), data)
        elif len(data) >= gather.GATHER_FROM and gather.can_gather(self.socket):
            self._send_gathered(head, data)      # a large answer: not copied behind the head
            return
        self._sendall(head + data)

    def _sendall(self, data):
        try:
            sent = self.socket.send(data)
            if sent < len(data):
                self.socket.sendall(memoryview(data)[sent:])
        except OSError as ex:       # as pywsgi's: the status logged says why
            self.status = "socket error: %s" % ex
            if self.code > 0:
                self.code = -self.code
            raise
        self.response_length += len(data)

    def _send_gathered(self, head, data):
        """``_sendall(head + data)`` without the join (``proxy.wire.gather``)."""
        try:
            gather.send_gathered(self.socket, head, data)
        except OSError as ex:       # as _sendall
            self.status = "socket error: %s" % ex
            if self.code > 0:
                self.code = -self.code
            raise
        self.response_length += len(head) + len(data)

    def log_request(self):
        if self.access_log:
            super().log_request()


def handler_settings(cfg):
    """The handler's class attributes from gunicorn's settings ``cfg``
    (0 = unlimited, as gunicorn reads them, within pywsgi's own bounds)."""
    return {
        "idle_timeout": cfg.keepalive or None,
        "limit_request_line": min(cfg.limit_request_line or MAX_REQUEST_LINE, MAX_REQUEST_LINE),
        "limit_request_fields": cfg.limit_request_fields or 32768,   # gunicorn's maximum
        "limit_request_field_size": cfg.limit_request_field_size or http1.MAX_LINE,
    }


def access_log_writes(glog):
    """Whether gunicorn's access log (of its ``Logger`` ``glog``) would write
    a line.  gunicorn counts any ``logconfig_dict`` as turning it on, and
    Switchyard always passes one (``proxy.logs``), so its own flag is not
    enough: the ``gunicorn.access`` logger must also have a handler
    (``accesslog`` / ``--access-logfile`` adds one) and pass INFO.  Otherwise
    each request would build the record's atoms for nothing."""
    access = glog.access_log
    return bool(glog.access_log_enabled and access.isEnabledFor(logging.INFO)
                and access.hasHandlers())


class Worker(GeventPyWSGIWorker):
    wsgi_handler = Handler

    def init_process(self):
        for name, value in handler_settings(self.cfg).items():
            setattr(Handler, name, value)
        # read once: through pywsgi's log adapter it costs a few µs a request
        Handler.access_log = access_log_writes(self.log)
        super().init_process()

    def handle_exit(self, sig, frame):
        """SIGTERM: stop gracefully, and end the dashboard's live streams now
        (they never finish by themselves; spawned: not in a signal handler),
        and end the relayed streams still open just before ``graceful_timeout``
        runs out (``proxy.relay.draining``)."""
        super().handle_exit(sig, frame)
        gevent.spawn(live_feed.close)
        gevent.spawn(draining.drain_after, self.cfg.graceful_timeout)
