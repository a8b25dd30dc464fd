"""proxy.errors: the one exception tree, and the one renderer of the error
bodies the gateway answers itself, in each dialect's documented shape."""
import importlib
import pathlib
import pkgutil

import orjson
import pytest

from proxy import errors

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_exception_class_of_the_gateway_is_in_the_one_tree():
    outside = []
    for info in pkgutil.walk_packages([str(ROOT / "proxy")], "proxy."):
        if info.name == "proxy.__main__":       # runs the CLI on import
            continue
        module = importlib.import_module(info.name)
        outside += [f"{info.name}.{name}" for name, value in vars(module).items()
                    if isinstance(value, type) and issubclass(value, BaseException)
                    and value.__module__ == info.name and info.name != "proxy.errors"]
    assert outside == []
    for name in ("BootstrapFailed", "DeadlinePassed", "ShapeError", "ApiError", "HeadRefused",
                 "KeyExists", "NoSuchKey", "AuthFileError", "RefreshFailed", "RefreshRejected",
                 "LoginError", "SetupError", "NotALogin", "TooManyHeaders"):
        assert issubclass(getattr(errors, name), errors.SwitchyardError), name


def test_modules_raise_the_tree_s_classes_under_their_old_names():
    from proxy.accounts import authfile, token_client
    from proxy.admin import api_keys
    from proxy.login import flow, imports
    from proxy.wire import http1
    assert flow.LoginError is errors.LoginError and imports.NotALogin is errors.NotALogin
    assert authfile.AuthFileError is errors.AuthFileError
    assert token_client.RefreshRejected is errors.RefreshRejected
    assert api_keys.NoSuchKey is errors.NoSuchKey and http1.TooManyHeaders is errors.TooManyHeaders


@pytest.mark.parametrize("dialect, expected", [
    # OpenAI API reference, "Error codes": {"error": {message, type, param, code}}
    ("openai", {"error": {"message": "Rate limited.", "type": "rate_limit_exceeded",
                          "param": None, "code": "model_cooldown"}}),
    ("responses", {"error": {"message": "Rate limited.", "type": "rate_limit_exceeded",
                             "param": None, "code": "model_cooldown"}}),
    # Anthropic API "Errors": {"type": "error", "error": {type, message}}
    ("claude", {"type": "error", "error": {"type": "rate_limit_error",
                                           "message": "Rate limited."}}),
    # Gemini API / google.rpc.Status: {"error": {code, message, status, details}};
    # a 429 says when to retry in a RetryInfo detail (what Gemini CLI reads)
    ("gemini", {"error": {"code": 429, "message": "Rate limited.",
                          "status": "RESOURCE_EXHAUSTED", "details": [
                              {"@type": "type.googleapis.com/google.rpc.RetryInfo",
                               "retryDelay": "3s"}]}}),
])
def test_a_gateway_error_in_each_dialect(dialect, expected):
    exc = errors.ModelCooldown("Rate limited.", retry_after=3)
    assert orjson.loads(exc.body(dialect)) == expected
    assert exc.headers == {"Retry-After": "3"}


def test_openai_bodies_name_the_field_at_fault():
    exc = errors.BadRequest("Missing required parameter: 'messages'.",
                            code="missing_required_parameter", param="messages")
    assert orjson.loads(exc.body("openai"))["error"] == {
        "message": "Missing required parameter: 'messages'.", "type": "invalid_request_error",
        "param": "messages", "code": "missing_required_parameter"}
    assert "param" not in orjson.loads(exc.body("claude"))["error"]


def test_a_head_refusal_is_a_bad_request_and_what_pywsgi_expects():
    exc = errors.HeadRefused(431, "Too many header fields.")
    assert isinstance(exc, errors.BadRequest) and isinstance(exc, ValueError)
    assert exc.status == 431 and exc.message == "Too many header fields."


def test_anthropic_bodies_quote_the_request_id_at_top_level():
    # Anthropic API "Errors": {"type": "error", "error": {...}, "request_id": "req_..."}
    exc = errors.NotFound("No such model.")
    assert orjson.loads(exc.body("claude", "5f3a00000001")) == {
        "type": "error", "error": {"type": "not_found_error", "message": "No such model."},
        "request_id": "5f3a00000001"}
    # the other shapes have no such field: their id is the x-request-id header
    for dialect in ("openai", "responses", "gemini"):
        assert "5f3a00000001" not in exc.body(dialect, "5f3a00000001").decode()
    assert "request_id" not in orjson.loads(exc.body("claude"))


@pytest.mark.parametrize("dialect", ["openai", "responses", "claude", "gemini"])
@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 413, 429, 500, 502, 503, 504])
def test_every_gateway_error_has_its_dialect_s_required_fields(dialect, status):
    body = orjson.loads(errors.error_body(dialect, status, "Why.", request_id="rid1"))
    if dialect == "claude":
        assert body["type"] == "error" and body["request_id"] == "rid1"
        assert set(body["error"]) == {"type", "message"} and body["error"]["message"] == "Why."
    elif dialect == "gemini":
        assert body["error"]["code"] == status and body["error"]["message"] == "Why."
        assert body["error"]["status"].isupper()
    else:   # OpenAI: param and code always present, null when unknown
        assert set(body["error"]) == {"message", "type", "param", "code"}
        assert body["error"]["message"] == "Why." and body["error"]["type"]


def test_unavailable_says_when_to_retry_only_when_waiting_helps():
    soon = errors.UpstreamUnavailable("Cooling.", retry_after=2.2)
    assert soon.headers == {"Retry-After": "3"} and soon.retry_after == 3
    assert orjson.loads(soon.body("gemini"))["error"]["details"] == [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3s"}]
    never = errors.UpstreamUnavailable("Every key rejected.", status=502)
    assert never.headers == {"x-should-retry": "false"} and never.retry_after is None
    assert "details" not in orjson.loads(never.body("gemini"))["error"]
