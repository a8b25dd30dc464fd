"""Front-door validation through the real server: a body of the wrong
shape is a 400 in the client's dialect naming the field, and never reaches
an upstream (so it cannot count against a credential)."""
import pytest
import requests

from tests.integration.conftest import CLIENT_KEY, MODELS

HEADERS = {"Authorization": f"Bearer {CLIENT_KEY}", "x-api-key": CLIENT_KEY}


def _post(gateway, dialect, model, body, method="generateContent"):
    if dialect == "gemini":
        url = f"{gateway.url}/v1beta/models/{model}:{method}"
    else:
        url = gateway.url + {"openai": "/v1/chat/completions", "responses": "/v1/responses",
                             "claude": "/v1/messages"}[dialect]
        body = dict(body, model=model)
    return requests.post(url, json=body, headers=HEADERS, timeout=10)


def _message(dialect, resp):
    data = resp.json()
    if dialect == "claude":
        assert data["type"] == "error" and data["error"]["type"] == "invalid_request_error"
    elif dialect == "gemini":
        assert data["error"]["status"] == "INVALID_ARGUMENT" and data["error"]["code"] == 400
    else:
        assert data["error"]["type"] == "invalid_request_error"
    return data["error"]["message"]


CASES = [
    ("openai", {"messages": [{"role": "user", "content": "hi"}], "stream": "true"}, "stream"),
    ("responses", {"input": "hi", "stream": "true"}, "stream"),
    ("claude", {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5,
                "stream": "true"}, "stream"),
    ("openai", {"messages": "x"}, "messages"),
    ("claude", {"messages": "x", "max_tokens": 5}, "messages"),
    ("claude", {"messages": [{"role": "user", "content": "hi"}], "max_tokens": "a"}, "max_tokens"),
    ("gemini", {"contents": [{"parts": [{"text": "hi"}]}],
                "generationConfig": {"maxOutputTokens": "a"}}, "generationConfig.maxOutputTokens"),
]


# Nested fields are checked when translating; a same-dialect upstream reads
# them itself (and its 400 is relayed as the request's fault).
TARGETS = [(*case, target) for case in CASES for target in MODELS
           if "." not in case[2] or target != case[0]]


@pytest.mark.parametrize("dialect,body,field,target", TARGETS)
def test_wrong_type_is_a_400_naming_the_field(gateway, upstream, dialect, body, field, target):
    resp = _post(gateway, dialect, MODELS[target], body)
    assert resp.status_code == 400, resp.text
    assert f"'{field}'" in _message(dialect, resp)
    assert upstream.calls == []


@pytest.mark.parametrize("dialect", ["openai", "responses"])
def test_openai_errors_name_the_param(gateway, upstream, dialect):
    body = {"openai": {"messages": "x"}, "responses": {"input": 5}}[dialect]
    resp = _post(gateway, dialect, "echo", body)
    error = resp.json()["error"]
    assert resp.status_code == 400
    assert error["param"] == next(iter(body)) and error["code"] == "invalid_type"


def test_deep_fields_checked_when_translating(gateway, upstream):
    body = {"max_tokens": 5, "messages": [
        {"role": "user", "content": [{"type": "tool_result", "content": "no id"}]}]}
    resp = _post(gateway, "claude", MODELS["openai"], body)
    assert resp.status_code == 400
    assert "'messages[0].content[0].tool_use_id'" in _message("claude", resp)
    assert upstream.calls == []


def test_echo_answers_what_validation_lets_through(gateway, upstream):
    resp = _post(gateway, "claude", "echo", {"max_tokens": 3, "messages": [
        {"role": "user", "content": [{"type": "text", "text": "one two three four"}]}]})
    assert resp.status_code == 200
    assert resp.json()["stop_reason"] == "max_tokens"
