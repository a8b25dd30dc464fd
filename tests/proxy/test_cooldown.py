"""Outcome classification (proxy.routing.cooldown) and reset-header parsing
(proxy.routing.ratelimit_headers), with the providers' real error shapes."""
import json
from email.utils import formatdate

import pytest
from gevent import GreenletExit

from proxy import config as config_mod
from proxy.routing.cooldown import (AUTH, CANCELLED, NOT_FOUND, RATE_LIMIT, REQUEST_FAULT, TRANSIENT,
                            classify_exception, classify_status)
from proxy.errors import UpstreamConnectError, UpstreamStatusError, UpstreamTimeout
from proxy.routing.ratelimit_headers import parse_duration, reset_delay

NOW = 1_700_000_000.0   # wall clock for reset dates

CONFIG = config_mod.build({})


def classify(status, body=b"", headers=None, config=CONFIG):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    return classify_status(status, headers or {}, body, config, now=NOW)


def openai_error(message, type_="invalid_request_error", code=None):
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def anthropic_error(type_, message):
    return {"type": "error", "error": {"type": type_, "message": message}}


def gemini_error(code, status, message, details=()):
    return {"error": {"code": code, "message": message, "status": status,
                      "details": list(details)}}


@pytest.mark.parametrize("status, kind, scope, retry, next_round", [
    (400, REQUEST_FAULT, "credential", False, False),
    (409, REQUEST_FAULT, "credential", False, False),
    (413, REQUEST_FAULT, "credential", False, False),
    (422, REQUEST_FAULT, "credential", False, False),
    (405, REQUEST_FAULT, "credential", False, False),
    (401, AUTH, "credential", True, False),
    (402, AUTH, "credential", True, False),
    (403, AUTH, "credential", True, True),
    (404, NOT_FOUND, "model", True, False),
    (429, RATE_LIMIT, "model", True, True),
    (408, TRANSIENT, "credential", True, True),
    (500, TRANSIENT, "credential", True, True),
    (503, TRANSIENT, "credential", True, True),
    (529, TRANSIENT, "credential", True, True),   # Anthropic overloaded_error
])
def test_status_classes(status, kind, scope, retry, next_round):
    decision = classify(status)
    assert (decision.kind, decision.retry, decision.next_round) == (kind, retry, next_round)
    assert decision.status == status
    if retry:
        assert decision.scope == scope


def test_request_faults_are_never_cooled():
    assert classify(400, openai_error("bad field")).cooldown is None


def test_configured_cooldown_lengths():
    assert classify(401).cooldown == 1800.0
    assert classify(404).cooldown == 43200.0
    assert classify(502).cooldown == 2.0         # transient: short first...
    assert classify(502).ceiling == 60.0         # ...doubling up to the configured length


def test_transient_cooldown_minus_one_disables_it():
    config = config_mod.build({"transient-error-cooldown-seconds": -1})
    decision = classify(503, config=config)
    assert decision.retry and decision.cooldown is None


@pytest.mark.parametrize("status, body", [
    # OpenAI-compatible servers sometimes answer context overflow with 500
    (500, openai_error("This model's maximum context length is 128000 tokens.",
                       code="context_length_exceeded")),
    (429, anthropic_error("invalid_request_error",
                          "prompt is too long: 215000 tokens > 200000 maximum")),
    (503, gemini_error(400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds "
                       "the maximum number of tokens allowed (1048576).")),
    (502, openai_error("Invalid 'messages[0].content'")),          # invalid_request_error type
    (500, {"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}}),
])
def test_request_faults_in_the_body_win_over_the_status(status, body):
    decision = classify(status, body)
    assert decision.kind == REQUEST_FAULT and not decision.retry


def test_openai_bad_key_is_auth_despite_invalid_request_type():
    body = openai_error("Incorrect API key provided: sk-xx.", code="invalid_api_key")
    assert classify(401, body).kind == AUTH


def test_gemini_bad_key_under_400_is_auth():
    body = gemini_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                        [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                          "reason": "API_KEY_INVALID", "domain": "googleapis.com"}])
    decision = classify(400, body)
    assert decision.kind == AUTH and decision.retry and decision.scope == "credential"


@pytest.mark.parametrize("status, body", [
    (404, openai_error("The model `gpt-9` does not exist or you do not have access to it.",
                       code="model_not_found")),
    (400, {"detail": "The 'gpt-5-codex-max' model is not supported when using Codex "
                     "with a ChatGPT account."}),
    (400, openai_error("whatever", code="model_not_found")),
    (500, {"error": "model not found: llama-9"}),
    (422, {"message": "Unsupported model: foo-1"}),
])
def test_model_not_served(status, body):
    decision = classify(status, body)
    assert (decision.kind, decision.scope, decision.cooldown) == (NOT_FOUND, "model", 43200.0)


@pytest.mark.parametrize("message", [
    "Model parameter 'temperature' is not supported with this model.",
    "tools are not supported by this model",
])
def test_request_faults_mentioning_a_model_stay_request_faults(message):
    assert classify(400, openai_error(message)).kind == REQUEST_FAULT


def test_non_json_bodies_are_read_as_text():
    assert classify(502, b"<html>Bad Gateway</html>").kind == TRANSIENT
    assert classify(400, b"model not found").kind == NOT_FOUND


@pytest.mark.parametrize("headers, expected", [
    ({"Retry-After": "20"}, 20.0),
    ({"retry-after": formatdate(NOW + 45, usegmt=True)}, 45.0),
    ({"retry-after-ms": "2500", "retry-after": "9"}, 2.5),
    # Anthropic: the exhausted limit's reset, RFC 3339
    # (NOW is 2023-11-14T22:13:20Z)
    ({"anthropic-ratelimit-requests-reset": "2023-11-14T22:15:00Z",
      "anthropic-ratelimit-requests-remaining": "10",
      "anthropic-ratelimit-tokens-reset": "2023-11-14T22:13:40Z",
      "anthropic-ratelimit-tokens-remaining": "0"}, 20.0),
    ({"anthropic-ratelimit-input-tokens-reset": "2023-11-14T22:13:50.5Z"}, 30.5),
    # OpenAI: Go durations
    ({"x-ratelimit-reset-requests": "6m0s", "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-tokens": "20ms", "x-ratelimit-remaining-tokens": "999"}, 360.0),
    ({"x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "1m30s"}, 90.0),
])
def test_rate_limit_uses_the_providers_reset_time(headers, expected):
    decision = classify(429, b"{}", headers)
    assert decision.kind == RATE_LIMIT and decision.exact
    assert decision.cooldown == pytest.approx(expected)


def test_rate_limit_uses_gemini_retry_info():
    body = gemini_error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.", [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"},
    ])
    assert classify(429, body).cooldown == 37.0
    wrapped = [body]   # the streaming endpoint answers with a JSON array
    assert classify(429, wrapped).cooldown == 37.0


def test_retry_info_as_seconds_and_nanos():
    body = gemini_error(429, "RESOURCE_EXHAUSTED", "quota", [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo",
         "retryDelay": {"seconds": "3", "nanos": 500000000}}])
    assert classify(429, body).cooldown == 3.5


def test_rate_limit_without_reset_time_starts_the_backoff():
    decision = classify(429, openai_error("Rate limit reached", "requests", "rate_limit_exceeded"))
    assert (decision.cooldown, decision.exact) == (1.0, False)


@pytest.mark.parametrize("headers, expected", [
    ({"retry-after": "0"}, 1.0),                                   # floor
    ({"retry-after": formatdate(NOW - 60, usegmt=True)}, 1.0),      # a date in the past
    ({"retry-after": "86400"}, 1800.0),                            # cap
    ({"anthropic-ratelimit-tokens-reset": "2099-01-01T00:00:00Z"}, 1800.0),
])
def test_provider_reset_times_are_floored_and_capped(headers, expected):
    assert classify(429, b"", headers).cooldown == expected


def test_cap_follows_the_config():
    config = config_mod.build({"max-cooldown-seconds": 120})
    assert classify(429, b"", {"retry-after": "600"}, config=config).cooldown == 120.0


def test_unparseable_reset_headers_fall_back_to_backoff():
    headers = {"retry-after": "soon", "x-ratelimit-reset-requests": "later",
               "anthropic-ratelimit-requests-reset": "tomorrow"}
    assert classify(429, b"", headers).exact is False


def test_exceptions():
    assert classify_exception(UpstreamTimeout("slow"), CONFIG).kind == TRANSIENT
    decision = classify_exception(UpstreamConnectError("refused"), CONFIG)
    assert (decision.kind, decision.retry, decision.next_round, decision.status) == (
        TRANSIENT, True, True, None)
    status_error = UpstreamStatusError(429, {"retry-after": "5"}, b"{}")
    assert classify_exception(status_error, CONFIG).cooldown == 5.0


@pytest.mark.parametrize("exc", [GreenletExit(), GeneratorExit()])
def test_client_cancellation_is_neither_retried_nor_cooled(exc):
    decision = classify_exception(exc, CONFIG)
    assert (decision.kind, decision.retry, decision.cooldown) == (CANCELLED, False, None)


@pytest.mark.parametrize("text, seconds", [
    ("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("37s", 37.0),
    ("0.5s", 0.5), ("250us", 0.00025),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "s", "1x", "1s garbage", "-1s"])
def test_parse_duration_rejects(text):
    assert parse_duration(text) is None


def test_reset_delay_without_headers():
    assert reset_delay({}, NOW) is None
    assert reset_delay(None, NOW) is None
    assert reset_delay({"retry-after": "nan"}, NOW) is None


@pytest.mark.parametrize("status, body", [
    (400, anthropic_error("invalid_request_error", "Your credit balance is too low to access "
                          "the Anthropic API. Please go to Plans & Billing to upgrade or "
                          "purchase credits.")),
    (400, anthropic_error("invalid_request_error", "This organization has been disabled.")),
    (402, anthropic_error("billing_error", "Payment required.")),
    (429, openai_error("You exceeded your current quota, please check your plan and billing "
                       "details.", "insufficient_quota", "insufficient_quota")),
    (429, openai_error("Your credit balance is exhausted.", "insufficient_quota",
                       "credit_balance_exhausted")),
    (400, openai_error("Billing hard limit has been reached", code="billing_hard_limit_reached")),
    (401, openai_error("You have insufficient permissions for this operation. Missing scopes: "
                       "model.request.", "invalid_request_error")),
    (400, gemini_error(400, "FAILED_PRECONDITION", "Gemini API free tier is not available in "
                       "your country. Please enable billing on your project in Google AI "
                       "Studio.")),
    (403, gemini_error(403, "PERMISSION_DENIED", "Your project has been denied access.")),
    (400, gemini_error(400, "INVALID_ARGUMENT", "API key expired.", [{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_EXPIRED"}])),
])
def test_credential_specific_refusals_cool_the_credential(status, body):
    decision = classify(status, body)
    assert (decision.kind, decision.scope, decision.retry) == (AUTH, "credential", True)
    assert decision.cooldown == 1800.0


def test_request_faults_are_not_mistaken_for_credential_faults():
    body = openai_error("Invalid value for 'temperature': expected a number.")
    assert classify(400, body).kind == REQUEST_FAULT
    body = anthropic_error("invalid_request_error", "messages: at least one message is required")
    assert classify(400, body).kind == REQUEST_FAULT


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_upstream_failures(status):
    decision = classify(status, b"<html>moved</html>", {"location": "https://sso.example"})
    assert (decision.kind, decision.scope, decision.retry) == (TRANSIENT, "credential", True)
