"""The attempt loop: serve one client request from the credential pool.

For each attempt: pick a credential, build the upstream call (bytes passed
through untouched when the dialects match, translated otherwise), send it,
and either relay the answer or classify the failure and try the next
credential.  Nothing reaches the client until an attempt succeeds (streams
are read up to their first event first), so every failure before the first
byte can be retried elsewhere.
"""
import logging
import random
import time

import gevent
import orjson

import translators
from proxy.routing import affinity, cooldown, quota_windows, unavailable
from proxy.providers import byok, endpoints
from proxy.relay import counting, echo, signatures, streaming, usage_chunk
from proxy import state, validation
from proxy.deadline import Deadline, Expired
from proxy.wire import json_top
from proxy.accounts import edge, quota, refresher
from proxy.providers.credentials import mask_key
from proxy.errors import (BadRequest, BootstrapFailed, GatewayTimeout, NotFound,
                          UpstreamConnectError, UpstreamError, UpstreamStatusError,
                          UpstreamTimeout, error_body)
from proxy.providers.headers import actor_headers, forward_request_headers, forward_response_headers
from proxy.relay.reply import Reply, json_reply
from proxy.providers.upstream import failure as upstream_failure
from translators import turn_memo
from translators.ir import TranslationError

log = logging.getLogger("switchyard.relay")

# Pause before trying the last usable credential again after a transient
# failure (plus as much jitter).
RETRY_BACKOFF_SECONDS = 0.25

# Upstream headers worth keeping on a relayed error: when to come back
# (``retry-after``, ``retry-after-ms``), whether to (``x-should-retry``: the
# OpenAI and Anthropic SDKs obey it), the limits, the provider's request id.
_ERROR_HEADERS = ("retry-after", "x-should-retry", "x-ratelimit", "anthropic-ratelimit",
                  "request-id", "x-request-id")


class _Budget:
    """What one client request may still spend: upstream calls
    (``max-upstream-attempts``), extra rounds over the credentials
    (``request-retry``), stream bootstrap retries and waiting time
    (``max-retry-interval``); which credentials this round tried."""
    __slots__ = ("calls_left", "rounds_left", "bootstrap_left", "wait_left", "tried",
                 "another_round", "last_error", "last_cred", "pending", "backoff_left")

    def __init__(self, config):
        self.calls_left = config["max-upstream-attempts"]
        self.rounds_left = config["request-retry"]
        self.bootstrap_left = config["streaming"]["bootstrap-retries"]
        self.wait_left = config["max-retry-interval"]
        self.tried = set()
        self.another_round = False
        self.last_error = None
        self.last_cred = None
        # A transient failure whose cooldown waits to see whether it follows
        # the request (it fails the same way elsewhere: cool nothing) or the
        # credential (another one succeeds, or fails differently).
        self.pending = None               # (credential, decision, signature, failure)
        self.backoff_left = 1             # same-credential retries after a short pause

    def new_round(self):
        """Start another pass over the credentials, if the failures allow it."""
        if not (self.another_round and self.rounds_left > 0 and self.tried):
            return False
        self.rounds_left -= 1
        self.tried = set()
        self.another_round = False
        return True


def serve(front, runtime, client, observer):
    """A ``Reply`` for ``front``; raises ``ClientError`` for request faults."""
    pool = runtime.pool
    if front.own_credential:
        return _serve_own(front, runtime, client, observer)
    route = pool.route(front.model)
    if not route.creds:
        raise NotFound(f"The model '{front.model}' does not exist or is not served here.",
                       code="model_not_found", error_type="not_found_error")
    if _route_reads_body(route, front.dialect, front.action):
        validation.check_deep(front.dialect, front.body)
    session = None
    if runtime.config["routing"]["session-affinity"]:
        session = affinity.session_key(front.dialect, front.headers, front.top,
                                       lambda: front.body)
    budget = _Budget(runtime.config)
    limit = runtime.config["request-timeout-seconds"]
    deadline = Deadline(max(front.started + limit - time.monotonic(), 0.001)) \
        if limit > 0 else None
    try:
        return _attempts(front, runtime, client, observer, budget, session)
    except Expired as fired:
        if fired.deadline is not deadline:
            raise
        last = f" Last failure: {budget.last_error.message}." if budget.last_error else ""
        raise GatewayTimeout(f"No answer within request-timeout-seconds ({limit:g} s).{last}",
                             cause="request_timeout") from None
    finally:
        if budget.pending is not None:
            _settle_pending(pool, front.model, budget, None)
        if deadline is not None:
            deadline.close()


def _attempts(front, runtime, client, observer, budget, session):
    """Try credentials until one answers or the budget is spent."""
    pool = runtime.pool
    while budget.calls_left > 0:
        cred = pool.pick(front.model, exclude=budget.tried, session=session)
        if cred is None:
            if _retry_after_backoff(budget) or budget.new_round() \
                    or _wait_for_recovery(pool, front.model, budget):
                continue
            break
        reply = _try(front, runtime, client, observer, cred, budget)
        if reply is not None:
            return reply
    if budget.last_error is not None:
        return error_reply(front, budget.last_error, budget.last_cred)
    raise unavailable.error(pool, front.model)


def _retry_after_backoff(budget):
    """A transient failure of the last usable credential gets one more try
    after a short pause, before anything is cooled: one blip of a 5xx
    should not fail a request (nor rest the only credential left)."""
    if budget.pending is None or budget.backoff_left <= 0:
        return False
    budget.backoff_left -= 1
    gevent.sleep(RETRY_BACKOFF_SECONDS + random.uniform(0.0, RETRY_BACKOFF_SECONDS))
    budget.tried.discard(budget.pending[0].id)
    return True


def _settle_pending(pool, model, budget, cred, *, outcome=None):
    """Apply the deferred cooldown, now that ``cred``'s attempt (None: the
    request is over) says whose fault it was.  ``outcome``: the same
    failure again ("same"), or success."""
    if budget.pending is None:
        return
    first, decision, _, failure = budget.pending
    budget.pending = None
    if outcome == "same" and cred is not None and cred.id != first.id:
        pool.report_failure(first, model, cooldown.request_fault(decision), cause=failure)
    elif outcome == "success" and cred is not None and cred.id == first.id:
        pass                                       # a blip, gone on the retry
    else:
        pool.report_failure(first, model, decision, cause=failure)


def _route_reads_body(route, dialect, action):
    """Whether serving a ``dialect`` request for ``action`` from ``route``
    (``CredentialPool.route``) may read its body beyond the top level: a
    translation, a token count the gateway estimates or reshapes, or an
    answer of the gateway's own.  A fact of the credentials alone, so the
    route keeps it."""
    key = ("reads_body", dialect, action)
    found = route.facts.get(key)
    if found is None:
        found = route.facts[key] = _any_reads_body(dialect, action, route.creds)
    return found


def _any_reads_body(dialect, action, creds):
    a_count = action == "count_tokens"
    return any(cred.dialect != dialect or cred.kind == "echo"
               or (a_count and counting.reads_body(cred)) for cred in creds)


def reads_body(runtime, dialect, action, model):
    """Whether a pooled request for ``model`` would read its body beyond the
    top level (``serve``'s own test, asked before the body is parsed: the
    front door then parses it whole once instead of its top level first)."""
    if not isinstance(model, str) or not model:
        return False
    route = runtime.pool.route(model)
    return bool(route.creds) and _route_reads_body(route, dialect, action)


def _serve_own(front, runtime, client, observer):
    """A bring-your-own-key request (``proxy.providers.byok``): one attempt with the
    client's own credential; its failure is the client's answer (no
    failover, no cooldown of anything pooled)."""
    cred = byok.credential(front, runtime.pool)
    upstream_model = cred.upstream_model(front.model)
    started = time.monotonic()
    try:
        reply = _call(front, runtime, client, cred, upstream_model, observer)
    except BootstrapFailed as exc:
        failure = exc.cause
    except UpstreamError as exc:
        failure = exc
    else:
        observer.attempt(cred, upstream_model, status=200, outcome="success",
                         latency=time.monotonic() - started)
        return reply
    observer.attempt(cred, upstream_model, status=getattr(failure, "status", None),
                     outcome="byok_failure", latency=time.monotonic() - started,
                     error=failure.message)
    return error_reply(front, failure, cred)


def _wait_for_recovery(pool, model, budget):
    """Sleep until the soonest cooling credential recovers, if that is within
    ``max-retry-interval`` (minus what this request already waited)."""
    wait = pool.next_ready_in(model)
    if wait is None or wait > budget.wait_left:
        return False
    pause = wait + random.uniform(0.0, 0.05)  # jitter: don't stampede the probe
    budget.wait_left -= max(pause, 0.05)
    gevent.sleep(pause)
    return True


def _try(front, runtime, client, observer, cred, budget):
    """One upstream attempt: the reply on success, None to go on."""
    pool = runtime.pool
    upstream_model = pool.upstream_model(cred, front.model)
    budget.calls_left -= 1
    started = time.monotonic()
    try:
        reply = _call_refreshing(front, runtime, client, cred, upstream_model, observer) \
            if cred.account else _call(front, runtime, client, cred, upstream_model, observer)
    except UpstreamStatusError as exc:
        failure = exc
        quota_windows.note(cred.id, exc.headers, refusal=exc.body if exc.status == 429 else None)
        decision = cooldown.classify_status(exc.status, exc.headers, exc.body, runtime.config)
        if cred.account:
            decision = quota.account_decision(decision, exc)
    except BootstrapFailed as exc:
        failure = exc.cause
        decision = cooldown.classify_exception(failure, runtime.config)
        budget.calls_left += budget.bootstrap_left > 0   # bootstrap re-selections are extra
        budget.bootstrap_left -= 1
    except UpstreamError as exc:
        failure = exc
        decision = cooldown.classify_exception(exc, runtime.config)
    except BaseException:
        pool.report_cancelled(cred, front.model)   # frees a half-open probe slot
        raise
    else:
        if budget.pending is not None:
            _settle_pending(pool, front.model, budget, cred, outcome="success")
        pool.report_success(cred, front.model)
        observer.attempt(cred, upstream_model, status=200, outcome="success",
                         latency=time.monotonic() - started)
        return reply
    observer.attempt(cred, upstream_model, status=getattr(failure, "status", None),
                     outcome=decision.kind, latency=time.monotonic() - started,
                     error=failure.message)
    _report_failure(pool, front.model, cred, decision, failure, budget)
    budget.last_error, budget.last_cred = failure, cred
    if not decision.retry:
        budget.calls_left = 0
    budget.tried.add(cred.id)
    budget.another_round |= decision.next_round
    return None


def _report_failure(pool, model, cred, decision, failure, budget):
    """Tell the pool, unless the failure may be the request's own: then the
    cooldown waits for the next attempt (``_settle_pending``).  The same
    failure from two credentials is the request's: it ends the request and
    cools neither."""
    same = cooldown.signature(failure, decision)
    pending = budget.pending
    if pending is not None and same is not None and same == pending[2] \
            and cred.id != pending[0].id:
        _settle_pending(pool, model, budget, cred, outcome="same")
        pool.report_failure(cred, model, cooldown.request_fault(decision), cause=failure)
        budget.calls_left = 0
        return
    _settle_pending(pool, model, budget, cred)
    if same is None:
        pool.report_failure(cred, model, decision, cause=failure)
        return
    pool.report_cancelled(cred, model)        # frees its probe; the verdict comes later
    budget.pending = (cred, decision, same, failure)


def _call_refreshing(front, runtime, client, cred, upstream_model, observer):
    """``_call``; for an account, a token about to expire is refreshed first,
    and a 401 gets one refresh and one retry of the same credential.  A 401
    met by taking up the token another worker had put in the file may come
    again (that token was refused since, too): then the refresh is this one's."""
    if not cred.account:
        return _call(front, runtime, client, cred, upstream_model, observer)
    shared = state.current().account_refreshes()
    refresher.ensure_fresh(cred, runtime.config, shared)
    for _ in range(2):
        sent = cred.api_key
        try:
            return _call(front, runtime, client, cred, upstream_model, observer)
        except UpstreamStatusError as exc:
            renewed = exc.status == 401 and refresher.after_unauthorized(
                cred, runtime.config, sent, shared)
            if not renewed:
                raise
        if renewed == refresher.REFRESHED:
            break
    return _call(front, runtime, client, cred, upstream_model, observer)


def _call(front, runtime, client, cred, upstream_model, observer):
    """One upstream call for ``front`` (or the gateway's own answer).

    The one place a ``TranslationError`` becomes the client's 400: a
    request the upstream's dialect cannot express, a count it cannot
    render, an answer the client's dialect cannot express."""
    try:
        # routing, not a wire fact: the built-in echo model answers here, no upstream
        if cred.kind == "echo":
            return _echo_reply(front, observer)
        if front.action == "count_tokens":
            return counting.count(front, cred, upstream_model, client, runtime.upstream_timeouts)
        same = cred.dialect == front.dialect
        body = edge.request_body(cred, _upstream_body(front, cred, upstream_model, same),
                                 model=upstream_model, action=front.action)
        url = endpoints.url(cred, upstream_model, action=front.action, stream=front.stream)
        forwarded = forward_request_headers(front.headers, cred.dialect)
        if runtime.config["send-actor-headers"]:
            forwarded.update(actor_headers(front.actor, front.headers))
        headers = endpoints.auth_headers(cred, forwarded)
        resp = client.send(cred, url, headers, body, timeouts=runtime.upstream_timeouts)
        quota_windows.note(cred.id, resp.headers)     # a reference kept; parsed when asked
        if front.stream and not (same and _whole_body(resp)):
            return streaming.from_upstream(front, cred, resp, runtime.config, observer, same=same)
        return _whole_reply(front, cred, resp, observer, same, runtime.answer_limit)
    except TranslationError as exc:
        raise BadRequest(str(exc)) from None


def _whole_body(resp):
    """Whether a stream request was answered with a whole JSON or HTML body
    (a server that ignores ``stream``, a page in front of the API): same
    dialect, the client gets it as it came instead of a failed SSE parse."""
    content_type = resp.headers.get("content-type") or ""
    return "event-stream" not in content_type and ("json" in content_type
                                                   or "html" in content_type)


def _upstream_body(front, cred, upstream_model, same):
    """Request bytes for the upstream: the client's own bytes when possible."""
    if same:
        ask_usage = usage_chunk.must_ask(front, cred)    # the relay hides it again
        wire = translators.dialect(cred.dialect)
        raw = front.raw
        if wire.with_model(front.top, upstream_model) is not front.top:
            # the model is named in the body (as "model"): renamed in place
            raw = json_top.with_top_string(raw, "model", upstream_model, front.top)
        if raw is not None and ask_usage:
            raw = usage_chunk.asked_raw(front, raw)
        if raw is not None:
            return raw
        body = wire.with_model(front.body, upstream_model)     # parsed and re-serialised
        return orjson.dumps(usage_chunk.asked_body(body) if ask_usage else body)
    translated = translators.translate_request(front.dialect, cred.dialect, front.body,
                                               model=upstream_model, stream=front.stream,
                                               prepare=_preparer(cred))
    return turn_memo.dumps(translated)


def _preparer(cred):
    """What amends a translated request's IR for this upstream, if anything."""
    if translators.dialect(cred.dialect).TOOL_CALL_SIGNATURES:
        return signatures.cache.fill_request
    if cred.replay_reasoning:
        return _replay_reasoning
    return None


def _replay_reasoning(ir_request):
    ir_request["replay_reasoning"] = True


def _whole_reply(front, cred, resp, observer, same, limit):
    raw = edge.whole_body(cred, resp, limit=limit)
    headers = forward_response_headers(resp.headers)
    if same:
        # The upstream's status and bytes, whatever they hold; their usage
        # is read once they are sent.
        observer.answer(cred.dialect, raw)
        return Reply(resp.status, headers, raw,
                     content_type=resp.headers.get("content-type") or "application/json")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise upstream_failure(UpstreamConnectError, cred, "bad_response",
                      "sent a body that is not JSON") from None
    usage = translators.dialect(cred.dialect).parse_usage(data)
    if usage:
        observer.usage(usage)
    inspect = signatures.cache.note_response \
        if translators.dialect(cred.dialect).TOOL_CALL_SIGNATURES else None
    translated = translators.translate_response(cred.dialect, front.dialect, data,
                                                model=front.model, request=front.body,
                                                inspect=inspect)
    return Reply(200, headers, orjson.dumps(translated))


def _echo_reply(front, observer):
    if front.action == "count_tokens":
        n = echo.count_tokens(front.dialect, front.body)
        return counting.count_reply(front, n, source="estimate")
    if front.stream:
        events, usage = echo.stream(front.dialect, front.body, front.model)
    else:
        body, usage = echo.response(front.dialect, front.body, front.model)
    observer.usage(usage)
    if front.stream:
        return streaming.from_events(front, events, observer)
    return json_reply(200, body)


def error_reply(front, exc, cred):
    """The client's view of the last upstream failure: its status and body
    when it answered, else 502/504 saying which upstream failed how."""
    if isinstance(exc, UpstreamStatusError):
        reply = _status_error_reply(front, exc, cred)
    else:
        status = 504 if isinstance(exc, UpstreamTimeout) else 502
        reply = Reply(status, [], error_body(front.dialect, status, exc.message + ".",
                                             request_id=front.request_id))
    reply.error_class = exc.cause
    return reply


def _status_error_reply(front, exc, cred):
    """Upstream JSON error bodies pass through with their status (and the
    provider's own request id); bodies of another dialect are reshaped so
    the client's SDK can read them, keeping the status and when to retry.
    The key we sent is masked wherever the upstream quoted it."""
    headers = [(k, v) for k, v in forward_response_headers(exc.headers)
               if k.lower().startswith(_ERROR_HEADERS)]
    if exc.status < 400:
        # A redirect from an API endpoint is never the client's to follow.
        message = f"{exc.message}: an API endpoint redirected (a proxy or login page in the way?)."
        return Reply(502, [], error_body(front.dialect, 502, message, request_id=front.request_id))
    raw = mask_key(exc.body, cred.api_key)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict) and cred.dialect == front.dialect:
        return Reply(exc.status, headers, raw)
    # Reshaped, the body quotes the gateway's request id: another provider's
    # ``request-id`` header would contradict it (Anthropic clients read it).
    headers = [(k, v) for k, v in headers if k.lower() != "request-id"]
    retry_after = _retry_after(headers, cred.dialect, data)
    if retry_after is not None and not any(k.lower() == "retry-after" for k, _ in headers):
        headers.append(("Retry-After", str(retry_after)))
    if isinstance(data, dict):
        body = translators.translate_error(cred.dialect, front.dialect, data, status=exc.status,
                                           request_id=front.request_id, retry_after=retry_after)
        return json_reply(exc.status, body, headers)
    return Reply(exc.status, headers, error_body(front.dialect, exc.status, exc.message + ".",
                                                 request_id=front.request_id,
                                                 retry_after=retry_after))


def _retry_after(headers, dialect, body):
    """Whole seconds the upstream asked its client to wait -- its
    ``Retry-After`` (delay-seconds) or a Gemini body's RetryInfo -- so a
    client of another dialect learns it the way its SDK reads it; None."""
    for name, value in headers:
        if name.lower() == "retry-after":
            try:
                return max(0, int(float(value) + 0.999))
            except ValueError:
                return None                # an HTTP-date: relayed as it came
    seconds = translators.retry_delay(dialect, body) if isinstance(body, dict) else None
    return int(seconds + 0.999) if seconds is not None else None

