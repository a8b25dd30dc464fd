"""Same dialect on both sides: the client gets the upstream's status and
bytes, whatever they are.

Whole answers that are not JSON, or JSON of a shape we do not expect, are
not ours to judge (the upstream was reached and answered); streams arrive
byte for byte, comments before the first event and blank lines after the
last included.  Bodies are captured shapes (tests/fixtures/passthrough/).
"""
import os
import sqlite3
import time

import pytest
import requests

from tests.integration.conftest import CLIENT_KEY, KEYS, MODELS, launch, standard_config
from tests.integration.fake_upstream import Fault

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "passthrough")
SSE = {"content-type": "text/event-stream"}


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def post(gateway, dialect, stream=False):
    """One request in ``dialect`` to that dialect's model, as its SDK sends it."""
    model = MODELS[dialect]
    headers = {"Authorization": f"Bearer {CLIENT_KEY}"}
    if dialect == "gemini":
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        path = f"/v1beta/models/{model}:{method}"
        body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    elif dialect == "openai":
        path = "/v1/chat/completions"
        body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
        if stream:
            body["stream_options"] = {"include_usage": True}
    elif dialect == "responses":
        path, body = "/v1/responses", {"model": model, "input": "hi"}
    else:
        path = "/v1/messages"
        body = {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
    if stream and dialect != "gemini":
        body["stream"] = True
    return requests.post(gateway.url + path, json=body, headers=headers, timeout=20)


WHOLE = [  # (dialect, upstream body, upstream content type)
    ("responses", fixture("responses_truncated_body.json"), "application/json"),
    ("claude", b'{"type":"message","content":"not a list","usage":[1,2]}', "application/json"),
    ("openai", b"<html><body>Welcome to nginx!</body></html>\n", "text/html"),
    ("gemini", b'[{"candidates":[{"content":{"parts":[{"text":"hi"}]}}]}]', "application/json"),
]


@pytest.mark.parametrize("dialect,raw,content_type", WHOLE, ids=[w[0] for w in WHOLE])
def test_odd_whole_answer_reaches_the_client_unchanged(gateway, upstream, dialect, raw,
                                                       content_type):
    upstream.script(KEYS[dialect], Fault(raw=raw, headers={"content-type": content_type,
                                                           "openai-processing-ms": "42"}))
    resp = post(gateway, dialect)
    assert resp.status_code == 200
    assert resp.content == raw
    assert resp.headers["content-type"].startswith(content_type)
    assert resp.headers["openai-processing-ms"] == "42"


def test_odd_whole_answer_keeps_the_upstream_2xx_status(gateway, upstream):
    raw = b'{"id":"resp_1","status":"queued"'
    upstream.script(KEYS["responses"], Fault(status=202, raw=raw,
                                             headers={"content-type": "application/json"}))
    resp = post(gateway, "responses")
    assert (resp.status_code, resp.content) == (202, raw)


STREAMS = [  # (dialect, fixture, how the upstream chunks it)
    ("claude", "claude_stream_trailing_newlines.sse", 64),
    ("openai", "openai_stream_leading_comments.sse", 1000),
    ("gemini", "gemini_stream_crlf.sse", 7),
]


@pytest.mark.parametrize("dialect,name,size", STREAMS, ids=[s[0] for s in STREAMS])
def test_same_dialect_stream_arrives_byte_for_byte(gateway, upstream, dialect, name, size):
    raw = fixture(name)
    upstream.script(KEYS[dialect], Fault(raw=[raw[i:i + size] for i in range(0, len(raw), size)],
                                         headers=SSE))
    resp = post(gateway, dialect, stream=True)
    assert resp.status_code == 200
    assert resp.content == raw


def test_anthropic_stream_keeps_its_three_final_newlines(gateway, upstream):
    raw = fixture("claude_stream_trailing_newlines.sse")
    assert raw.endswith(b'"message_stop"}\n\n\n')
    upstream.script(KEYS["claude"], Fault(raw=[raw], headers=SSE))
    resp = post(gateway, "claude", stream=True)
    assert resp.content.endswith(b'"message_stop"}\n\n\n')


def test_stream_request_answered_with_a_whole_json_body_gets_that_body(gateway, upstream):
    """An OpenAI-compatible server that ignores ``stream: true``."""
    raw = (b'{"id":"chatcmpl-1","object":"chat.completion","created":1755365618,'
           b'"model":"gpt-fake","choices":[{"index":0,"message":{"role":"assistant",'
           b'"content":"whole anyway"},"finish_reason":"stop"}]}')
    upstream.script(KEYS["openai"], Fault(raw=raw, headers={"content-type": "application/json"}))
    resp = post(gateway, "openai", stream=True)
    assert (resp.status_code, resp.content) == (200, raw)
    assert resp.headers["content-type"] == "application/json"


@pytest.fixture(scope="module")
def usage_gateway(fake, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fidelity-usage")
    gw = launch(standard_config(fake.url, usage={"enabled": True,
                                                 "store-path": str(tmp / "usage.db")}), str(tmp))
    gw.db = str(tmp / "usage.db")
    yield gw
    gw.stop()


def _tokens_of(gw, request_id):
    """The usage row's token columns, once the background writer has it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with sqlite3.connect(gw.db) as conn:
            row = conn.execute("SELECT status, input_tokens, output_tokens, cached_tokens "
                               "FROM requests WHERE request_id = ?", (request_id,)).fetchone()
        if row:
            return row
        time.sleep(0.05)
    raise AssertionError(f"no usage row for {request_id}")


@pytest.mark.parametrize("raw,expected", [
    (fixture("responses_truncated_body.json"), (200, None, None, None)),
    (b'{"id":"resp_1","object":"response","usage":{"input_tokens":7,"output_tokens":2}}',
     (200, 7, 2, 0)),
], ids=["unreadable", "readable"])
def test_usage_of_an_unreadable_answer_is_recorded_as_unknown(usage_gateway, upstream, raw,
                                                              expected):
    upstream.script(KEYS["responses"], Fault(raw=raw, headers={"content-type": "application/json"}))
    request_id = f"fidelity-{expected[1]}"
    resp = requests.post(f"{usage_gateway.url}/v1/responses",
                         json={"model": MODELS["responses"], "input": "hi"},
                         headers={"Authorization": f"Bearer {CLIENT_KEY}",
                                  "X-Request-Id": request_id}, timeout=20)
    assert resp.content == raw
    assert _tokens_of(usage_gateway, request_id) == expected
