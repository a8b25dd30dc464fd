"""A fake upstream speaking the four providers' wire formats, with faults.

Runs in the test process (a thread per connection) on a loopback port.
Every request is recorded.  Behaviour is scripted per credential key:
``fake.script(key, Fault(...), ...)`` queues what the next calls made with
that key get; unscripted calls get a normal answer (``fake_answers``).

Faults: ``status`` (any HTTP error with headers/body), ``hang`` (accept,
answer nothing until released or the gateway hangs up), ``reset`` (close
before any header), ``drop_after`` (stream N events then cut the
connection), ``gate`` (stream ``gate_at`` events, default 1, then wait for a
``threading.Event`` before the rest), ``end_after`` (stream N events, then
end the body cleanly with no terminal event), ``reset_after_headers`` (send
the head, then abort the connection), ``drip`` (send a whole answer's body one
byte every ``drip`` seconds: a slow-loris upstream), ``huge`` (a whole
answer padded to this many bytes), ``raw`` (these exact bytes as the body,
with ``status`` or 200 and ``headers``; a list of byte strings is sent
chunked, one chunk each).
``fake.call_tools(key, {name: arguments})`` makes every answer for that key
that is offered one of those tools call it, and ``fake.reason(key)`` makes
its streams think first and its requests checked for that reasoning coming
back (``fake_reasoning``), until ``reset_state``.
"""
import json
import re
import select
import socket
import threading
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.integration import fake_answers, fake_reasoning

_GEMINI = re.compile(r"^(?:/v1beta|/v1/projects/[^/]+/locations/[^/]+/publishers/google)"
                     r"/models/(?P<model>[^:]+):(?P<method>\w+)")
# Google Code Assist (Gemini CLI accounts): the Gemini body in an envelope
_CODE_ASSIST = re.compile(r"^/v1internal:(?P<method>\w+)")
_CODE_ASSIST_SETUP = ("loadCodeAssist", "onboardUser")      # finding an account's project
# ChatGPT backend (Codex accounts): streams only, stores nothing, input a list
_CODEX_BACKEND = "/backend-api/codex/responses"
# Vertex AI's countTokens takes these fields only (no generateContentRequest)
_VERTEX_COUNT = re.compile(r"^/v1/projects/[^/]+/locations/[^/]+/publishers/google/models/"
                           r"[^:]+:countTokens")
_VERTEX_COUNT_FIELDS = {"model", "instances", "contents", "systemInstruction", "tools",
                        "generationConfig"}


@dataclass
class Fault:
    status: int = 0
    headers: dict = field(default_factory=dict)
    body: object = None
    hang: bool = False
    reset: bool = False
    drop_after: int = -1
    gate: threading.Event = None
    raw: object = None
    gate_at: int = 1
    end_after: int = -1
    reset_after_headers: bool = False
    drip: float = 0.0
    huge: int = 0
    done: threading.Event = field(default_factory=threading.Event)   # stream fully sent
    peer_closed: threading.Event = field(default_factory=threading.Event)  # gateway hung up


@dataclass
class Call:
    path: str
    headers: dict
    body: dict
    key: str
    raw: bytes = b""          # the request body as it arrived


class FakeUpstream:
    def __init__(self):
        self.calls = []
        self._scripts = {}
        self._tool_calls = {}
        self._reasoning = set()
        self._markers = {}                    # request-body marker -> Fault
        self._lock = threading.Lock()
        self.release = threading.Event()      # frees hung requests
        self.oauth = None     # a tests.fakes.oauth_server whose "at-" tokens must be live
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def script(self, key, *faults):
        with self._lock:
            self._scripts.setdefault(key, []).extend(faults)

    def call_tools(self, key, tool_calls):
        with self._lock:
            self._tool_calls[key] = dict(tool_calls)

    def reason(self, key):
        with self._lock:
            self._reasoning.add(key)

    def reasons(self, key):
        with self._lock:
            return key in self._reasoning

    def tool_calls_for(self, key):
        with self._lock:
            return self._tool_calls.get(key)

    def script_marker(self, marker, fault):
        """Every call whose request body contains ``marker`` (any key) gets a
        copy of ``fault``: a failure that follows the request, not the key."""
        with self._lock:
            self._markers[marker] = fault

    def reset_state(self):
        with self._lock:
            self._scripts.clear()
            self._markers.clear()
            self._tool_calls.clear()
            self._reasoning.clear()
            self.calls.clear()
        self.release.clear()

    def next_fault(self, key, body=None):
        with self._lock:
            queue = self._scripts.get(key)
            if queue:
                return queue.pop(0)
            return _marked(self._markers, body)

    def record(self, call):
        with self._lock:
            self.calls.append(call)

    def calls_for(self, key):
        with self._lock:
            return [c for c in self.calls if c.key == key]


def _handler_for(fake):
    class Handler(_Handler):
        upstream = fake
    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        body = json.loads(raw or b"{}")
        key = (self.headers.get("x-api-key") or self.headers.get("x-goog-api-key")
               or self.headers.get("authorization", "").removeprefix("Bearer "))
        self.upstream.record(Call(self.path, {k.lower(): v for k, v in self.headers.items()},
                                  body, key, raw))
        self.envelope = None
        if self.upstream.oauth is not None and key.startswith("at-") \
                and not self.upstream.oauth.valid(key):
            return self._json(401, {"type": "error", "error": {
                "type": "authentication_error", "message": "OAuth token has expired."}})
        assist = _CODE_ASSIST.match(self.path)
        if assist and assist["method"] in _CODE_ASSIST_SETUP:
            return self._code_assist_setup("POST", body, key)
        if assist:
            if assist["method"] != "countTokens" and not body.get("project"):
                # what Code Assist answers an envelope without a project
                return self._json(400, {"error": {
                    "code": 400, "status": "INVALID_ARGUMENT",
                    "message": "Invalid project resource name projects/"}})
            self.envelope, body = body, body.get("request") or {}
            if assist["method"] == "countTokens" and (
                    set(self.envelope) != {"request"} or set(body) != {"model", "contents"}):
                # Code Assist's CountTokenRequest: {request: {model, contents}} only
                return self._json(400, {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                                                  "message": "Invalid JSON payload received."}})
        if _VERTEX_COUNT.match(self.path) and set(body) - _VERTEX_COUNT_FIELDS:
            return self._json(400, {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                                              "message": "Invalid JSON payload received. "
                                              "Unknown name \"generateContentRequest\""}})
        if self.path.startswith(_CODEX_BACKEND) and (
                body.get("stream") is not True or body.get("store") is not False):
            return self._json(400, {"detail": "Stream must be set to true and store to false"})
        if self.path.startswith(_CODEX_BACKEND) and not isinstance(body.get("input"), list):
            return self._json(400, {"detail": "Input must be a list"})
        dialect, model, stream, count = self._route(body)
        if not count and not answerable(dialect, body, model, stream):
            return self._json(400, REJECTIONS[dialect])
        fault = self.upstream.next_fault(key, body) or Fault()
        if fault.reset:
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if fault.hang:
            self._hang(fault)
            return
        if fault.raw is not None:
            return self._raw(fault)
        if fault.status:
            return self._json(fault.status, fault.body or {"error": {"message": "fault"}},
                              fault.headers)
        if count:
            return self._json(200, fake_answers.count(dialect))
        if fault.reset_after_headers:
            return self._reset_after_headers()
        if fault.drip:
            return self._drip(fake_answers.whole(dialect, body, model), fault)
        if fault.huge:
            return self._json(200, _padded(fake_answers.whole(dialect, body, model), fault.huge))
        tool_calls = self.upstream.tool_calls_for(key)
        reasoning = self.upstream.reasons(key)
        refusal = fake_reasoning.history_error(dialect, body) if reasoning else None
        if refusal:
            return self._json(400, refusal)
        if stream:
            events = fake_answers.stream(dialect, body, model, tool_calls)
            if reasoning:
                events = fake_reasoning.add_to_stream(dialect, events, body)
            return self._stream(events, fault)
        if fault.gate is not None and not self._wait_gate(fault):
            return
        # a scripted Fault without a failure may still add headers (quota windows)
        return self._json(200, fake_answers.whole(dialect, body, model, tool_calls),
                          fault.headers)

    def do_GET(self):
        """Code Assist's long-running operations (``/v1internal/operations/...``)."""
        key = self.headers.get("authorization", "").removeprefix("Bearer ")
        self.upstream.record(Call(self.path, {k.lower(): v for k, v in self.headers.items()},
                                  {}, key))
        if self.path.startswith("/v1internal/"):
            return self._code_assist_setup("GET", None, key)
        return self._json(404, {"error": {"code": 404, "status": "NOT_FOUND"}})

    def _code_assist_setup(self, method, body, key):
        """Project setup calls, answered by the fake OAuth server that issued
        the account's token (it knows the account: ``FakeOAuthServer.code_assist``)."""
        self.envelope = None
        oauth = self.upstream.oauth
        if oauth is None:
            return self._json(404, {"error": {"code": 404, "status": "NOT_FOUND"}})
        return self._json(*oauth.code_assist(method, self.path, body, key))

    def _route(self, body):
        """``(dialect, model, stream, count)`` from the path."""
        path = self.path.split("?")[0]
        assist = _CODE_ASSIST.match(path)
        if assist:
            model = self.envelope.get("model") or body.get("model", "").removeprefix("models/")
            return ("gemini", model, assist["method"] == "streamGenerateContent",
                    assist["method"] == "countTokens")
        match = _GEMINI.match(path)
        if match:
            method = match["method"]
            return ("gemini", match["model"], method == "streamGenerateContent",
                    method == "countTokens")
        if path.endswith("/chat/completions"):
            return "openai", body.get("model"), bool(body.get("stream")), False
        if path.endswith("/responses/input_tokens"):
            return "responses", body.get("model"), False, True
        if path.endswith("/responses"):
            return "responses", body.get("model"), bool(body.get("stream")), False
        if path.endswith("/messages/count_tokens"):
            return "claude", body.get("model"), False, True
        return "claude", body.get("model"), bool(body.get("stream")), False

    def _json(self, status, payload, headers=None):
        # Code Assist wraps generate answers; its countTokens answers a bare {totalTokens}
        if getattr(self, "envelope", None) is not None and status == 200 \
                and "totalTokens" not in payload:
            payload = {"response": payload, "traceId": "trace-fake"}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", "req_fake")
        self.send_header("set-cookie", "upstream-session=secret")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _raw(self, fault):
        chunked = isinstance(fault.raw, list)
        self.send_response(fault.status or 200)
        for name, value in fault.headers.items():
            self.send_header(name, value)
        if chunked:
            self.send_header("transfer-encoding", "chunked")
        else:
            self.send_header("content-length", str(len(fault.raw)))
        self.end_headers()
        if not chunked:
            self.wfile.write(fault.raw)
            return
        for piece in fault.raw:
            self._chunk(piece)
        self._chunk(b"")

    def _stream(self, events, fault):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for i, (name, payload) in enumerate(events):
            if i == fault.drop_after:
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if i == fault.end_after:
                break
            if i == fault.gate_at and fault.gate is not None and not self._wait_gate(fault):
                return
            if getattr(self, "envelope", None) is not None and not isinstance(payload, str):
                payload = {"response": payload}
            data = payload if isinstance(payload, str) else json.dumps(payload)
            text = (f"event: {name}\n" if name else "") + f"data: {data}\n\n"
            self._chunk(text.encode())
        self._chunk(b"")
        fault.done.set()

    def _wait_gate(self, fault, gate=None):
        """Hold the stream until the test opens the gate; notice meanwhile
        if the gateway closes the connection (client disconnect test)."""
        gate = gate or fault.gate
        while not gate.wait(0.02):
            readable, _, _ = select.select([self.connection], [], [], 0)
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                fault.peer_closed.set()
                self.close_connection = True
                return False
        return True

    def _hang(self, fault):
        """Answer nothing until released or until the gateway hangs up
        (``fault.peer_closed`` then tells the test)."""
        self._wait_gate(fault, fault.gate or self.upstream.release)
        self.close_connection = True

    def _reset_after_headers(self):
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", "1000")
        self.end_headers()
        self.wfile.flush()
        # SO_LINGER 0: close() sends RST, not FIN
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        self.connection.close()
        self.close_connection = True

    def _drip(self, payload, fault):
        """A whole answer whose body comes one byte every ``fault.drip``
        seconds (each read returns data, so no idle timeout fires), until
        sent or the gateway hangs up."""
        raw = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        for i in range(len(raw)):
            try:
                self.connection.sendall(raw[i:i + 1])
                readable, _, _ = select.select([self.connection], [], [], fault.drip)
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    raise ConnectionResetError
            except OSError:
                fault.peer_closed.set()
                break
        self.close_connection = True

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


def _padded(answer, size):
    """``answer`` with an extra field making it about ``size`` bytes."""
    return dict(answer, padding="x" * max(0, size - len(json.dumps(answer))))


# What each provider answers a request it cannot read (API references, "Errors").
REJECTIONS = {
    "openai": {"error": {"message": "Invalid request body.", "type": "invalid_request_error",
                         "param": None, "code": None}},
    "responses": {"error": {"message": "Invalid request body.",
                            "type": "invalid_request_error", "param": None, "code": None}},
    "claude": {"type": "error", "error": {"type": "invalid_request_error",
                                          "message": "Invalid request body."}},
    "gemini": {"error": {"code": 400, "message": "Invalid JSON payload received.",
                         "status": "INVALID_ARGUMENT"}},
}


def answerable(dialect, body, model, stream):
    """Whether the fake can answer ``body`` at all: a malformed body (the
    fuzz test's, passed through untouched) gets the provider's 400, as from
    a real upstream, rather than a crash of the fake."""
    try:
        if stream:
            list(fake_answers.stream(dialect, body, model))
        else:
            fake_answers.whole(dialect, body, model)
    except (KeyError, TypeError, AttributeError, IndexError, ValueError):
        return False
    return True


def _marked(markers, body):
    """A fresh copy of the fault whose marker the request body contains."""
    if not markers or body is None:
        return None
    text = json.dumps(body)
    for marker, fault in markers.items():
        if marker in text:
            return replace(fault, done=threading.Event(),
                                       peer_closed=threading.Event())
    return None


# Refusals of the account behind a key, as each provider words them (whatever
# the status: Anthropic sends its billing refusal as a 400, OpenAI as a 429).
CREDENTIAL_REFUSALS = {
    "claude": (400, {"type": "error", "error": {
        "type": "invalid_request_error",
        "message": "Your credit balance is too low to access the Anthropic API. "
                   "Please go to Plans & Billing to upgrade or purchase credits."}}),
    "openai": (429, {"error": {
        "message": "You exceeded your current quota, please check your plan and billing "
                   "details.", "type": "insufficient_quota", "param": None,
        "code": "insufficient_quota"}}),
    "responses": (403, {"error": {
        "message": "Country, region, or territory not supported", "type": "request_forbidden",
        "param": None, "code": "unsupported_country_region_territory"}}),
    "gemini": (400, {"error": {
        "code": 400, "status": "FAILED_PRECONDITION",
        "message": "Gemini API free tier is not available in your country. Please enable "
                   "billing on your project in Google AI Studio."}}),
}


def credential_refusal(dialect):
    """The fault of a key whose account cannot pay or may not use the API."""
    status, body = CREDENTIAL_REFUSALS[dialect]
    return Fault(status=status, body=body)


def redirect(location="https://login.example.com/sso"):
    """An API endpoint answering a redirect (a captive portal or SSO proxy)."""
    return Fault(status=302, headers={"location": location},
                 body={"message": "Found"})
