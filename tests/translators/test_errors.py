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
