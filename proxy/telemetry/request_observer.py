"""Per-request observation hooks: usage records, metrics, access log.

The relay calls ``start(front)`` once per client request and then the
observer's hooks.  Every hook is guarded: an accounting bug is logged on
``switchyard.request_observer`` and never reaches the client, and the usage
store only queues (see ``proxy.telemetry.usage_store``), so no hook blocks.

Each worker calls ``setup(config)`` once after fork (the store's writer
greenlet and SQLite connection must not cross a fork) and ``shutdown()``
on exit to write what is still queued.
"""
import functools
import json
import logging
import time

import orjson

import translators
from proxy.telemetry import access_log, live_feed, usage_store
from proxy import logs, runtime
from proxy.telemetry import metrics as metrics_mod

log = logging.getLogger("switchyard.request_observer")

PROMPT_LIMIT = 2048      # bytes of the last user prompt kept with record-prompts
ERROR_LIMIT = 500        # characters of an attempt's error message kept
MAX_TOOL_CALLS = 64      # per request; a runaway agent loop must not bloat a record
PATH_LIMIT = 256         # characters of a rejected request's path logged


def _guarded(hook):
    @functools.wraps(hook)
    def wrapper(self, *args, **kwargs):
        try:
            return hook(self, *args, **kwargs)
        except Exception:
            _failed(hook.__name__, self)
    return wrapper


def _failed(name, observer):
    """Log a hook's exception (``_guarded``; the hooks every request calls
    -- ``attempt``, ``usage``, ``finish`` -- guard themselves inline, without
    the wrapper's extra call and argument packing)."""
    log.exception("observer hook %s failed (request %s)", name, observer.front.request_id)


def _class_name(error):
    if error is None or isinstance(error, str):
        return error
    return error.__name__ if isinstance(error, type) else type(error).__name__


# where the metrics' values are in a usage row
_CREDENTIAL_ID = usage_store.REQUEST_FIELDS.index("credential_id")
_TOKENS = slice(usage_store.REQUEST_FIELDS.index(usage_store.TOKEN_FIELDS[0]),
                usage_store.REQUEST_FIELDS.index(usage_store.TOKEN_FIELDS[-1]) + 1)


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)


class RequestObserver:
    """Follows one client request through its upstream attempts.

    ``front`` is the ``proxy.http.front.FrontRequest`` being served; ``config``
    the runtime config the request started with.
    """

    __slots__ = ("front", "_config", "_store", "_metrics", "_clock", "_started_at", "_attempts",
                 "_attempt_log", "_last", "_ttft", "_usage", "_usage_unknown", "_answer",
                 "_tool_calls", "_finished", "_outcome")

    def __init__(self, front, *, config, store=None, metrics=None, clock=time.monotonic,
                 wall=time.time):
        self.front = front
        self._config = config
        self._store = store
        self._metrics = metrics
        self._clock = clock
        self._started_at = wall() - (clock() - front.started)
        self._attempts = 0
        self._attempt_log = []
        self._last = (None, None)         # credential and model of the latest attempt
        self._ttft = None
        self._usage = None
        self._usage_unknown = False       # an answer came whose usage could not be read
        self._answer = None               # (dialect, bytes) of a whole answer, read at finish()
        self._tool_calls = []
        self._finished = False
        self._outcome = None              # (status, error class) once settled
        if metrics:
            metrics.request_started()

    def attempt(self, credential, upstream_model, *, status, outcome, latency, error=None):
        """One upstream call finished (or failed before answering).

        ``outcome``: ``success`` or a ``proxy.routing.cooldown.Decision.kind``.
        """
        try:
            self._attempts += 1
            self._last = (credential, upstream_model)
            # kept until finish(): accounting stays off the latency path
            self._attempt_log.append((self._clock() - self.front.started, credential,
                                      upstream_model, status, outcome, error, latency))
        except Exception:
            _failed("attempt", self)

    def _submit_attempts(self):
        metrics, store = self._metrics, self._store
        request_id, started_at = self.front.request_id, self._started_at
        seq = 0
        for at, credential, upstream_model, status, outcome, error, latency in self._attempt_log:
            seq += 1
            if metrics:
                metrics.attempt(credential.id, credential.kind, outcome)
            if store:
                # a row of ATTEMPT_FIELDS
                store.submit_attempt_row((
                    request_id, started_at + at, seq, credential.kind, credential.id,
                    upstream_model, status, outcome,
                    None if error is None else (_class_name(error) or "")[:ERROR_LIMIT] or None,
                    None if latency is None else round(latency * 1000, 1)))

    @_guarded
    def first_byte(self):
        """The first byte of the answer went to the client (TTFT)."""
        if self._ttft is None:
            self._ttft = self._elapsed()

    def usage(self, ir_usage):
        """Upstream-reported usage (IR shape); the latest call wins."""
        try:
            if ir_usage:
                self._usage = dict(ir_usage)
        except Exception:
            _failed("usage", self)

    def answer(self, dialect, raw):
        """A whole answer in the upstream's dialect, passed on as it came:
        its usage is read in ``finish()``, once the client has the bytes
        (parsing a large answer first would hold them back)."""
        self._answer = (dialect, raw)

    @_guarded
    def usage_unknown(self):
        """The answer passed on carries no usage we can read (a same-dialect
        body that is not the JSON expected): its tokens are recorded as
        unknown (NULL), not as zero."""
        self._usage_unknown = True

    @_guarded
    def tool_call(self, name, call_id):
        """A tool call was seen in the answer."""
        if len(self._tool_calls) < MAX_TOOL_CALLS:
            self._tool_calls.append({"name": name, "id": call_id})

    def settle(self, status, *, error_class=None):
        """The request's outcome is known; ``close()`` accounts for it once
        the client has the bytes (the first outcome settled counts)."""
        if self._outcome is None:
            self._outcome = (status, error_class)

    def close(self):
        """The response was sent (or abandoned): finish with the settled
        outcome; none settled means the client left before the body began."""
        status, error_class = self._outcome or (499, "client_disconnect")
        self.finish(status, error_class=error_class)

    def finish(self, status, *, error_class=None, credential=None, upstream_model=None,
               response_body=None):
        """The client request ended (stream closed, or whole response sent).

        Only the first call counts.  ``credential`` and ``upstream_model``
        default to the latest attempt's; ``response_body`` (optional) is
        logged when ``debug`` is on.
        """
        try:
            if self._finished:
                return
            self._finished = True
            if self._answer is not None:
                self._read_answer()
            front = self.front
            latency = self._clock() - front.started
            credential = credential or self._last[0]
            row = self._row(status, _class_name(error_class), credential,
                            upstream_model or self._last[1], latency)
            if self._attempt_log:
                self._submit_attempts()
            if self._metrics:
                self._metrics.request_finished(front.dialect, front.model, status,
                                               row[_CREDENTIAL_ID], row[_TOKENS],
                                               latency=latency, ttft=self._ttft)
            if self._store:
                self._store.submit_request_row(row)
            live_feed.publish(row)
            config = self._config
            access_log.write_request(
                row, front.client_label or None, len(self._tool_calls), config,
                access_log.debug_fields(front.headers, front.query, front.body, response_body)
                if config["debug"] else None)
        except Exception:
            _failed("finish", self)

    def _read_answer(self):
        usage = answer_usage(*self._answer)
        self._answer = None
        if usage:
            self.usage(usage)
        else:
            self.usage_unknown()

    def _elapsed(self):
        return self._clock() - self.front.started

    def _row(self, status, error_class, credential, upstream_model, latency):
        """The request's usage row: its values in ``usage_store.REQUEST_FIELDS``
        order, the one record the store, the metrics, the live feed and the
        access log read."""
        front = self.front
        if self._usage is None and self._usage_unknown:
            tokens = (None, None, None, None, None)
        else:      # usage_store.TOKEN_FIELDS, in order
            get = (self._usage or _NO_USAGE).get
            tokens = (int(get("input_tokens") or 0), int(get("output_tokens") or 0),
                      int(get("cached_tokens") or 0), int(get("cache_creation_tokens") or 0),
                      int(get("reasoning_tokens") or 0))
        ttft = self._ttft
        return (
            front.request_id, self._started_at, front.client_key_id or None,
            front.actor or None, front.dialect, front.action,
            credential.kind if credential else None, credential.id if credential else None,
            front.model, upstream_model, bool(front.stream), status, error_class,
            None if latency is None else round(latency * 1000, 1),
            None if ttft is None else round(ttft * 1000, 1), self._attempts, *tokens,
            json.dumps(self._tool_calls) if self._tool_calls else None,
            last_user_prompt(front.dialect, front.body)
            if self._config["usage"]["record-prompts"] else None,
        )


_NO_USAGE = {}


def answer_usage(dialect, raw):
    """IR usage of a whole answer body in ``dialect``, or None when it
    cannot be read (not JSON, not the expected shape: the client's to
    judge, its usage simply unknown)."""
    try:
        return translators.dialect(dialect).parse_usage(orjson.loads(raw))
    except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
        return None


_TEXT_PART_TYPES = (None, "text", "input_text")


def _text_of(content):
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "\n".join(part["text"] for part in content
                     if isinstance(part, dict) and isinstance(part.get("text"), str)
                     and part.get("type") in _TEXT_PART_TYPES)


def last_user_prompt(dialect, body, limit=PROMPT_LIMIT):
    """Text of the last user turn that has any, cut to ``limit`` UTF-8 bytes.

    Wire shapes: Chat Completions and Anthropic ``messages[].content`` (a
    string or text parts), Responses ``input`` (a string, or items whose
    ``content`` has ``input_text`` parts), Gemini ``contents[].parts[].text``
    (``role`` may be omitted and then means user).
    """
    wire = translators.dialect(dialect)
    turns = body.get(wire.TURNS_KEY)
    if isinstance(turns, str):
        turns = [{"role": "user", "content": turns}]
    for turn in reversed(turns if isinstance(turns, list) else []):
        if isinstance(turn, dict) and turn.get("role", "user") == "user":
            text = _text_of(turn.get(wire.TURN_PARTS_KEY))
            if text:
                return text.encode()[:limit].decode("utf-8", "ignore")
    return None


def rejected(environ, status, error_class, latency):
    """A request answered with an error before the relay saw it (bad key,
    unknown route, body too large or not JSON, internal error): an
    access-log line and a metrics count, never a usage record."""
    try:
        config = (environ.get("switchyard.runtime") or runtime.current()).config
        dialect = environ.get("switchyard.dialect") or "openai"
        metrics = metrics_mod.current()
        metrics.request_rejected(dialect, status)
        access_log.write({
            "request_id": environ.get("switchyard.request_id"), "status": status,
            "dialect": dialect, "method": environ.get("REQUEST_METHOD"),
            "path": (environ.get("PATH_INFO") or "")[:PATH_LIMIT],
            "remote_addr": environ.get("REMOTE_ADDR"), "latency_ms": _ms(latency),
            "error_class": error_class}, config)
    except Exception:
        log.exception("accounting a rejected request failed")


def start(front, config):
    """An observer for ``front`` wired to this worker's store and metrics
    (``config``: of the request's runtime snapshot)."""
    return RequestObserver(front, config=config,
                           store=usage_store.current(), metrics=metrics_mod.current())


def setup(config):
    """Open this worker's usage store and metrics (once per worker, after fork)."""
    usage_store.install(usage_store.from_config(config))
    metrics_mod.current()


def shutdown():
    """Write the access-log lines still held, write queued usage records and
    close the store, hand the last counts to the metrics (worker exit)."""
    logs.held.release()
    try:
        metrics_mod.current().flush()
    except Exception:
        log.exception("flushing the metrics failed")
    store = usage_store.current()
    if store:
        usage_store.install(None)
        store.close()
