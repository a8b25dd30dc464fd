"""FrontRequest: one client request as the front door understood it."""
import itertools
import os
import time

import orjson

from proxy.errors import BadRequest

# Request ids: a random per-process prefix and a counter -- unique across
# workers and restarts without a getrandom() system call per request.
_ID_PREFIX = os.urandom(6).hex()
_ID_COUNTER = itertools.count(1)

# environ key: the environ's ``HTTP_*`` keys in header order (repeats
# possible), as the worker's handler put them there; absent, the environ is
# scanned for them (``proxy.http.doors.environ_headers``)
HEADER_KEYS = "switchyard.header_keys"
# environ key: the request headers as ``proxy.http.doors.environ_headers``
# returns them, built by the worker's plain-request path as it reads the
# fields (taken by the first ``environ_headers`` call, which owns it then)
LOWER_HEADERS = "switchyard.lower_headers"


def fresh_request_id():
    """A fresh request id: X-Request-Id, the access log, Anthropic's
    ``request_id`` (also for a head the worker refuses before the app)."""
    return f"{_ID_PREFIX}{next(_ID_COUNTER):08x}"


def path_dialect(path):
    """The dialect a client of ``path`` speaks (and reads errors in), or
    ``None`` for the model lists every dialect shares (``/v1/models``)."""
    if path.startswith("/v1/messages"):
        return "claude"
    if path.startswith("/v1beta/") or (path.startswith("/v1/models/") and ":" in path):
        return "gemini"
    if path.startswith("/v1/responses"):
        return "responses"
    if path.startswith("/v1/models"):
        return None
    return "openai"


def parse_body(raw):
    """The parsed JSON object in ``raw``; ``BadRequest`` saying what is wrong."""
    if not raw:
        raise BadRequest("The request body is empty; expected a JSON object.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


class FrontRequest:
    """What the relay needs to serve a request, independent of Flask.

    ``dialect``: the client's dialect (``openai``, ``responses``, ``claude``,
    ``gemini``); ``action``: ``generate`` or ``count_tokens``; ``model``: the
    name the client asked for; ``raw``: the exact bytes received (forwarded
    untouched on same-dialect paths); ``top``: the body's top-level fields
    (``proxy.wire.json_top``: containers are empty placeholders of their
    JSON type, except the few read whole: ``stream_options`` and what names
    a session); ``body``: the whole parsed JSON,
    parsed on first use -- a same-dialect request that nothing reads beyond
    the top level is never parsed whole.  Given ``body`` (already parsed),
    ``top`` is the body itself.
    """
    __slots__ = ("dialect", "action", "model", "raw", "top", "stream", "headers", "request_id",
                 "client_key_id", "client_label", "actor", "query", "own_credential",
                 "started", "_body")

    def __init__(self, *, dialect, action, model, raw, stream, headers, request_id,
                 body=None, top=None, client_key_id="", client_label="", actor="", query=None,
                 own_credential=None, started=None):
        self.dialect = dialect
        self.action = action
        self.model = model
        self.raw = raw
        self._body = body
        self.top = top if top is not None else body
        self.stream = stream
        self.headers = headers                  # client headers, lower-cased names
        self.request_id = request_id
        self.client_key_id = client_key_id      # stable label of the client key, never the key
        self.client_label = client_label
        self.actor = actor
        self.query = query if query is not None else {}
        # Bring your own key: the client's own upstream credential headers
        # (``proxy.providers.byok``); empty for requests the pool serves.
        self.own_credential = own_credential if own_credential is not None else {}
        self.started = time.monotonic() if started is None else started

    @property
    def body(self):
        if self._body is None:
            self._body = parse_body(self.raw)
        return self._body

    @property
    def body_parsed(self):
        """Whether ``body`` has been parsed (reading it costs nothing more)."""
        return self._body is not None
