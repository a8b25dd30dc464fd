"""Dialect translation: pure functions over parsed JSON, no I/O.

Dialect names (also used by ``proxy``): ``openai`` (Chat Completions),
``responses`` (OpenAI Responses), ``claude`` (Anthropic Messages),
``gemini`` (generateContent).

Every dialect package exports the same surface (its ``__init__``):

- ``parse_request(body) -> ir request``; ``render_request(ir, model) -> body``
- ``parse_response(body) -> ir response``;
  ``render_response(ir, model, request) -> body`` (``request``: the client's
  original body, for fields a response echoes back)
- ``StreamDecoder()`` with ``feed(event_name, data) -> [ir events]`` and
  ``close() -> [ir events]``; ``data`` is the parsed JSON of one SSE event
  (or the raw string, e.g. OpenAI's ``[DONE]``)
- ``StreamEncoder(model, request)`` with ``feed(ir_event) -> [(event_name|None, payload)]``
  where payload is a dict, or a str sent verbatim (``[DONE]``)
- ``render_error(status, message, error_type=None, code=None, param=None, *,
  request_id=None, retry_after=None) -> body`` (``code`` / ``param``: OpenAI's
  machine-readable fields; ``request_id``: Anthropic's top-level id;
  ``retry_after``: Gemini's RetryInfo detail -- each where the shape has it);
  ``parse_error(body) -> (message, error_type)``;
  ``stream_error_event(message, error_type=None, code=None, *, request_id=None, after=())
  -> (event_name|None, payload)``;
  Gemini also ``retry_delay(body) -> seconds | None`` (its RetryInfo detail)
- ``parse_usage(obj) -> ir usage | None`` (from a response body or stream
  event of that dialect; None when it carries no usage)
- ``render_count_tokens(n) -> body``

Wire facts the gateway asks of a dialect instead of branching on its name
(each package's ``wire.py``):

- ``HEADER_PREFIXES``: request header names the dialect's providers own
  (``anthropic-``...): forwarded to upstreams of that dialect only
- ``REQUEST_ID_HEADER``: the response header its SDK reads the request id
  from when that is not ``x-request-id`` (Anthropic ``request-id``), else None
- ``KEEPALIVE``: the bytes an idle stream is kept open with
- ``is_error_event(name, data) -> bool``: one SSE event (name, data text)
  is the stream's error signal
- ``STREAM_END``: a bytes regex matching the raw last data event of a
  complete stream (an error event counts as an ending)
- ``TOOL_CALL_MARK``: bytes present in every raw stream event that carries
  a tool call; ``stream_tool_calls(data) -> [(name, id)]`` reads them off
  one parsed event
- ``TURNS_KEY``: the request body key holding the conversation's turns;
  ``TURN_PARTS_KEY``: the key of one turn holding its text parts
- ``TOOL_CALL_SIGNATURES``: tool calls carry a signature the next request
  must send back (Gemini), which clients of other dialects cannot keep
- ``with_model(body, model) -> body``: a same-dialect body naming the
  upstream model (the same object when nothing changes)
- ``counted_request(body)``: the generate request a count request counts;
  ``count_request(rendered_request, model) -> body`` for the count
  endpoint; ``parse_count(answer) -> int`` (Chat Completions has no count
  endpoint: both raise ``TranslationError``)

A request the target cannot express raises ``translators.ir.TranslationError``.

This module only composes them; see README.md for the design.
"""
import importlib

DIALECTS = ("openai", "responses", "claude", "gemini")

_PACKAGES = {
    "openai": "translators.openai_chat",
    "responses": "translators.responses",
    "claude": "translators.claude",
    "gemini": "translators.gemini",
}


_LOADED = {}


def dialect(name):
    """The module implementing dialect ``name`` (asked per request and per
    stream event: a dict lookup once loaded)."""
    module = _LOADED.get(name)
    if module is None:
        module = _LOADED[name] = importlib.import_module(_PACKAGES[name])
    return module


def translate_request(src, dst, body, *, model, stream, prepare=None):
    """A client request in ``src`` as a request body for a ``dst`` upstream.

    ``model`` is the upstream model name; ``stream`` says whether the client
    wants a stream (Gemini carries this in the URL, not the body).
    ``prepare``, if given, may amend the IR before it is rendered.
    """
    ir = dialect(src).parse_request(body)
    ir["stream"] = stream
    if prepare is not None:
        prepare(ir)
    return dialect(dst).render_request(ir, model)


def translate_response(src, dst, body, *, model, request, inspect=None):
    """A whole upstream response in ``src`` as the ``dst`` client expects it.

    ``model`` is the name the client asked for; ``request`` its original body.
    ``inspect``, if given, sees the IR response in passing.
    """
    ir = dialect(src).parse_response(body)
    if inspect is not None:
        inspect(ir)
    return dialect(dst).render_response(ir, model, request)


class StreamTranslator:
    """Upstream SSE events of one dialect in, client events of another out.

    ``on_event``, if given, sees every IR event in passing (the proxy uses it
    to note usage and tool calls without decoding twice).
    """

    def __init__(self, src, dst, *, model, request, on_event=None, request_id=None):
        self._decoder = dialect(src).StreamDecoder()
        self._encoder = dialect(dst).StreamEncoder(model, request)
        self._on_event = on_event
        self._request_id = request_id     # quoted by error events that carry one (Anthropic)

    def feed(self, event_name, data):
        return self._encode(self._decoder.feed(event_name, data))

    def close(self):
        return self._encode(self._decoder.close())

    def fail(self, message, error_type=None):
        """The client's terminal error event, for an upstream that broke."""
        return self._encode([{"type": "error", "message": message, "error_type": error_type}])

    def _encode(self, ir_events):
        out = []
        for event in ir_events:
            if self._on_event is not None:
                self._on_event(event)
            if event["type"] == "error" and self._request_id:
                event = dict(event, request_id=self._request_id)
            out.extend(self._encoder.feed(event))
        return out


def translate_error(src, dst, body, *, status=None, request_id=None, retry_after=None):
    """An upstream error body of ``src`` reshaped for a ``dst`` client;
    ``status``: the HTTP status it came with (kept, and the type of a body
    that names none follows it)."""
    if src == dst:
        return body
    message, error_type = dialect(src).parse_error(body)
    return dialect(dst).render_error(status, message, error_type, request_id=request_id,
                                     retry_after=retry_after)


def retry_delay(name, body):
    """Seconds an error body of dialect ``name`` asks the client to wait
    before retrying (Gemini's RetryInfo detail), or None: the other
    dialects say it in a ``retry-after`` header."""
    read = getattr(dialect(name), "retry_delay", None)
    return read(body) if read is not None else None


def render_error(name, status, message, error_type=None, *, code=None, param=None,
                 request_id=None, retry_after=None):
    """A gateway-made error body in dialect ``name``."""
    return dialect(name).render_error(status, message, error_type, code, param,
                                      request_id=request_id, retry_after=retry_after)


def stream_error_event(name, message, error_type=None, *, code=None, request_id=None,
                       after=()):
    """The terminal error event of dialect ``name``'s streams; ``code``:
    OpenAI's machine-readable code, where the shape has one; ``after``: the
    raw events a same-dialect stream relayed last (Responses events
    continue their ``sequence_number``)."""
    return dialect(name).stream_error_event(message, error_type, code, request_id=request_id,
                                            after=after)
