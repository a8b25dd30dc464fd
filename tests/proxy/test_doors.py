"""proxy.http.doors: the front doors' POSTs answered ahead of Flask, as Flask answered them.

The real app (``server.create_app``) over a scripted upstream (no sockets):
each front door whole and streamed, key failures, bad bodies, unknown
routes and methods (still Flask's), the response head werkzeug wrote, and
every request finished exactly once (access-log line, in-flight gauge).
"""
import io
import logging

import orjson
import pytest

from proxy import config as config_mod, runtime
from proxy.http import doors, server
from proxy.providers.upstream import UpstreamClient
from proxy.telemetry import metrics as metrics_mod, usage_store
from proxy.telemetry.metrics import Metrics
from tests.fakes.transport import MockTransport, Response

KEY = "sk-doors"
ANSWER = orjson.dumps({
    "id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-d",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})
CHUNKS = [b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-d",'
          b'"choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},'
          b'"finish_reason":null}]}\n\n',
          b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-d",'
          b'"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],'
          b'"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n',
          b"data: [DONE]\n\n"]
OPENAI = {"Authorization": f"Bearer {KEY}"}
CLAUDE = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
GEMINI = {"x-goog-api-key": KEY}
CHAT = {"model": "gpt-d", "messages": [{"role": "user", "content": "hi"}]}
MESSAGES = {"model": "gpt-d", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
CONTENTS = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
GEMINI_PATH = "/v1beta/models/gpt-d:"


def _upstream(request):
    """The scripted OpenAI upstream: model gpt-429 is rate limited, a
    stream asked for streams, anything else answers whole."""
    body = orjson.loads(request.body)
    if body["model"] == "gpt-429":
        return Response(429, {"retry-after": "7", "x-request-id": "up-429"},
                        b'{"error":{"message":"slow down","type":"rate_limit_error"}}')
    if body.get("stream"):
        return Response(200, {"content-type": "text/event-stream"}, stream=CHUNKS)
    return Response(200, {"x-request-id": "up-1", "openai-processing-ms": "5"}, ANSWER)


@pytest.fixture
def app(caplog):
    saved = runtime.current(), usage_store.current(), metrics_mod.current()
    metrics_mod.install(Metrics())
    app = server.create_app(config_mod.build({
        "api-keys": [KEY], "usage": {"enabled": False}, "watch-config": False,
        "nonstream-keepalive-interval": 0, "request-body-limit-mb": 1,
        "openai-compatibility": [{"name": "up", "base-url": "http://127.0.0.1:9/v1",
                                  "api-key-entries": [{"api-key": "sk-up"}],
                                  "models": [{"name": "gpt-d"}, {"name": "gpt-429"}]}]}))
    app.extensions["switchyard.upstream"] = UpstreamClient(MockTransport(_upstream))
    caplog.set_level(logging.INFO, "switchyard.access")
    yield app
    runtime.install(saved[0])
    usage_store.install(saved[1])
    metrics_mod.install(saved[2])


def _access_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "switchyard.access"]


def _post(app, path, body, headers, **kwargs):
    """POST through the whole app; the response closed as the server closes
    it once sent, and the one access-log line it left."""
    resp = app.test_client().post(path, data=orjson.dumps(body) if isinstance(body, dict)
                                  else body, headers=headers, **kwargs)
    resp.get_data()
    resp.close()
    return resp


def _finished_once(caplog, status):
    lines = _access_lines(caplog)
    assert len(lines) == 1, lines
    assert f"status={status} " in lines[0]
    metrics_mod.current().flush()
    assert metrics_mod.current().in_flight._value.get() == 0
    caplog.clear()
    return lines[0]


def test_the_model_is_guessed_from_the_bytes_only_where_it_picks_the_parser(app, caplog,
                                                                          monkeypatch):
    # a small body is parsed whole whatever it names; a large one at its top
    # level only, unless the model it names is translated (then whole at once)
    from proxy.wire import json_top
    guessed = []
    guess = json_top.guess_string
    monkeypatch.setattr(json_top, "guess_string", lambda raw, key: guessed.append(len(raw))
                        or guess(raw, key))
    assert _post(app, "/v1/chat/completions", CHAT, OPENAI).status == "200 OK"
    assert guessed == []
    large = dict(CHAT, messages=[{"role": "user", "content": "x" * (20 * 1024)}])
    assert _post(app, "/v1/chat/completions", large, OPENAI).status == "200 OK"
    assert len(guessed) == 1 and guessed[0] > 20 * 1024


@pytest.mark.parametrize("path, body, headers, shape", [
    ("/v1/chat/completions", CHAT, OPENAI, "choices"),
    ("/v1/responses", {"model": "gpt-d", "input": "hi"}, OPENAI, "output"),
    ("/v1/messages", MESSAGES, CLAUDE, "content"),
    (GEMINI_PATH + "generateContent", CONTENTS, GEMINI, "candidates"),
    ("/v1/models/gpt-d:generateContent", CONTENTS, GEMINI, "candidates"),
])
def test_each_front_door_answers_whole_with_werkzeugs_head(app, caplog, path, body, headers,
                                                          shape):
    resp = _post(app, path, body, dict(headers, **{"X-Request-Id": "rid-7"}))
    assert resp.status == "200 OK"
    assert shape in resp.json
    # the upstream's x-request-id gives way to ours, in its place; Anthropic
    # clients also read theirs from request-id
    claude = ["request-id"] if path == "/v1/messages" else []
    assert [name for name, _ in resp.headers.to_wsgi_list()] == [
        "X-Request-Id", "openai-processing-ms", "Content-Type", "Content-Length", *claude,
        "Access-Control-Allow-Origin"]
    assert resp.headers.get_all("X-Request-Id") == ["rid-7"]
    assert resp.headers.get_all("request-id") == (["rid-7"] if claude else [])
    assert resp.headers["Content-Length"] == str(len(resp.data))
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "request_id=rid-7" in _finished_once(caplog, 200)


def test_a_same_dialect_answer_keeps_the_upstreams_head_in_werkzeugs_order(app, caplog):
    resp = _post(app, "/v1/chat/completions", CHAT, dict(OPENAI, **{"X-Request-Id": "rid-1"}))
    assert resp.headers.to_wsgi_list() == [
        ("X-Request-Id", "rid-1"), ("openai-processing-ms", "5"),
        ("Content-Type", "application/json"), ("Content-Length", str(len(ANSWER))),
        ("Access-Control-Allow-Origin", "*")]
    assert resp.data == ANSWER                      # same dialect: the upstream's bytes
    _finished_once(caplog, 200)


@pytest.mark.parametrize("path, body, headers, first", [
    ("/v1/chat/completions", dict(CHAT, stream=True), OPENAI, b"data: {"),
    ("/v1/messages", dict(MESSAGES, stream=True), CLAUDE, b"event: message_start"),
    (GEMINI_PATH + "streamGenerateContent?alt=sse", CONTENTS, GEMINI, b"data: {"),
    (GEMINI_PATH + "streamGenerateContent", CONTENTS, GEMINI, b"[{"),
])
def test_streams_pass_through_and_settle_when_closed(app, caplog, path, body, headers, first):
    resp = app.test_client().post(path, data=orjson.dumps(body), headers=headers)
    assert resp.status_code == 200
    assert "Content-Length" not in resp.headers
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.get_data().startswith(first)
    assert _access_lines(caplog) == []              # settled by the stream's close
    resp.close()
    assert "stream=true" in _finished_once(caplog, 200)


def test_an_upstream_error_keeps_its_status_and_headers(app, caplog):
    resp = _post(app, "/v1/chat/completions", dict(CHAT, model="gpt-429"), OPENAI)
    assert resp.status == "429 TOO MANY REQUESTS"
    assert resp.headers["retry-after"] == "7"
    assert resp.headers.get_all("X-Request-Id") != ["up-429"]
    assert "error_class=http_429" in _finished_once(caplog, 429)


@pytest.mark.parametrize("path, headers, check", [
    ("/v1/chat/completions", {}, lambda j: j["error"]["code"] == "missing_api_key"),
    ("/v1/messages", {"x-api-key": "sk-wrong"},
     lambda j: j["type"] == "error" and j["error"]["type"] == "authentication_error"),
    (GEMINI_PATH + "generateContent", {"x-goog-api-key": "wrong"},
     lambda j: j["error"]["status"] == "UNAUTHENTICATED"),
])
def test_a_bad_key_is_refused_in_the_doors_dialect(app, caplog, path, headers, check):
    resp = _post(app, path, CHAT, dict(headers, **{"X-Request-Id": "rid-401"}))
    assert resp.status == "401 UNAUTHORIZED"
    assert check(resp.json), resp.json
    assert resp.headers["X-Request-Id"] == "rid-401"
    if path == "/v1/messages":
        assert resp.headers["request-id"] == resp.json["request_id"] == "rid-401"
    assert resp.headers["Content-Type"] == "application/json"
    assert "error_class=Unauthorized" in _finished_once(caplog, 401)


def test_a_key_in_the_query_is_accepted(app, caplog):
    resp = _post(app, GEMINI_PATH + f"generateContent?key={KEY}", CONTENTS, {})
    assert resp.status_code == 200
    _finished_once(caplog, 200)


@pytest.mark.parametrize("path, headers, body, dialect_check", [
    ("/v1/chat/completions", OPENAI, b"{not json", lambda j: "message" in j["error"]),
    ("/v1/responses", OPENAI, b"[1]", lambda j: "JSON object" in j["error"]["message"]),
    ("/v1/messages", CLAUDE, b"", lambda j: j["type"] == "error"),
    (GEMINI_PATH + "generateContent", GEMINI, b"nope",
     lambda j: j["error"]["status"] == "INVALID_ARGUMENT"),
    ("/v1/chat/completions", OPENAI, b"{}", lambda j: j["error"]["code"] == "missing_model"),
])
def test_a_bad_body_is_a_400_in_the_doors_dialect(app, caplog, path, headers, body,
                                                   dialect_check):
    resp = _post(app, path, body, headers, content_type="application/json")
    assert resp.status == "400 BAD REQUEST"
    assert dialect_check(resp.json), resp.json
    _finished_once(caplog, 400)


def test_a_body_over_the_limit_is_413_and_closes_the_connection(app, caplog):
    big = b'{"model":"gpt-d","pad":"' + b"x" * (1024 * 1024) + b'"}'
    resp = _post(app, "/v1/chat/completions", big, OPENAI)
    assert resp.status_code == 413
    assert resp.headers["Connection"] == "close"
    _finished_once(caplog, 413)


def _chunked_environ(body):
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/v1/chat/completions", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_AUTHORIZATION": f"Bearer {KEY}", "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True,
            "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO()}


@pytest.mark.parametrize("pad, status", [(0, "200 OK"), (1024 * 1024, "413 REQUEST ENTITY TOO LARGE")])
def test_a_chunked_body_is_read_to_its_end_within_the_limit(app, caplog, pad, status):
    body = orjson.dumps(dict(CHAT, pad="x" * pad))
    started = []
    result = app(_chunked_environ(body), lambda s, h, exc_info=None: started.append((s, h)))
    b"".join(result)
    result.close()
    assert started[0][0] == status
    _finished_once(caplog, int(status[:3]))


def test_an_unknown_gemini_method_is_404_after_the_key_check(app, caplog):
    resp = _post(app, GEMINI_PATH + "nope", CONTENTS, {})
    assert resp.status_code == 401
    caplog.clear()
    for path in (GEMINI_PATH + "nope", "/v1beta/models/gpt-d"):
        resp = _post(app, path, CONTENTS, GEMINI)
        assert resp.status_code == 404
        assert resp.json["error"]["status"] == "NOT_FOUND"
        assert "Unknown Gemini method" in resp.json["error"]["message"]
        _finished_once(caplog, 404)


@pytest.mark.parametrize("path", ["/v1/chat/completion", "/v1/chat/completions/",
                                  "/v1/messages/", "/v2/messages"])
def test_other_paths_are_still_flasks_404(app, caplog, path):
    resp = _post(app, path, CHAT, OPENAI)
    assert resp.status_code == 404
    assert resp.json["error"]["message"].startswith("Unknown endpoint: POST")
    _finished_once(caplog, 404)


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/responses", "/v1/messages"])
def test_other_methods_are_still_flasks_405_after_the_key_check(app, caplog, path):
    assert app.test_client().get(path).status_code == 401
    resp = app.test_client().get(path, headers=dict(OPENAI, **CLAUDE))
    assert resp.status_code == 405
    assert resp.json["error"]["message"] == f"Method GET is not allowed on {path}."


def test_a_cors_preflight_is_still_answered_by_flask(app):
    resp = app.test_client().options("/v1/chat/completions",
                                     headers={"Access-Control-Request-Headers": "x-a"})
    assert resp.status_code == 204
    assert resp.headers["Access-Control-Allow-Headers"] == "x-a"


def test_a_bug_is_a_500_in_the_doors_dialect(app, caplog, monkeypatch):
    monkeypatch.setattr(doors, "generate", lambda *a, **k: {}["bug"])
    resp = _post(app, "/v1/messages", MESSAGES, dict(CLAUDE, **{"X-Request-Id": "rid-500"}))
    assert resp.status == "500 INTERNAL SERVER ERROR"
    assert resp.json["error"]["type"] == "api_error"
    assert "rid-500" in resp.json["error"]["message"]
    assert "error_class=internal" in _finished_once(caplog, 500)


@pytest.mark.parametrize("path, found", [
    ("/v1/chat/completions", ("openai", "generate", None, None)),
    ("//v1/chat/completions", ("openai", "generate", None, None)),    # werkzeug's reading
    ("/v1/responses/input_tokens", ("responses", "count_tokens", None, None)),
    ("/v1/messages/count_tokens", ("claude", "count_tokens", None, None)),
    ("/v1beta/models/models/g-1:streamGenerateContent", ("gemini", "generate", "g-1", True)),
    ("/v1/models/g:1:countTokens", ("gemini", "count_tokens", "g:1", False)),
    ("/v1beta/models/a//b:generateContent", ("gemini", "generate", "a//b", False)),
    ("/v1beta/models/mod\xc3\xa8le:generateContent", ("gemini", "generate", "modèle", False)),
    ("/v1beta/models/g:nope", ("gemini", None, "nope", None)),
    ("/v1beta/models/g", None),                      # Flask's 404
    ("/v1beta/models//g:generateContent", None),     # werkzeug redirects to the merged path
    ("/v1//chat/completions", None),
    ("/v1/chat/completions/", None),
    ("/v1/models", None),
])
def test_which_paths_are_front_doors(path, found):
    assert doors.door(path) == found


def test_a_204_or_a_location_is_written_by_werkzeug(app):
    """The rare heads werkzeug rewrites go through its own Response."""
    environ = _chunked_environ(b"")
    started = []
    body = doors._answer(environ, lambda s, h: started.append((s, h)), "rid", "claude", 204,
                         [("location", "/x\u00e9")], b"", "application/json")
    status, headers = started[0]
    assert status == "204 NO CONTENT" and b"".join(body) == b""
    assert ("Location", "/x%C3%A9") in headers                   # an IRI made a URI
    assert "Content-Length" not in dict(headers)
    assert ("X-Request-Id", "rid") in headers and ("request-id", "rid") in headers
