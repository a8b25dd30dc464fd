"""Every error the gateway sends, as each official SDK reads it.

The SDKs pick an exception class by status and read the body: the OpenAI
SDK ``error.message/type/param/code`` and ``x-request-id``; the Anthropic SDK
``type: "error"``, ``error.type/message``, ``request_id`` and the
``request-id`` header; google-genai ``error.code/message/status`` (and
Gemini CLI a 429's ``google.rpc.RetryInfo``).  The request id they report
is the gateway's own: the one its access log carries.
"""
import anthropic
import openai
import pytest
import requests
from google.genai import errors as gerrors
from google.genai import types as gtypes

from tests.integration import clients
from tests.integration.conftest import CLIENT_KEY, KEYS, MODELS, launch, standard_config
from tests.integration.fake_upstream import Fault
from tests.integration.test_request_lifecycle import access_line

RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
HI = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def shapes_gateway(fake, tmp_path_factory):
    """The standard upstreams, plus Gemini models of their own for the
    tests that leave a credential rate limited."""
    config = standard_config(fake.url, **{"max-retry-interval": 0})
    config["gemini-api-key"] += [
        {"api-key": key, "base-url": fake.url, "models": [{"name": model}]}
        for key, model in (("up-gemini-quota", "gemini-quota"),
                           ("up-gemini-limited", "gemini-limited"))]
    gw = launch(config, str(tmp_path_factory.mktemp("shapes")))
    yield gw
    gw.stop()


def _assert_logged(gw, request_id):
    assert request_id and access_line(gw, request_id) is not None


# --- whole answers -------------------------------------------------------

def test_anthropic_sdk_gets_our_request_id_in_header_and_body(shapes_gateway, upstream):
    with pytest.raises(anthropic.NotFoundError) as info:
        clients.anthropic_client(shapes_gateway).messages.create(
            model="no-such-model", max_tokens=10, messages=HI)
    exc = info.value
    assert exc.type == "not_found_error" and "no-such-model" in exc.api_message
    assert exc.request_id == exc.response.headers["x-request-id"] == exc.body["request_id"]
    _assert_logged(shapes_gateway, exc.request_id)

    with pytest.raises(anthropic.AuthenticationError) as info:
        clients.anthropic_client(shapes_gateway, key="sk-wrong").messages.create(
            model=MODELS["claude"], max_tokens=10, messages=HI)
    exc = info.value
    assert exc.type == "authentication_error" and exc.api_message == "Invalid API key."
    assert exc.request_id == exc.body["request_id"] == exc.response.headers["x-request-id"]
    assert exc.response.headers["content-type"] == "application/json"
    _assert_logged(shapes_gateway, exc.request_id)


def test_openai_sdk_reads_type_param_code_and_request_id(shapes_gateway, upstream):
    client = clients.openai_client(shapes_gateway)
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="no-such-model", messages=HI)
    exc = info.value
    assert (exc.type, exc.code, exc.param) == ("invalid_request_error", "model_not_found", None)
    assert set(exc.body) == {"message", "type", "param", "code"}
    assert exc.request_id == exc.response.headers["x-request-id"]
    _assert_logged(shapes_gateway, exc.request_id)

    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model=MODELS["responses"], input=5)
    assert (info.value.param, info.value.code) == ("input", "invalid_type")


def test_gemini_sdk_reads_code_and_status(shapes_gateway, upstream):
    gemini = clients.gemini_client(shapes_gateway)    # kept: a dropped client closes
    with pytest.raises(gerrors.ClientError) as info:
        gemini.models.generate_content(model="no-such-model", contents="hi")
    exc = info.value
    assert (exc.code, exc.status) == (404, "NOT_FOUND")
    assert "no-such-model" in exc.message


def test_a_wrong_method_says_which_is_allowed(shapes_gateway, upstream):
    resp = requests.get(f"{shapes_gateway.url}/v1/messages", timeout=10,
                        headers={"x-api-key": CLIENT_KEY, "anthropic-version": "2023-06-01"})
    assert resp.status_code == 405 and "POST" in resp.headers["Allow"]
    assert resp.headers["content-type"] == "application/json"
    assert resp.json()["request_id"] == resp.headers["request-id"]


def test_an_upstream_429_reshaped_keeps_status_retry_time_and_our_id(shapes_gateway, upstream):
    """A Gemini 429 says when to retry in RetryInfo; an Anthropic client
    learns it as Retry-After, and its request id is the gateway's (never
    the upstream's ``request-id``, which names another provider's request)."""
    upstream.script("up-gemini-quota", Fault(status=429, body={"error": {
        "code": 429, "message": "Quota exceeded for metric: generate_content_requests",
        "status": "RESOURCE_EXHAUSTED",
        "details": [{"@type": RETRY_INFO, "retryDelay": "37.5s"}]}}))
    with pytest.raises(anthropic.RateLimitError) as info:
        clients.anthropic_client(shapes_gateway).messages.create(
            model="gemini-quota", max_tokens=10, messages=HI)
    exc = info.value
    assert exc.type == "rate_limit_error" and exc.api_message.startswith("Quota exceeded")
    assert exc.response.headers["retry-after"] == "38"
    assert exc.request_id == exc.body["request_id"] == exc.response.headers["x-request-id"]
    assert exc.request_id != "req_fake"


def test_model_cooldown_says_when_in_every_dialect(shapes_gateway, upstream):
    """The credential rate limited: a Gemini client gets RetryInfo, an
    Anthropic or OpenAI client Retry-After; each as its SDK's 429 class."""
    upstream.script("up-gemini-limited", Fault(status=429, headers={"retry-after": "30"},
                                               body={"error": {"code": 429, "message": "slow",
                                                               "status": "RESOURCE_EXHAUSTED"}}))
    gemini = clients.gemini_client(shapes_gateway)
    with pytest.raises(gerrors.ClientError) as first:
        gemini.models.generate_content(model="gemini-limited", contents="hi")
    assert first.value.code == 429 and first.value.message == "slow"   # the upstream's own

    with pytest.raises(gerrors.ClientError) as info:
        gemini.models.generate_content(model="gemini-limited", contents="hi")
    exc = info.value
    assert (exc.code, exc.status) == (429, "RESOURCE_EXHAUSTED")
    delay = next(d["retryDelay"] for d in exc.details["error"]["details"]
                 if d["@type"] == RETRY_INFO)
    assert 1 <= int(delay.removesuffix("s")) <= 30

    with pytest.raises(anthropic.RateLimitError) as info:
        clients.anthropic_client(shapes_gateway).messages.create(
            model="gemini-limited", max_tokens=10, messages=HI)
    assert 1 <= int(info.value.response.headers["retry-after"]) <= 30
    assert info.value.request_id == info.value.body["request_id"]
    with pytest.raises(openai.RateLimitError) as info:
        clients.openai_client(shapes_gateway).chat.completions.create(
            model="gemini-limited", messages=HI)
    assert info.value.code == "model_cooldown" and info.value.param is None


# --- after the first byte ------------------------------------------------

@pytest.mark.parametrize("upstream_dialect", ["claude", "openai"])
def test_anthropic_stream_error_carries_our_request_id(shapes_gateway, upstream,
                                                      upstream_dialect):
    upstream.script(KEYS[upstream_dialect], Fault(drop_after=2))
    with pytest.raises(anthropic.APIStatusError) as info:
        with clients.anthropic_client(shapes_gateway).messages.stream(
                model=MODELS[upstream_dialect], max_tokens=50, messages=HI) as stream:
            for _ in stream:
                pass
    exc = info.value
    assert exc.body["type"] == "error" and exc.body["error"]["type"] == "api_error"
    assert "incomplete" in exc.body["error"]["message"]
    assert exc.body["request_id"] == exc.response.headers["x-request-id"]
    _assert_logged(shapes_gateway, exc.body["request_id"])


def test_openai_and_gemini_streams_raise_their_sdk_errors(shapes_gateway, upstream):
    upstream.script(KEYS["openai"], Fault(drop_after=2))
    with pytest.raises(openai.APIError, match="incomplete"):
        for _ in clients.openai_client(shapes_gateway).chat.completions.create(
                model=MODELS["openai"], messages=HI, stream=True):
            pass

    upstream.script(KEYS["gemini"], Fault(drop_after=1))
    gemini = clients.gemini_client(shapes_gateway)
    with pytest.raises(gerrors.ServerError) as info:
        for _ in gemini.models.generate_content_stream(
                model=MODELS["gemini"], contents="hi",
                config=gtypes.GenerateContentConfig(max_output_tokens=50)):
            pass
    assert (info.value.code, info.value.status) == (500, "INTERNAL")
    assert "incomplete" in info.value.message


def test_responses_stream_ends_with_an_error_event(shapes_gateway, upstream):
    upstream.script(KEYS["responses"], Fault(drop_after=2))
    events = list(clients.openai_client(shapes_gateway).responses.create(
        model=MODELS["responses"], input="hi", stream=True))
    assert events[-1].type == "error" and "incomplete" in events[-1].message
    assert events[-1].sequence_number == len(events) - 1
