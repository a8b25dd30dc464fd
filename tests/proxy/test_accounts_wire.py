"""Each subscription account kind's upstream rules and quota signals, as
the real upstreams have them: the Codex backend's body rules, Code Assist's
and Vertex's token-count requests, Codex's ``usage_not_included`` and
``x-codex-*`` windows, Code Assist's ``quotaResetDelay``."""
import json
from types import SimpleNamespace

from proxy.accounts import codex_body, edge, quota


def test_codex_backend_body_rules():
    body = codex_body.prepare({
        "model": "gpt-5", "input": [{"role": "system", "content": "be brief"},
                                    {"type": "message", "role": "user", "content": "hi"},
                                    {"type": "function_call_output", "call_id": "c",
                                     "output": "x"}],
        "user": "u", "max_completion_tokens": 9, "truncation": "auto",
        "context_management": {}, "prompt_cache_options": {}, "service_tier": "auto",
        "prompt_cache_key": "k"})
    assert body["input"][0] == {"role": "developer", "content": "be brief"}
    assert body["input"][1:] == [{"type": "message", "role": "user", "content": "hi"},
                                 {"type": "function_call_output", "call_id": "c",
                                  "output": "x"}]
    for dropped in ("user", "max_completion_tokens", "truncation", "context_management",
                    "prompt_cache_options", "service_tier"):
        assert dropped not in body
    assert body["prompt_cache_key"] == "k"
    assert codex_body.prepare({"input": [], "service_tier": "priority"})["service_tier"] == \
        "priority"


def test_token_count_bodies_of_code_assist_and_vertex():
    contents = [{"role": "user", "parts": [{"text": "x"}]}]
    long_form = {"generateContentRequest": {"model": "models/m", "contents": contents,
                                            "tools": [], "safetySettings": []}}
    gemini = SimpleNamespace(kind="gemini-cli", account={"project": "p"})
    vertex = SimpleNamespace(kind="vertex", account={})
    for body in ({"contents": contents}, long_form):
        assert edge.count_body(gemini, body, model="m") == {
            "request": {"model": "models/m", "contents": contents}}
    assert edge.count_body(vertex, long_form, model="m") == {"contents": contents, "tools": []}


# -- quota signals -------------------------------------------------------------

def _decision(status, headers, body):
    from proxy import config as config_mod
    from proxy.routing import cooldown
    built = config_mod.build({})
    exc = SimpleNamespace(status=status, headers=headers, body=body)
    return quota.account_decision(cooldown.classify_status(status, headers, body, built), exc,
                                  now=1000.0)


def test_codex_plan_without_codex_rests_the_account():
    decision = _decision(429, {}, b'{"error":{"type":"usage_not_included","message":"m"}}')
    assert decision.scope == "credential"
    assert decision.cooldown == quota.PLAN_EXCLUDED_SECONDS and decision.exact


def test_codex_usage_limit_without_reset_in_the_body_uses_the_exhausted_window():
    headers = {"x-codex-primary-used-percent": "100.0", "x-codex-primary-window-minutes": "300",
               "x-codex-primary-reset-after-seconds": "1800",
               "x-codex-secondary-used-percent": "40", "x-codex-secondary-reset-at": "999999"}
    decision = _decision(429, headers, b'{"error":{"type":"usage_limit_reached"}}')
    assert decision.scope == "credential" and decision.cooldown == 1800 and decision.exact


def test_codex_windows_show_with_the_account():
    from proxy.routing import ratelimit_headers
    found = ratelimit_headers.windows({
        "X-Codex-Primary-Used-Percent": "42.5", "X-Codex-Primary-Window-Minutes": "300",
        "X-Codex-Primary-Reset-At": "1800000000", "x-codex-secondary-used-percent": "13",
        "x-codex-secondary-reset-after-seconds": "60"}, seen_at=1000.0)
    assert found["codex-primary"] == {"utilization": 0.425, "window_minutes": 300,
                                      "resets_at": 1800000000}
    assert found["codex-secondary"]["resets_at"] == 1060.0


def test_code_assist_quota_reset_delay_in_error_info():
    body = json.dumps({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED",
         "domain": "cloudcode-pa.googleapis.com",
         "metadata": {"quotaResetDelay": "37.5s", "quotaResetTimeStamp": "2026-12-03T00:00:37Z"}}
    ]}}).encode()
    decision = _decision(429, {}, body)
    assert decision.scope == "credential" and decision.cooldown == 37.5 and decision.exact


def test_code_assist_stream_events_with_crlf_unwrap_cleanly():
    from proxy.accounts import code_assist
    from proxy.wire import sse
    splitter = sse.EventSplitter()
    events = splitter.feed(b'data: {"response": {"candidates": []}, "traceId": "t"}\r\n\r\n'
                           b'data: {"response": {"candidates": [1]}}\r\n\r\n') + splitter.flush()
    assert [code_assist.unwrap_event(e) for e in events] == [
        b'data: {"candidates":[],"responseId":"t"}\n\n', b'data: {"candidates":[1]}\n\n']


def test_codex_whole_answer_that_failed_is_the_error_it_stands_for():
    """A whole request is streamed upstream; a stream ending in
    response.failed becomes the status the public API would answer, so
    the account is cooled or the request refused as for any error."""
    import pytest

    from proxy.errors import UpstreamStatusError
    failed = (b'event: response.failed\ndata: {"type":"response.failed","response":'
              b'{"id":"r","status":"failed","error":{"code":"rate_limit_exceeded",'
              b'"message":"Rate limit reached. Please try again in 11s."}}}\n\n')
    cred = SimpleNamespace(kind="codex-oauth", id="auth:codex-a.json", display_name="codex-a")
    resp = SimpleNamespace(headers={}, iter_within=lambda limit: [failed])
    with pytest.raises(UpstreamStatusError) as raised:
        edge.whole_body(cred, resp)
    assert raised.value.status == 429
    error = json.loads(raised.value.body)["error"]
    assert error["code"] == "rate_limit_exceeded" and "11s" in error["message"]
    for code, status in (("context_length_exceeded", 400), ("server_is_overloaded", 503),
                         ("something_new", 500)):
        assert codex_body.failure({"status": "failed", "error": {"code": code}})[0] == status
    assert codex_body.failure({"status": "completed"}) is None
    done = (b'data: {"type":"response.completed","response":{"id":"r","status":"completed",'
            b'"output":[]}}\n\n')
    resp = SimpleNamespace(headers={}, iter_within=lambda limit: [done])
    assert json.loads(edge.whole_body(cred, resp))["status"] == "completed"


def test_claude_code_only_refusal_moves_on_without_cooling_the_account():
    """Anthropic answers a subscription token used outside Claude Code with
    a 400 invalid_request_error; another credential (an API key) may serve
    the request, and the account still serves Claude Code: retry, no cooldown."""
    body = json.dumps({"type": "error", "error": {
        "type": "invalid_request_error",
        "message": "This credential is only authorized for use with Claude Code and cannot "
                   "be used for other API requests."}}).encode()
    decision = _decision(400, {}, body)
    assert decision.retry and decision.cooldown is None
    other = _decision(400, {}, b'{"type":"error","error":{"type":"invalid_request_error",'
                               b'"message":"max_tokens: Field required"}}')
    assert not other.retry
