"""A stream the upstream cuts short is never presented as complete: the
client gets its dialect's error event, not an ending we made up, and the
access log says the stream was truncated."""
import json
import uuid

import pytest
import requests

from proxy.wire import sse

from tests.integration.conftest import CLIENT_KEY, KEYS, MODELS
from tests.integration.fake_upstream import Fault
from tests.integration.test_request_lifecycle import access_line

PATHS = {"openai": "/v1/chat/completions", "responses": "/v1/responses",
         "claude": "/v1/messages"}


def _request(client, model):
    if client == "gemini":
        return (f"/v1beta/models/{model}:streamGenerateContent?alt=sse",
                {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    if client == "responses":
        return PATHS[client], {"model": model, "input": "hi", "stream": True}
    body = {"model": model, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    if client == "claude":
        body["max_tokens"] = 50
    return PATHS[client], body


def _events(text):
    """``[(event name, data)]`` of an SSE body."""
    splitter = sse.EventSplitter()
    raws = splitter.feed(text.encode()) + splitter.flush()
    return [(name, data) for name, data in map(sse.parse, raws) if data is not None]


def _assert_told_incomplete(client, events):
    names = [name for name, _ in events]
    datas = [data for _, data in events]
    last_name, last = events[-1]
    if client == "openai":
        assert "[DONE]" not in datas
        assert not any(c.get("finish_reason") for d in datas if d.startswith("{")
                       for c in json.loads(d).get("choices") or [])
        assert "error" in json.loads(last)
    elif client == "claude":
        assert "message_stop" not in names and "message_delta" not in names
        error = json.loads(last)
        assert last_name == "error" and error["type"] == "error"
        assert error["error"]["type"] in ("api_error", "overloaded_error")
    elif client == "responses":
        assert "response.completed" not in names and "response.incomplete" not in names
        assert last_name in ("error", "response.failed")
    else:
        assert not any('"finishReason"' in d for d in datas)
        assert "error" in json.loads(last)


@pytest.mark.parametrize("fault", ["drop", "clean_end"])
@pytest.mark.parametrize("client,up", [
    ("openai", "openai"), ("claude", "claude"), ("responses", "responses"),
    ("gemini", "gemini"), ("claude", "openai"), ("openai", "claude"),
    ("responses", "gemini"), ("gemini", "responses")])
def test_a_cut_stream_ends_with_the_dialect_error_event(gateway, upstream, client, up, fault):
    upstream.script(KEYS[up], Fault(drop_after=2) if fault == "drop" else Fault(end_after=2))
    path, body = _request(client, MODELS[up])
    rid = f"cut-{uuid.uuid4().hex[:10]}"
    resp = requests.post(gateway.url + path, json=body, timeout=20,
                         headers={"Authorization": f"Bearer {CLIENT_KEY}",
                                  "x-goog-api-key": CLIENT_KEY, "X-Request-Id": rid})
    assert resp.status_code == 200
    events = _events(resp.text)
    _assert_told_incomplete(client, events)
    line = access_line(gateway, rid)
    assert line and "error_class=stream_truncated" in line
    assert "127.0.0.1" not in events[-1][1] and "urllib3" not in events[-1][1]
