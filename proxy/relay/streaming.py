"""Relaying SSE streams: bootstrap, relay or translate, keep-alive, errors.

A stream is read up to its first event before the client's response is
committed (``from_upstream`` raises ``BootstrapFailed`` otherwise), so failures
before the first byte are retried like whole responses.  After that every
upstream event goes to the client as soon as it arrives; a failure becomes
the client dialect's terminal error event and the stream ends.
"""
import logging
import time

import gevent
from gevent.queue import Empty, Queue

import translators
from proxy.relay import draining, signatures, stream_scan, usage_chunk
from proxy.wire import sse
from proxy.errors import (BootstrapFailed, ClientError, DeadlinePassed, ShuttingDown, UpstreamError,
                          UpstreamStreamError, error_body)
from proxy.providers.headers import forward_response_headers
from proxy.relay.reply import Reply
from proxy.providers.credentials import mask_key
from proxy.accounts import edge
from proxy.providers.upstream import failure

log = logging.getLogger("switchyard.streaming")

STREAM_HEADERS = [("Cache-Control", "no-cache"), ("X-Accel-Buffering", "no")]
_TICK = object()            # keep-alive due
_QUEUE_DEPTH = 64           # events read ahead of a slow client, at most




def raw_batches(resp, cred):
    """Lists of complete raw SSE events (comments included): the events each
    network read completed, as soon as it completed them."""
    splitter = sse.EventSplitter()
    unwrap = edge.event_mapper(cred)      # an account's envelope, off at the edge
    for chunk in resp.iter_bytes():
        events = splitter.feed(chunk)
        if events:
            yield [unwrap(e) for e in events] if unwrap else events
    rest = splitter.flush()
    if rest:
        yield [unwrap(e) for e in rest] if unwrap else rest


def _first_batch(batches, cred):
    """``(events, first)``: the events up to and with the upstream's first
    event (which must not be an error: that is a failure before the first
    byte), and that event SSE-parsed, ``(index, name, data)``, so the relay
    does not parse it again.  Comments before it are kept: a same-dialect
    stream is relayed byte for byte."""
    seen = []
    try:
        for batch in batches:
            for i, raw in enumerate(batch):
                name, data = sse.parse(raw)
                if data is None:
                    continue             # comment / keep-alive
                if translators.dialect(cred.dialect).is_error_event(name, data):
                    raise failure(UpstreamStreamError, cred, "stream_error_event",
                                  "began its stream with an error: "
                                  + mask_key(data[:300], cred.api_key))
                return seen + batch, (len(seen) + i, name, data)
            seen += batch
    except UpstreamError as exc:
        raise BootstrapFailed(exc) from None
    raise BootstrapFailed(failure(UpstreamStreamError, cred, "stream_truncated",
                                  "ended its stream before the first event"))


def from_upstream(front, cred, resp, config, observer, *, same):
    """Bootstrap ``resp`` and return the streaming Reply."""
    batches = raw_batches(resp, cred)
    first = _first_batch(batches, cred)
    relay = (_Passthrough(front, cred, observer) if same
             else _Translated(front, cred, observer))
    body = _relay_body(first, batches, relay, _keepalive(front, config), resp, observer, cred)
    headers = (forward_response_headers(resp.headers) if same else []) + STREAM_HEADERS
    return Reply(200, headers, body, content_type="text/event-stream")


def from_events(front, client_events, observer):
    """A streaming Reply made from already-encoded ``(event, payload)`` pairs."""
    def body():
        observer.first_byte()
        try:
            for name, payload in client_events:
                yield sse.encode(name, payload)
        finally:
            observer.settle(200)
    return Reply(200, list(STREAM_HEADERS), body(), content_type="text/event-stream")


def keepalive_bytes(dialect):
    return translators.dialect(dialect).KEEPALIVE


def _keepalive(front, config):
    limit = config["request-timeout-seconds"]
    return (config["streaming"]["keepalive-seconds"], keepalive_bytes(front.dialect),
            front.started + limit if limit > 0 else None)


def _relay_body(first, batches, relay, keepalive, resp, observer, cred):
    seconds, tick_bytes, deadline = keepalive
    upstream = _with_keepalive(batches, seconds, deadline)
    status, error_class = 200, None
    last = ()                   # the raw events relayed last (an error event continues them)
    tracked = draining.track()
    try:
        observer.first_byte()
        events, first_event = first
        yield relay.batch(events, first_event)
        last = events
        for batch in upstream:
            if batch is _TICK:
                yield tick_bytes
                continue
            last = batch
            out = relay.batch(batch)
            if out:
                yield out
        if not stream_scan.ends_complete(cred.dialect, last):
            # a body that ended cleanly, but before the dialect's last event
            raise failure(UpstreamStreamError, cred, "stream_truncated",
                          "ended the stream before its last event")
        yield relay.close()
    except UpstreamError as exc:
        # Never an ending we made up: the client must learn the answer is
        # incomplete.  The event names the upstream, not its host.
        log.warning("request %s: stream truncated: %s", relay.request_id, exc.message)
        error_class = "stream_truncated"
        yield relay.fail(f"{exc.brief}; the answer is incomplete.", last)
    except ShuttingDown:
        error_class = "shutdown"
        yield relay.fail("The gateway is shutting down; the answer is incomplete. Retry it.",
                         last)
    except DeadlinePassed:
        error_class = "request_timeout"
        yield relay.fail("The request passed its deadline (request-timeout-seconds); "
                         "the answer is incomplete.", last)
    except Exception:                       # a bug must not leave a stream hanging open
        log.exception("request %s: stream relay failed", relay.request_id)
        error_class = "internal"
        yield relay.fail("Internal gateway error while relaying the stream; see the gateway "
                         f"log for request {relay.request_id}.", last)
    except GeneratorExit:
        error_class = "client_disconnect"
        status = 499
        raise
    finally:
        draining.untrack(tracked)
        upstream.close()
        resp.close()
        observer.settle(status, error_class=error_class)   # accounted once the stream is sent


def _with_keepalive(batches, seconds, deadline=None):
    """Event batches read by a background greenlet; whatever has arrived
    goes out in one write (nothing is held back to wait for more).
    ``_TICK`` after ``seconds`` of upstream silence -- between whole
    events, never inside one.  ``deadline`` (monotonic time, or None): past
    it, ``DeadlinePassed`` -- however slowly the upstream drips bytes."""
    seconds = seconds if seconds and seconds > 0 else None
    if seconds is None and deadline is None:
        yield from batches
        return
    queue = Queue(_QUEUE_DEPTH)
    reader = gevent.spawn(_pump, batches, queue)
    try:
        while True:
            wait = seconds
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DeadlinePassed
                wait = left if wait is None else min(wait, left)
            try:
                item = queue.get(timeout=wait)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise DeadlinePassed from None
                yield _TICK
                continue
            batch = []
            while True:
                if item is StopIteration or isinstance(item, BaseException):
                    if batch:
                        yield batch
                    if item is StopIteration:
                        return
                    raise item
                batch.extend(item)
                if queue.empty():
                    break
                item = queue.get_nowait()
            yield batch
    finally:
        # Wait for the reader to die before the response is closed under
        # it: closing a socket file another green thread is reading raises
        # "reentrant call" and would skip the stream's accounting.
        reader.kill()


def _pump(batches, queue):
    try:
        for batch in batches:
            queue.put(batch)
        queue.put(StopIteration)
    except UpstreamError as exc:
        queue.put(exc)


class _Passthrough:
    """Same dialect: relay the upstream's bytes, scanning them for usage and tool calls."""

    def __init__(self, front, cred, observer):
        self.dialect = front.dialect
        self.request_id = front.request_id
        self.observer = observer
        self.usage = stream_scan.UsageTracker(front.dialect, observer)
        # we asked for OpenAI's usage chunk ourselves: the client must not see it
        self.hide_usage_chunk = usage_chunk.hides_usage(front)

    def event(self, raw, parsed=None):
        """``raw`` as the client gets it; ``parsed``: its ``(name, data)``
        when already SSE-parsed."""
        data = stream_scan.scan_raw(self.dialect, raw, self.observer, self.usage, parsed)
        if self.hide_usage_chunk and data is not None and usage_chunk.is_usage_only(data):
            return b""
        return raw

    def batch(self, events, first=None):
        """``events`` (raw, in order) as the client gets them; ``first``:
        ``(index, name, data)`` of one already SSE-parsed.  A batch where no
        event can hold usage or a tool call (``stream_scan.plain``: mid-stream
        text deltas, nearly always) goes as it came, without a call per event."""
        joined = b"".join(events)
        if stream_scan.plain(self.dialect, joined):
            return joined
        if first is None:
            return b"".join(map(self.event, events))
        index, name, data = first
        return b"".join(self.event(raw, (name, data) if i == index else None)
                        for i, raw in enumerate(events))

    def close(self):
        return b""

    def fail(self, message, last=()):
        """The dialect's error event ending the stream; ``last``: the raw
        events relayed last (a Responses event continues their count)."""
        return sse.encode(*translators.stream_error_event(self.dialect, message,
                                                          request_id=self.request_id,
                                                          after=last))


class _Translated:
    """Different dialects: decode each upstream event once, encode for the
    client.  Usage and tool calls are read off the decoder's IR events (the
    decoder parses usage anyway), not off the upstream's JSON a second time."""

    def __init__(self, front, cred, observer):
        remember = signatures.cache.note_event \
            if translators.dialect(cred.dialect).TOOL_CALL_SIGNATURES else None

        def on_event(event):
            stream_scan.scan_ir(event, observer)
            if remember is not None:
                remember(event)

        self.request_id = front.request_id
        self.translator = translators.StreamTranslator(
            cred.dialect, front.dialect, model=front.model, request=front.body,
            on_event=on_event, request_id=front.request_id)

    def event(self, raw, parsed=None):
        name, data = parsed or sse.parse(raw)
        if data is None:
            return b""
        return _encode_all(self.translator.feed(name, sse.decode_data(data)))

    def batch(self, events, first=None):
        """``events`` translated, in order; ``first``: ``(index, name,
        data)`` of one already SSE-parsed."""
        if first is None:
            return b"".join(map(self.event, events))
        index, name, data = first
        return b"".join(self.event(raw, (name, data) if i == index else None)
                        for i, raw in enumerate(events))

    def close(self):
        return _encode_all(self.translator.close())

    def fail(self, message, last=()):
        return _encode_all(self.translator.fail(message))


def _encode_all(client_events):
    return b"".join(sse.encode(name, payload) for name, payload in client_events)


def whole_with_keepalive(produce, interval, front):
    """A whole (non-streamed) answer preceded by blank lines every
    ``interval`` seconds while it is awaited (``nonstream-keepalive-interval``).

    For clients and load balancers that drop idle connections during long
    reasoning.  The status is committed as 200 up front, so a failure
    arrives as the dialect's JSON error body after the blank lines (JSON
    parsers skip the leading whitespace).
    """
    worker = gevent.spawn(produce)

    def body():
        try:
            while not worker.ready():
                worker.join(timeout=interval)
                if not worker.ready():
                    yield b"\n"
        finally:
            worker.kill()        # the client left: cancel the upstream call
        try:
            reply = worker.get()
        except ClientError as exc:
            yield exc.body(front.dialect, front.request_id)
            return
        except Exception:
            log.exception("request %s failed", front.request_id)
            yield error_body(front.dialect, 500, "Internal gateway error; see the gateway log "
                             f"for request {front.request_id}.", request_id=front.request_id)
            return
        yield reply.body if not reply.streamed else b"".join(reply.body)

    return Reply(200, list(STREAM_HEADERS), body())
