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
