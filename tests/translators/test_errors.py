"""Error bodies across dialects: each SDK must recognise what it gets."""
import pytest

import translators


@pytest.mark.parametrize("dialect,status,check", [
    ("openai", 401, lambda b: b["error"]["type"] == "authentication_error"),
    ("responses", 429, lambda b: b["error"]["type"] == "rate_limit_exceeded"),
    ("claude", 404, lambda b: b["type"] == "error" and b["error"]["type"] == "not_found_error"),
    ("gemini", 503, lambda b: b["error"] == {"code": 503, "message": "m", "status": "UNAVAILABLE"}),
])
def test_gateway_errors_in_each_shape(dialect, status, check):
    assert check(translators.render_error(dialect, status, "m"))


@pytest.mark.parametrize("src,body,dst,expected_type", [
    ("gemini", {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}},
     "openai", "rate_limit_exceeded"),
    ("gemini", {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}},
     "claude", "rate_limit_error"),
    ("claude", {"type": "error", "error": {"type": "overloaded_error", "message": "quota"}},
     "openai", "server_error"),
    ("openai", {"error": {"message": "quota", "type": "invalid_request_error"}},
     "gemini", "INVALID_ARGUMENT"),
])
def test_upstream_errors_reshaped_with_their_meaning(src, body, dst, expected_type):
    out = translators.translate_error(src, dst, body)
    message, error_type = translators.dialect(dst).parse_error(out)
    assert message == "quota" and error_type == expected_type


# A Responses stream fails with an ``error`` event or ``response.failed``
# whose ``code`` no table lists (API reference, "Streaming events").
RESPONSES_FAILURES = [
    ("error", {"type": "error", "code": "invalid_request", "message": "bad input",
               "param": None, "sequence_number": 3}),
    ("response.failed", {"type": "response.failed", "sequence_number": 3, "response": {
        "id": "resp_1", "status": "failed", "output": [],
        "error": {"code": "cyber_policy", "message": "bad input"}}}),
]


@pytest.mark.parametrize("name,event", RESPONSES_FAILURES, ids=["error", "failed"])
@pytest.mark.parametrize("client,expected", [
    ("claude", lambda p: p["error"] == {"type": "invalid_request_error", "message": "bad input"}),
    ("openai", lambda p: p["error"]["type"] == "invalid_request_error"
     and p["error"]["message"] == "bad input" and p["error"]["code"]),
    ("gemini", lambda p: p["error"]["status"] == "INVALID_ARGUMENT"
     and p["error"]["message"] == "bad input"),
])
def test_responses_stream_failures_keep_their_kind(name, event, client, expected):
    translator = translators.StreamTranslator("responses", client, model="m", request={})
    out = translator.feed(name, event) + translator.close()
    errors = [p for _, p in out if isinstance(p, dict) and "error" in p]
    assert len(errors) == 1 and expected(errors[0])


@pytest.mark.parametrize("src,body,dst,expected_type", [
    ("responses", {"error": {"message": "m", "type": None, "code": "cyber_policy"}},
     "claude", "invalid_request_error"),
    ("responses", {"error": {"message": "m", "type": None, "code": "invalid_prompt"}},
     "gemini", "INVALID_ARGUMENT"),
    ("claude", {"type": "error", "error": {"type": "overloaded_error", "message": "m"}},
     "gemini", "UNAVAILABLE"),
    ("gemini", {"error": {"code": 503, "message": "m", "status": "UNAVAILABLE"}},
     "claude", "overloaded_error"),
    ("openai", {"error": {"message": "m", "type": "server_is_overloaded"}},
     "claude", "overloaded_error"),
    ("openai", {"error": {"message": "m", "type": "some_new_policy_code"}},
     "claude", "invalid_request_error"),
    ("claude", {"type": "error", "error": {"type": "not_found_error", "message": "m"}},
     "responses", "invalid_request_error"),
])
def test_unlisted_error_types_map_by_meaning(src, body, dst, expected_type):
    out = translators.translate_error(src, dst, body)
    assert translators.dialect(dst).parse_error(out) == ("m", expected_type)


def test_overloaded_stays_overloaded_for_claude_clients():
    for error_type in ("overloaded_error", "server_is_overloaded", "UNAVAILABLE"):
        body = translators.render_error("claude", None, "busy", error_type)
        assert body["error"]["type"] == "overloaded_error"


@pytest.mark.parametrize("src,body,status,dst,expected", [
    # an OpenAI 404 / 401 says invalid_request_error; the status decides
    ("openai", {"error": {"message": "m", "type": "invalid_request_error",
                          "code": "model_not_found"}}, 404, "gemini",
     {"code": 404, "message": "m", "status": "NOT_FOUND"}),
    ("openai", {"error": {"message": "m", "type": "invalid_request_error",
                          "code": "invalid_api_key"}}, 401, "claude",
     {"type": "authentication_error", "message": "m"}),
    # a status that does not decide: the body's meaning does
    ("claude", {"type": "error", "error": {"type": "overloaded_error", "message": "m"}}, 529,
     "gemini", {"code": 529, "message": "m", "status": "UNAVAILABLE"}),
    ("gemini", {"error": {"code": 400, "message": "m", "status": "FAILED_PRECONDITION"}}, 400,
     "claude", {"type": "invalid_request_error", "message": "m"}),
])
def test_a_reshaped_upstream_error_keeps_its_status(src, body, status, dst, expected):
    out = translators.translate_error(src, dst, body, status=status)
    assert out["error"] == expected


def test_a_reshaped_error_carries_the_client_dialect_s_extras():
    gemini_429 = {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED",
                            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                         "retryDelay": "37.5s"}]}}
    assert translators.retry_delay("gemini", gemini_429) == 37.5
    assert translators.retry_delay("claude", {"type": "error"}) is None
    assert translators.retry_delay("gemini", {"error": {"details": [{"retryDelay": "x"}]}}) is None
    claude = translators.translate_error("gemini", "claude", gemini_429, status=429,
                                         request_id="r1", retry_after=38)
    assert claude == {"type": "error", "error": {"type": "rate_limit_error", "message": "quota"},
                      "request_id": "r1"}
    back = translators.translate_error("openai", "gemini", {"error": {"message": "slow down"}},
                                       status=429, retry_after=7)
    assert back["error"]["details"] == [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}]


def test_anthropic_stream_errors_quote_the_request_id():
    name, payload = translators.stream_error_event("claude", "cut", request_id="r9")
    assert name == "error" and payload == {
        "type": "error", "error": {"type": "api_error", "message": "cut"}, "request_id": "r9"}
    translator = translators.StreamTranslator("openai", "claude", model="m", request={},
                                              request_id="r9")
    failed = translator.feed(None, {"error": {"message": "boom", "type": "server_error"}})
    assert failed[-1] == ("error", {"type": "error", "request_id": "r9",
                                    "error": {"type": "api_error", "message": "boom"}})
    for dialect in ("openai", "responses", "gemini"):
        assert "r9" not in str(translators.stream_error_event(dialect, "cut", request_id="r9"))


def test_a_responses_error_event_continues_the_relayed_count():
    relayed = [b'event: response.created\ndata: {"type":"response.created","sequence_number":0}\n\n',
               b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
               b'"delta":"quoting \\"sequence_number\\": 99","sequence_number":4}\n\n',
               b": keep-alive\n\n"]
    name, payload = translators.stream_error_event("responses", "cut", after=relayed)
    assert name == "error" and payload["sequence_number"] == 5
    assert translators.stream_error_event("responses", "cut")[1]["sequence_number"] == 0
