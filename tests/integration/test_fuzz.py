"""Property-based fuzzing of the four front doors through the real server.

Valid, feature-rich requests of each dialect are mutated by hypothesis (a
field replaced by a value of another JSON type, removed, or a known field
added with a random value) and sent to each upstream kind (and the built-in
echo) through gunicorn + gevent and the fake upstream.  Whatever the body,
the gateway must answer below 500, any error in the client's own dialect,
log no traceback, and end with nothing in flight.

Deterministic (``derandomize``) and bounded: ``CASES`` per front door.
"""
import copy
import json
import re
import time

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import CLIENT_KEY, MODELS

CASES = 500          # per front door; four doors -> 2,000 requests
TARGETS = [MODELS["openai"], MODELS["responses"], MODELS["claude"], MODELS["gemini"], "echo"]

_TOOL_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}}

SEEDS = {
    "openai": {
        "model": "m", "max_tokens": 64, "temperature": 0.5, "stop": ["END"],
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Weather?"},
                                         {"type": "image_url",
                                          "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "weather", "arguments": "{\"city\": \"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {"role": "user", "content": "thanks"}],
        "tools": [{"type": "function", "function": {"name": "weather", "description": "w",
                                                    "parameters": _TOOL_SCHEMA}}],
        "tool_choice": "auto", "response_format": {"type": "text"},
        "stream_options": {"include_usage": True}, "reasoning_effort": "low"},
    "responses": {
        "model": "m", "instructions": "Be brief.", "max_output_tokens": 64,
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
            {"type": "function_call", "call_id": "call_1", "name": "weather",
             "arguments": "{\"city\": \"Paris\"}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
            {"role": "user", "content": "thanks"}],
        "tools": [{"type": "function", "name": "weather", "parameters": _TOOL_SCHEMA}],
        "tool_choice": "auto", "reasoning": {"effort": "low", "summary": "auto"},
        "text": {"format": {"type": "text"}}, "temperature": 0.5},
    "claude": {
        "model": "m", "max_tokens": 64, "system": [{"type": "text", "text": "Be brief."}],
        "messages": [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "tool_use", "id": "toolu_1", "name": "weather",
                 "input": {"city": "Paris"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1",
                 "content": [{"type": "text", "text": "sunny"}]},
                {"type": "text", "text": "thanks"}]}],
        "tools": [{"name": "weather", "description": "w", "input_schema": _TOOL_SCHEMA}],
        "tool_choice": {"type": "auto"}, "stop_sequences": ["END"], "temperature": 0.5,
        "metadata": {"user_id": "u1"}},
    "gemini": {
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Weather?"},
                                       {"inlineData": {"mimeType": "image/png",
                                                       "data": "iVBORw0KGgo="}}]},
            {"role": "model", "parts": [{"functionCall": {"name": "weather",
                                                          "args": {"city": "Paris"}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "weather",
                                                             "response": {"r": "sunny"}}},
                                       {"text": "thanks"}]}],
        "tools": [{"functionDeclarations": [{"name": "weather", "description": "w",
                                             "parameters": _TOOL_SCHEMA}]}],
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
        "generationConfig": {"maxOutputTokens": 64, "temperature": 0.5,
                             "stopSequences": ["END"],
                             "thinkingConfig": {"thinkingBudget": 128}}},
}

# Field names a mutation may add (known to some dialect, so readers look at them).
_NAMES = ["model", "messages", "content", "role", "type", "text", "stream", "tools",
          "tool_choice", "max_tokens", "input", "parts", "contents", "system", "name",
          "arguments", "function", "stop", "stop_sequences", "generationConfig",
          "thinking", "reasoning", "metadata", "tool_calls", "source", "functionCall",
          "output", "response_format", "stream_options", "image_url", "inlineData",
          "max_output_tokens", "instructions", "format", "schema", "count"]

_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False, width=32),
                    st.text(max_size=8), st.sampled_from(["", "user", "assistant", "text",
                                                          "function", "tool_use", "auto",
                                                          "true", "model"]))
_VALUES = st.recursive(_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(_NAMES), inner, max_size=3)), max_leaves=6)


def _paths(value, path=()):
    """Every path into a JSON value (dict keys and list indexes)."""
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, path + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, path + (index,))


def _mutate(body, data):
    path = data.draw(st.sampled_from(list(_paths(body))[1:]))
    *parents, last = path
    holder = body
    for step in parents:
        holder = holder[step]
    action = data.draw(st.sampled_from(["replace", "replace", "remove", "add"]))
    if action == "replace":
        holder[last] = data.draw(_VALUES)
    elif action == "remove":
        del holder[last]
    elif isinstance(holder[last], dict):
        holder[last][data.draw(st.sampled_from(_NAMES))] = data.draw(_VALUES)
    else:
        holder[last] = data.draw(_VALUES)


def _request(gateway, dialect, model, body, stream, count):
    headers = {"Authorization": f"Bearer {CLIENT_KEY}", "x-api-key": CLIENT_KEY}
    if dialect == "gemini":
        method = "countTokens" if count else ("streamGenerateContent" if stream
                                              else "generateContent")
        url = f"{gateway.url}/v1beta/models/{model}:{method}" + ("?alt=sse" if stream else "")
    else:
        path = {"openai": "/v1/chat/completions", "responses": "/v1/responses",
                "claude": "/v1/messages"}[dialect]
        if count and dialect != "openai":
            path += "/input_tokens" if dialect == "responses" else "/count_tokens"
        url = gateway.url + path
        if isinstance(body, dict) and "model" in body:
            body["model"] = model if body["model"] == "m" else body["model"]
    return _SESSION.post(url, data=json.dumps(body), headers=headers, timeout=30)


_SESSION = requests.Session()


def _dialect_error(dialect, data):
    """Whether ``data`` is an error body of ``dialect``'s own shape."""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return False
    if dialect == "claude":
        return data.get("type") == "error" and isinstance(error.get("type"), str)
    if dialect == "gemini":
        return isinstance(error.get("code"), int) and isinstance(error.get("status"), str)
    return isinstance(error.get("type"), str)


def _fuzz_front(gateway, dialect, data):
    body = copy.deepcopy(SEEDS[dialect])
    for _ in range(data.draw(st.integers(1, 3))):
        if not isinstance(body, dict) or not body:
            break
        _mutate(body, data)
    model = data.draw(st.sampled_from(TARGETS))
    stream = data.draw(st.booleans())
    count = data.draw(st.integers(0, 5)) == 0
    if stream and isinstance(body, dict) and dialect != "gemini":
        body.setdefault("stream", True)
    resp = _request(gateway, dialect, model, body, stream, count)
    assert resp.status_code < 500, (resp.status_code, resp.text[:500], body)
    if resp.status_code >= 400:
        assert _dialect_error(dialect, resp.json()), (resp.text[:500], body)


_SETTINGS = settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
                     suppress_health_check=list(HealthCheck), print_blob=False)


@pytest.mark.parametrize("dialect", sorted(SEEDS))
def test_malformed_bodies_never_5xx(gateway, upstream, dialect):
    @_SETTINGS
    @given(st.data())
    def run(data):
        _fuzz_front(gateway, dialect, data)

    started = time.monotonic()
    run()
    print(f"{dialect}: {CASES} cases in {time.monotonic() - started:.1f}s")
    assert "Traceback" not in gateway.log()
    assert _in_flight(gateway) == 0


def _in_flight(gateway):
    """The in-flight gauge once streams the test read to the end are closed
    (a stream settles when the server closes its body, just after the last
    byte): poll briefly rather than sleep."""
    deadline = time.monotonic() + 5
    while True:
        text = requests.get(f"{gateway.url}/metrics", timeout=5).text
        value = float(re.search(r"^switchyard_requests_in_flight\S* (\S+)$", text, re.M)[1])
        if value == 0 or time.monotonic() > deadline:
            return value
        time.sleep(0.02)
