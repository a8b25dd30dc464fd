"""Auth, error shapes, headers, model lists and stream timing, through a
real gunicorn+gevent gateway."""
import json
import threading

import anthropic
import openai
import pytest
import requests

from tests.integration import clients
from tests.integration.conftest import CLIENT_KEY, KEYS, MODELS, launch
from tests.integration.fake_upstream import Fault

CHAT = {"model": MODELS["openai"], "messages": [{"role": "user", "content": "hi"}]}
BEARER = {"Authorization": f"Bearer {CLIENT_KEY}"}


def test_healthz_needs_no_key(gateway):
    resp = requests.get(f"{gateway.url}/healthz")
    assert resp.status_code == 200 and resp.json()["status"] == "ok"


def test_preflight(gateway):
    resp = requests.options(f"{gateway.url}/v1/chat/completions",
                            headers={"Access-Control-Request-Headers": "authorization"})
    assert resp.status_code == 204
    assert "POST" in resp.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("path,body,shape", [
    ("/v1/chat/completions", CHAT, "openai"),
    ("/v1/responses", {"model": MODELS["responses"], "input": "hi"}, "openai"),
    ("/v1/messages", {"model": MODELS["claude"], "max_tokens": 5, "messages": []}, "claude"),
    (f"/v1beta/models/{MODELS['gemini']}:generateContent", {"contents": []}, "gemini"),
])
def test_missing_key_is_401_in_the_dialect(gateway, path, body, shape):
    resp = requests.post(gateway.url + path, json=body)
    assert resp.status_code == 401
    assert_error_shape(resp.json(), shape, 401)


def assert_error_shape(body, shape, status):
    if shape == "claude":
        assert body["type"] == "error" and body["error"]["type"] == "authentication_error" \
            if status == 401 else body["type"] == "error"
        assert body["error"]["message"]
    elif shape == "gemini":
        assert body["error"]["code"] == status and body["error"]["status"]
        assert body["error"]["message"]
    else:
        assert body["error"]["message"] and body["error"]["type"]


def test_wrong_key_rejected_by_each_sdk(gateway):
    with pytest.raises(openai.AuthenticationError):
        clients.openai_client(gateway, key="sk-wrong").chat.completions.create(**CHAT)
    with pytest.raises(anthropic.AuthenticationError):
        clients.anthropic_client(gateway, key="sk-wrong").messages.create(
            model=MODELS["claude"], max_tokens=5, messages=[{"role": "user", "content": "x"}])


def test_gemini_query_key_accepted(gateway, upstream):
    resp = requests.post(f"{gateway.url}/v1beta/models/{MODELS['gemini']}:generateContent",
                         params={"key": CLIENT_KEY},
                         json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    assert resp.status_code == 200
    assert CLIENT_KEY not in upstream.calls[-1].path  # the client's key is not forwarded


def test_client_key_never_forwarded_and_headers_relayed(gateway, upstream):
    resp = requests.post(f"{gateway.url}/v1/chat/completions", json=CHAT, headers={
        **BEARER, "x-custom-thing": "kept", "cookie": "a=b", "openai-beta": "assistants=v2"})
    assert resp.status_code == 200
    sent = upstream.calls_for(KEYS["openai"])[-1].headers
    assert CLIENT_KEY not in str(sent)
    assert sent["x-custom-thing"] == "kept" and sent["openai-beta"] == "assistants=v2"
    assert "cookie" not in sent
    assert "set-cookie" not in {k.lower() for k in resp.headers}
    assert resp.headers["request-id"] == "req_fake"   # provider request ids survive
    assert resp.headers["X-Request-Id"]


def test_request_id_echoed(gateway, upstream):
    resp = requests.post(f"{gateway.url}/v1/chat/completions", json=CHAT,
                         headers={**BEARER, "X-Request-Id": "abc123"})
    assert resp.headers["X-Request-Id"] == "abc123"


@pytest.mark.parametrize("path,shape", [("/v1/chat/completions", "openai"),
                                        ("/v1/messages", "claude"),
                                        (f"/v1beta/models/{MODELS['gemini']}:generateContent", "gemini")])
def test_malformed_json_is_400_in_the_dialect(gateway, path, shape):
    resp = requests.post(gateway.url + path, data=b"{not json", headers=BEARER)
    assert resp.status_code == 400
    body = resp.json()
    assert (body["error"]["code"] == 400) if shape == "gemini" else body["error"]["message"]


def test_missing_model_wrong_method_unknown_model(gateway):
    resp = requests.post(f"{gateway.url}/v1/chat/completions", json={"messages": []}, headers=BEARER)
    assert resp.status_code == 400 and "model" in resp.json()["error"]["message"]
    resp = requests.get(f"{gateway.url}/v1/chat/completions", headers=BEARER)
    assert resp.status_code == 405 and resp.json()["error"]["message"]
    with pytest.raises(openai.NotFoundError):
        clients.openai_client(gateway).chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "x"}])
    resp = requests.post(f"{gateway.url}/v1/messages", headers={"x-api-key": CLIENT_KEY},
                         json={"model": "no-such", "max_tokens": 1, "messages": []})
    assert resp.status_code == 404 and resp.json()["error"]["type"] == "not_found_error"
    assert KEYS["claude"] not in resp.text


def test_oversize_body_is_413(gateway):
    big = b'{"model": "gpt-fake", "pad": "' + b"x" * (33 * 1024 * 1024) + b'"}'
    resp = requests.post(f"{gateway.url}/v1/chat/completions", data=big, headers=BEARER)
    assert resp.status_code == 413 and resp.json()["error"]["message"]


def test_upstream_request_fault_passes_through_verbatim(gateway, upstream):
    error = {"type": "error", "error": {"type": "invalid_request_error",
                                        "message": "messages: field required"}}
    upstream.script(KEYS["claude"], Fault(status=400, body=error))
    with pytest.raises(anthropic.BadRequestError) as info:
        clients.anthropic_client(gateway).messages.create(
            model=MODELS["claude"], max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert info.value.body == error
    assert len(upstream.calls_for(KEYS["claude"])) == 1   # request faults are not retried


def test_model_lists_in_each_shape(gateway):
    ids = [m.id for m in clients.openai_client(gateway).models.list()]
    assert set(MODELS.values()) <= set(ids)
    claude_ids = [m.id for m in clients.anthropic_client(gateway).models.list()]
    assert set(MODELS.values()) <= set(claude_ids)
    gemini = clients.gemini_client(gateway)
    names = [m.name for m in gemini.models.list()]
    assert f"models/{MODELS['gemini']}" in names
    v1beta = clients.gemini_client(gateway, api_version="v1beta")
    assert f"models/{MODELS['gemini']}" in [m.name for m in v1beta.models.list()]


def test_stream_events_arrive_before_the_upstream_finishes(gateway, upstream):
    gate = threading.Event()
    fault = Fault(gate=gate)
    upstream.script(KEYS["openai"], fault)
    with requests.post(f"{gateway.url}/v1/chat/completions", headers=BEARER, stream=True,
                       json=dict(CHAT, stream=True)) as resp:
        lines = resp.iter_lines()
        first = next(line for line in lines if line)
        assert first.startswith(b"data: {") and not fault.done.is_set()
        gate.set()
        rest = [line for line in lines if line]
    assert rest[-1] == b"data: [DONE]" and fault.done.wait(10)   # (set just after its last write)


def test_mid_stream_drop_ends_with_terminal_error_event(gateway, upstream):
    upstream.script(KEYS["claude"], Fault(drop_after=4))
    with pytest.raises(anthropic.APIStatusError) as info:
        with clients.anthropic_client(gateway).messages.stream(
                model=MODELS["claude"], max_tokens=50,
                messages=[{"role": "user", "content": "hi"}]) as stream:
            for _ in stream:
                pass
    assert "error" in str(info.value).lower()


def test_config_less_start_serves_echo(tmp_path):
    gw = launch_without_config(tmp_path)
    try:
        resp = requests.post(f"{gw.url}/v1/chat/completions",
                             json={"model": "echo", "messages": [{"role": "user", "content": "ping pong"}]})
        assert resp.status_code == 200
        assert resp.json()["choices"][0]["message"]["content"] == "echo: ping pong"
    finally:
        gw.stop()


def launch_without_config(tmp_path):
    return launch({}, str(tmp_path))        # an empty file: every default


def test_refuses_public_bind_without_keys(tmp_path):
    import os
    import subprocess
    import sys
    from tests.integration.conftest import ROOT
    (tmp_path / "empty.yaml").write_text("")
    env = dict(os.environ, SWITCHYARD_CONFIG=str(tmp_path / "empty.yaml"),
               SWITCHYARD_HOST="0.0.0.0", PORT="0")
    proc = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert "api-keys" in proc.stderr and "127.0.0.1" in proc.stderr


def test_idle_client_connections_are_closed_after_keepalive(tmp_path):
    """The worker (proxy/http/worker.py) times out idle keep-alive connections."""
    import socket
    import time
    gw = launch_with_keepalive(tmp_path, seconds=1)
    try:
        host, port = gw.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200")
            started = time.monotonic()
            while sock.recv(65536):          # EOF once the idle timeout closes it
                pass
            assert time.monotonic() - started < 9
    finally:
        gw.stop()


def launch_with_keepalive(tmp_path, seconds):
    return launch_with_args(tmp_path, f"--keep-alive {seconds}")


def launch_with_args(tmp_path, args):
    return launch({}, str(tmp_path), env_extra={"GUNICORN_CMD_ARGS": args})


def _raw_exchange(url, head):
    """Send ``head`` on a fresh connection; the whole answer (the server closes)."""
    import socket
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_gunicorn_header_limits_hold_with_the_pywsgi_worker(tmp_path):
    """--limit-request-fields (gunicorn's setting) -> 431, body in the path's dialect."""
    gw = launch_with_args(tmp_path, "--limit-request-fields 5")
    try:
        extra = "".join(f"X-Extra-{i}: {i}\r\n" for i in range(6))
        answer = _raw_exchange(gw.url, f"POST /v1/messages HTTP/1.1\r\nHost: x\r\n{extra}"
                                       "Content-Length: 2\r\n\r\n{}".encode())
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large")
        error = json.loads(body)
        assert error["type"] == "error" and "more than 5 header fields" in error["error"]["message"]
        assert _raw_exchange(gw.url, b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                     b"Connection: close\r\n\r\n").startswith(b"HTTP/1.1 200")
    finally:
        gw.stop()


def test_request_line_over_gunicorn_default_limit_is_414(gateway):
    """gunicorn's default limit_request_line (4094 bytes) holds."""
    answer = _raw_exchange(gateway.url, b"GET /v1/models?q=" + b"a" * 4100 +
                           b" HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 URI Too Long")
    assert "4094" in json.loads(body)["error"]["message"]


def test_malformed_request_header_is_400(gateway):
    """Whitespace before a header's colon is refused (RFC 9112 section 5.1)."""
    import socket
    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Smuggle : 1\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 400")
