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
    # Gemini API / google.rpc.Status: {"error": {code, message, status}}
    ("gemini", {"error": {"code": 429, "message": "Rate limited.",
                          "status": "RESOURCE_EXHAUSTED"}}),
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
