"""proxy.relay.attempts over a scripted transport (no sockets): which
credential is called in which order, what the pool records after each
outcome, the attempt budget, stream bootstrap retries, and the release of a
half-open probe however the attempt ends."""
import json
from datetime import datetime, timedelta, timezone

import gevent
import gevent.event
import orjson
import pytest

from proxy import config as config_mod, runtime as runtime_mod
from proxy.accounts import health
from proxy.errors import BadRequest, ClientGone, UpstreamStatusError
from proxy.http.front import FrontRequest
from proxy.providers import credentials
from proxy.providers.upstream import UpstreamClient
from proxy.relay import attempts
from proxy.routing.cooldown import Decision
from proxy.routing.pool import CredentialPool
from proxy.runtime import Runtime
from tests.fakes.oauth_server import FakeOAuthServer
from tests.fakes.transport import DROP, MockTransport, Response, by_credential, refused

A, B, C = "openai-compat:up:1", "openai-compat:up:2", "openai-compat:up:3"
ANSWER = {"id": "chatcmpl-1", "object": "chat.completion", "model": "m",
          "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"},
                       "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}
EVENTS = [b'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":'
          b'[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n',
          b'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":'
          b'[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
          b'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[],'
          b'"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n',
          b"data: [DONE]\n\n"]
SSE = {"content-type": "text/event-stream"}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Observer:
    """What the relay reports about a request, in order."""

    def __init__(self):
        self.attempts = []
        self.settled = None

    def attempt(self, credential, upstream_model, *, status, outcome, latency, error=None):
        self.attempts.append((credential.id, outcome, status))

    def first_byte(self):
        pass

    def usage(self, usage):
        pass

    def usage_unknown(self):
        pass

    def answer(self, dialect, raw):
        pass

    def tool_call(self, name, call_id):
        pass

    def settle(self, status, *, error_class=None):
        self.settled = (status, error_class)


@pytest.fixture(autouse=True)
def no_backoff_pause(monkeypatch):
    monkeypatch.setattr(attempts, "RETRY_BACKOFF_SECONDS", 0.0)


def _setup(keys=3, **settings):
    config = config_mod.build(dict({
        "openai-compatibility": [{
            "name": "up", "base-url": "http://up.test/v1", "models": [{"name": "m"}],
            "api-key-entries": [{"api-key": f"sk-key-{n}-0123456789abcdef"}
                                for n in range(keys)]}],
        "echo": False, "routing": {"strategy": "fill-first"}, "max-retry-interval": 0},
        **settings))
    clock = Clock()
    pool = CredentialPool(credentials.from_config(config), config, clock=clock)
    return Runtime(config=config, pool=pool), clock


def _front(stream=False):
    body = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}
    if stream:
        body["stream"] = True
    return FrontRequest(dialect="openai", action="generate", model="m", body=body,
                        raw=orjson.dumps(body), stream=stream, headers={}, request_id="r1")


def _serve(runtime, script, *, stream=False):
    transport = MockTransport(by_credential(script) if isinstance(script, dict) else script)
    observer = Observer()
    reply = attempts.serve(_front(stream), runtime, UpstreamClient(transport), observer)
    return reply, transport, observer


def _cooling(runtime):
    """Ids of credentials with a cooldown (running or half-open), with the
    kind of their last failure."""
    return {cid: state.last_error["kind"] for cid, state in runtime.pool._states.items()
            if state.cooldowns}


def _cooldown_left(runtime, clock, cred_id):
    return max(cd.until for cd in runtime.pool._states[cred_id].cooldowns.values()) - clock.now


def _ok():
    return Response(200, body=orjson.dumps(ANSWER))


def _error(status, message="boom", headers=None):
    return Response(status, headers, orjson.dumps({"error": {
        "message": message, "type": "server_error" if status >= 500 else "invalid_request_error",
        "code": None}}))


# --- failover and cooldown decisions ---------------------------------------

def test_a_rate_limited_credential_cools_for_its_reset_and_the_next_one_serves():
    runtime, clock = _setup()
    reply, transport, observer = _serve(runtime, {
        A: [_error(429, "Rate limit reached", {"retry-after": "30"})], B: [_ok()]})
    assert reply.status == 200 and orjson.loads(reply.body)["choices"][0]["message"]["content"] \
        == "hi"
    assert transport.called == [A, B]
    assert [(cid, outcome) for cid, outcome, _ in observer.attempts] == [
        (A, "rate_limit"), (B, "success")]
    assert _cooling(runtime) == {A: "rate_limit"}
    assert _cooldown_left(runtime, clock, A) == pytest.approx(30, abs=1)
    # the next request skips the cooling credential
    _, transport, _ = _serve(runtime, {B: [_ok()]})
    assert transport.called == [B]


def test_an_auth_failure_cools_the_credential_and_fails_over():
    runtime, _ = _setup()
    reply, transport, _ = _serve(runtime, {A: [_error(401, "Incorrect API key provided")],
                                           B: [_ok()]})
    assert reply.status == 200 and transport.called == [A, B]
    assert _cooling(runtime) == {A: "auth"}


def test_a_refused_connection_cools_once_another_credential_succeeds():
    runtime, _ = _setup()
    reply, transport, observer = _serve(runtime, {A: [refused], B: [_ok()]})
    assert reply.status == 200 and transport.called == [A, B]
    assert observer.attempts[0][:2] == (A, "transient")
    assert _cooling(runtime) == {A: "transient"}   # the failure followed the credential


def test_the_same_5xx_from_two_credentials_is_the_requests_fault_and_cools_neither():
    runtime, _ = _setup()
    poison = "Internal error while processing input 7f3a"
    reply, transport, _ = _serve(runtime, {A: [_error(500, poison)], B: [_error(500, poison)],
                                           C: [_ok()]})
    assert transport.called == [A, B]                   # stopped: C is never asked
    assert reply.status == 500 and poison in reply.body.decode()
    assert _cooling(runtime) == {}


def test_a_5xx_then_a_different_failure_cools_both():
    runtime, _ = _setup()
    reply, transport, _ = _serve(runtime, {A: [_error(503, "overloaded")],
                                           B: [_error(401, "bad key")], C: [_ok()]})
    assert reply.status == 200 and transport.called == [A, B, C]
    assert _cooling(runtime) == {A: "transient", B: "auth"}


def test_a_blip_on_the_last_usable_credential_is_retried_and_cools_nothing():
    runtime, _ = _setup(keys=1)
    reply, transport, _ = _serve(runtime, {A: [_error(502, "bad gateway"), _ok()]})
    assert reply.status == 200 and transport.called == [A, A]
    assert _cooling(runtime) == {}


def test_a_request_fault_is_relayed_without_failover():
    runtime, _ = _setup()
    reply, transport, _ = _serve(runtime, {A: [_error(400, "messages: field required")]})
    assert transport.called == [A]
    assert reply.status == 400 and b"messages: field required" in reply.body
    assert _cooling(runtime) == {}


def test_the_attempt_budget_caps_upstream_calls():
    runtime, _ = _setup(**{"max-upstream-attempts": 2})
    reply, transport, _ = _serve(runtime, {A: [refused], B: [refused], C: [refused]})
    assert transport.called == [A, B]
    assert reply.status == 502
    assert "refused the connection" in orjson.loads(reply.body)["error"]["message"]


# --- streams ---------------------------------------------------------------

def test_a_stream_failing_before_its_first_event_is_retried_on_the_next_credential():
    # one upstream call allowed, but a bootstrap failure re-selects for free
    runtime, _ = _setup(**{"max-upstream-attempts": 1})
    reply, transport, _ = _serve(runtime, {
        A: [Response(200, SSE, stream=[b": keep-alive\n\n", DROP])],
        B: [Response(200, SSE, stream=EVENTS)]}, stream=True)
    assert transport.called == [A, B]
    body = b"".join(reply.body)
    assert body.count(b"data: ") == 3 and body.endswith(b"data: [DONE]\n\n")  # usage chunk hidden
    assert _cooling(runtime) == {A: "transient"}


def test_a_stream_breaking_after_its_first_event_ends_with_an_error_event_no_failover():
    runtime, _ = _setup()
    first = Response(200, SSE, stream=[EVENTS[0], DROP])
    reply, transport, observer = _serve(runtime, {A: [first]}, stream=True)
    body = b"".join(reply.body)
    assert transport.called == [A]
    assert body.startswith(EVENTS[0]) and b"the answer is incomplete" in body
    assert first.closed and observer.settled == (200, "stream_truncated")


def test_a_client_closing_the_stream_releases_the_upstream_response():
    runtime, _ = _setup()
    upstream = Response(200, SSE, stream=EVENTS)
    reply, _, observer = _serve(runtime, {A: [upstream]}, stream=True)
    next(reply.body)
    reply.body.close()                                  # GeneratorExit inside the relay
    assert upstream.closed and not upstream.consumed
    assert observer.settled == (499, "client_disconnect")


# --- half-open probes: released on every exit path ------------------------

def _half_open(runtime, clock):
    """Cool A, let the cooldown expire: A's next pick is its one probe."""
    (cred,) = runtime.pool.credentials
    runtime.pool.report_failure(cred, "m", Decision(True, "transient", cooldown=5.0))
    clock.now += 10
    return cred


def _probe_held(runtime, cred):
    state = runtime.pool._states[cred.id]
    return any(cd.probe_until is not None for cd in state.cooldowns.values())


def test_a_probe_that_succeeds_restores_the_credential():
    runtime, clock = _setup(keys=1)
    cred = _half_open(runtime, clock)
    reply, _, _ = _serve(runtime, {A: [_ok()]})
    assert reply.status == 200
    assert not _probe_held(runtime, cred) and _cooling(runtime) == {}


def test_a_probe_that_fails_is_released_and_the_cooldown_doubles():
    runtime, clock = _setup(keys=1, **{"request-retry": 0})
    cred = _half_open(runtime, clock)
    reply, transport, _ = _serve(runtime, {A: [_error(401, "bad key")]})
    assert reply.status == 401 and transport.called == [A]
    assert not _probe_held(runtime, cred) and _cooling(runtime) == {A: "auth"}


@pytest.mark.parametrize("raised", [ClientGone(), RuntimeError("a bug in a handler")],
                         ids=["client-hung-up", "exception"])
def test_a_probe_is_released_when_the_attempt_is_cut_short(raised):
    runtime, clock = _setup(keys=1)
    cred = _half_open(runtime, clock)
    with pytest.raises(type(raised)):
        _serve(runtime, {A: [raised]})
    assert not _probe_held(runtime, cred)
    assert runtime.pool.pick("m") is cred            # free for the next request to probe


def test_a_probe_is_released_when_its_stream_fails_to_start():
    runtime, clock = _setup(keys=1, **{"request-retry": 0})
    cred = _half_open(runtime, clock)
    reply, transport, _ = _serve(runtime, {A: [Response(200, SSE, stream=[DROP])]},
                                 stream=True)
    assert transport.called == [A] and reply.status == 502
    assert not _probe_held(runtime, cred)


def test_a_probe_whose_stream_is_closed_by_the_client_is_already_settled():
    runtime, clock = _setup(keys=1)
    cred = _half_open(runtime, clock)
    reply, _, _ = _serve(runtime, {A: [Response(200, SSE, stream=EVENTS)]}, stream=True)
    next(reply.body)
    reply.body.close()
    assert not _probe_held(runtime, cred) and _cooling(runtime) == {}


def test_a_client_hanging_up_while_a_probe_awaits_the_upstream_cools_nothing():
    runtime, clock = _setup(keys=1)
    cred = _half_open(runtime, clock)
    started = gevent.event.Event()

    def slow(request):
        started.set()
        gevent.sleep(60)                    # the request's green thread is killed long before

    request = gevent.spawn(attempts.serve, _front(), runtime,
                           UpstreamClient(MockTransport(slow)), Observer())
    started.wait()
    request.kill(ClientGone)                # what proxy.http.disconnect throws in
    assert request.dead and isinstance(request.value, ClientGone)
    assert not _probe_held(runtime, cred) and runtime.pool._states[A].failures == 1


# --- subscription accounts --------------------------------------------------

CLAUDE_ANSWER = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
                 "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
                 "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 1}}


def _claude_account(folder, oauth):
    """A Claude account file in ``folder`` with a fresh grant an hour from
    expiry, and a config serving that folder; returns (grant, config)."""
    grant = oauth.grant()
    expires = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    (folder / "claude-a.json").write_text(json.dumps({
        "type": "claude", "access_token": grant["access_token"],
        "refresh_token": grant["refresh_token"], "expired": expires}))
    return grant, config_mod.build({"auth-dir": str(folder), "echo": False,
                                    "oauth": {"claude-token-url": oauth.token_url}})


def test_an_account_401_refreshes_its_token_and_retries_the_same_credential(tmp_path):
    health.reset()
    with FakeOAuthServer() as oauth:
        grant, config = _claude_account(tmp_path, oauth)
        runtime = runtime_mod.build(config)
        (cred,) = runtime.pool.credentials
        transport = MockTransport(by_credential({cred.id: [
            _error(401, "OAuth token has expired"),
            Response(200, body=orjson.dumps(CLAUDE_ANSWER))]}))
        body = {"model": "claude-x", "max_tokens": 16,
                "messages": [{"role": "user", "content": "hello"}]}
        front = FrontRequest(dialect="claude", action="generate", model="claude-x", body=body,
                             raw=orjson.dumps(body), stream=False, headers={}, request_id="r2")
        reply = attempts.serve(front, runtime, UpstreamClient(transport), Observer())
        assert oauth.refresh_count() == 1
    health.reset()
    assert reply.status == 200 and orjson.loads(reply.body)["content"][0]["text"] == "hi"
    assert transport.called == [cred.id, cred.id]
    sent = [{k.lower(): v for k, v in request.headers.items()}["authorization"] for request in transport.calls]
    assert sent[0] == f"Bearer {grant['access_token']}"
    assert sent[1] == f"Bearer {cred.api_key}" != sent[0]      # the refreshed token
    assert json.loads((tmp_path / "claude-a.json").read_text())["access_token"] == cred.api_key
    assert _cooling(runtime) == {}


def test_a_401_for_a_token_another_worker_replaced_refreshes_when_that_one_is_dead_too(
        tmp_path):
    """A worker still holding a token another one replaced takes up the
    file's; when that one is refused too (revoked or expired since), the
    account is refreshed rather than failed and cooled."""
    health.reset()
    with FakeOAuthServer() as oauth:
        grant, config = _claude_account(tmp_path, oauth)
        stale, other = runtime_mod.build(config), runtime_mod.build(config)
        (cred,), (others,) = stale.pool.credentials, other.pool.credentials
        oauth.expire(grant["access_token"])
        from proxy.accounts import refresher
        assert refresher.after_unauthorized(others, config, grant["access_token"])
        oauth.expire(others.api_key)                    # the other worker's token dies too

        def upstream(request):
            bearer = {k.lower(): v for k, v in request.headers.items()}["authorization"]
            if oauth.valid(bearer.removeprefix("Bearer ")):
                return Response(200, body=orjson.dumps(CLAUDE_ANSWER))
            return _error(401, "OAuth token has expired")
        transport = MockTransport(upstream)
        body = {"model": "claude-x", "max_tokens": 16,
                "messages": [{"role": "user", "content": "hello"}]}
        front = FrontRequest(dialect="claude", action="generate", model="claude-x", body=body,
                             raw=orjson.dumps(body), stream=False, headers={}, request_id="r3")
        reply = attempts.serve(front, stale, UpstreamClient(transport), Observer())
        assert reply.status == 200 and oauth.refresh_count() == 2
        assert oauth.valid(cred.api_key)
    health.reset()
    assert transport.called == [cred.id] * 3 and _cooling(stale) == {}


def test_status_errors_carry_the_upstream_body():
    runtime, _ = _setup(keys=1, **{"request-retry": 0})
    transport = MockTransport(by_credential({A: [_error(403, "no access")]}))
    with pytest.raises(UpstreamStatusError) as caught:
        UpstreamClient(transport).send(runtime.pool.credentials[0], "http://up.test/v1/x", {},
                                       b"{}", timeouts=(1, 1))
    assert caught.value.status == 403 and b"no access" in caught.value.body


def test_a_request_the_upstream_dialect_cannot_express_is_a_400_before_any_call():
    runtime, _ = _setup()
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "cachedContent": "cachedContents/abc"}
    front = FrontRequest(dialect="gemini", action="generate", model="m", body=body,
                         raw=orjson.dumps(body), stream=False, headers={}, request_id="r3")
    transport = MockTransport(by_credential({}))
    with pytest.raises(BadRequest) as caught:
        attempts.serve(front, runtime, UpstreamClient(transport), Observer())
    assert "cachedContent" in caught.value.message
    assert transport.calls == [] and _cooling(runtime) == {}
    assert runtime.pool.pick("m").id == A


def test_a_count_answered_with_a_page_fails_over_to_the_next_credential():
    config = config_mod.build({
        "claude-api-key": [{"api-key": f"sk-ant-key-{n}-0123456789abcdef",
                            "base-url": "http://up.test", "models": [{"name": "claude-x"}]}
                           for n in range(2)],
        "echo": False, "routing": {"strategy": "fill-first"}, "max-retry-interval": 0})
    runtime = Runtime(config=config, pool=CredentialPool(credentials.from_config(config), config))
    first, second = (cred.id for cred in runtime.pool.credentials)
    body = {"model": "claude-x", "messages": [{"role": "user", "content": "hello"}]}
    front = FrontRequest(dialect="claude", action="count_tokens", model="claude-x", body=body,
                         raw=orjson.dumps(body), stream=False, headers={}, request_id="r4")
    transport = MockTransport(by_credential({
        first: [Response(200, {"content-type": "text/html"}, b"<html>sign in</html>")],
        second: [Response(200, body=b'{"input_tokens": 12}')]}))
    observer = Observer()
    reply = attempts.serve(front, runtime, UpstreamClient(transport), observer)
    assert transport.called == [first, second]
    assert reply.status == 200 and orjson.loads(reply.body) == {"input_tokens": 12}
    assert observer.attempts[0][:2] == (first, "transient")
    assert [request.url for request in transport.calls] == [
        "http://up.test/v1/messages/count_tokens"] * 2


def test_a_same_dialect_count_sends_the_clients_bytes_and_builds_no_ir(monkeypatch):
    # an agent's count: its conversation goes up as it came (only the model
    # renamed), without being parsed whole, into the IR or serialised again
    import translators
    from proxy.wire.json_top import top_level
    config = config_mod.build({
        "claude-api-key": [{"api-key": "sk-ant-key-0123456789abcdef", "base-url": "http://up.test",
                            "models": [{"name": "claude-real", "alias": "claude-x"}]}],
        "echo": False})
    runtime = Runtime(config=config, pool=CredentialPool(credentials.from_config(config), config))
    raw = b'{"model": "claude-x", "messages": [%s]}' % b", ".join(
        b'{"role": "user", "content": "say \\"model\\": \\"claude-x\\" %d"}' % i
        for i in range(2000))
    front = FrontRequest(dialect="claude", action="count_tokens", model="claude-x",
                         top=top_level(raw), raw=raw, stream=False, headers={}, request_id="r5")

    def no_ir(*args, **kwargs):
        raise AssertionError("the request was parsed into the IR")
    monkeypatch.setattr(translators.dialect("claude"), "parse_request", no_ir)
    transport = MockTransport(lambda request: Response(200, body=b'{"input_tokens": 12}'))
    reply = attempts.serve(front, runtime, UpstreamClient(transport), Observer())
    assert reply.status == 200 and orjson.loads(reply.body) == {"input_tokens": 12}
    assert transport.calls[0].url == "http://up.test/v1/messages/count_tokens"
    assert transport.calls[0].body == raw.replace(b'"model": "claude-x"', b'"model": "claude-real"',
                                                  1)
    assert not front.body_parsed        # nor parsed whole, as a generate request is not


# --- what a route's credentials say about reading the body ---

def test_whether_a_request_reads_its_body_is_worked_out_once_per_route():
    """``reads_body`` (asked by the front door) and ``serve`` take it from
    the route's memo: the same answer as asking each credential, for every
    dialect and action, and not asked again."""
    config = config_mod.build({
        "openai-compatibility": [{"name": "up", "base-url": "http://up.test/v1",
                                  "models": [{"name": "m"}],
                                  "api-key-entries": [{"api-key": "sk-key-0123456789abcdef"}]}],
        "claude-api-key": [{"api-key": "sk-ant-0123456789", "models": [{"name": "m"},
                                                                         {"name": "c"}]}],
        "echo": True})
    runtime = Runtime(config=config, pool=CredentialPool(credentials.from_config(config), config))
    for model in ("m", "c", "echo"):
        route = runtime.pool.route(model)
        for dialect in ("openai", "claude", "gemini", "responses"):
            for action in ("generate", "count_tokens"):
                expected = attempts._any_reads_body(dialect, action, runtime.pool.resolve(model))
                assert attempts.reads_body(runtime, dialect, action, model) is expected
                assert route.facts[("reads_body", dialect, action)] is expected
                route.facts[("reads_body", dialect, action)] = "memo"
                assert attempts.reads_body(runtime, dialect, action, model) == "memo"
    assert attempts.reads_body(runtime, "openai", "generate", "unknown") is False
    assert attempts.reads_body(runtime, "openai", "generate", None) is False
