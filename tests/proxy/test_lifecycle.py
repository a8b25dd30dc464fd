"""proxy.http.lifecycle: every request finished exactly once, whatever happens."""
import logging

import pytest

from proxy import config as config_mod
from proxy.http import lifecycle, server
from proxy.telemetry import metrics as metrics_mod, usage_store
from proxy.relay import attempts
from proxy import runtime
from proxy.access import auth
from proxy.telemetry.metrics import Metrics


class Observer:
    def __init__(self):
        self.closed = 0

    def close(self):
        self.closed += 1


class Body:
    """A response iterable whose close fails (as a stream cleanup bug would)."""

    def __iter__(self):
        return iter([b"x"])

    def close(self):
        raise RuntimeError("reentrant call")


def test_the_observer_is_closed_once_even_when_the_body_close_fails():
    observer = Observer()

    def app(environ, start_response):
        environ[lifecycle.OBSERVER] = observer
        start_response("200 OK", [])
        return Body()

    result = lifecycle.FinishOnce(app)({}, lambda *a: None)
    assert list(result) == [b"x"]
    with pytest.raises(RuntimeError):
        result.close()
    assert observer.closed == 1


def test_a_killed_request_is_finished_before_the_kill_goes_on():
    observer = Observer()

    def app(environ, start_response):
        environ[lifecycle.OBSERVER] = observer
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        lifecycle.FinishOnce(app)({}, lambda *a: None)
    assert observer.closed == 1


@pytest.fixture
def app():
    saved = runtime.current(), usage_store.current(), metrics_mod.current()
    metrics_mod.install(Metrics())
    yield server.create_app(config_mod.build({"usage": {"enabled": False},
                                              "watch-config": False}))
    runtime.install(saved[0])
    usage_store.install(saved[1])
    metrics_mod.install(saved[2])


def _in_flight():
    metrics_mod.current().flush()        # changes are summed, then handed over
    return metrics_mod.current().in_flight._value.get()


def test_our_own_bug_is_a_500_in_the_client_dialect_and_accounted(app, monkeypatch, caplog):
    def broken(*args):
        raise KeyError("a bug")

    monkeypatch.setattr(attempts, "serve", broken)
    caplog.set_level(logging.INFO, "switchyard.access")
    resp = app.test_client().post("/v1/messages", json={
        "model": "echo", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
    assert resp.status_code == 500
    assert resp.json["type"] == "error" and resp.json["error"]["type"] == "api_error"
    assert "request" in resp.json["error"]["message"]
    resp.close()                      # the server closes the response once sent
    assert _in_flight() == 0
    assert "status=500" in caplog.text and "error_class=internal" in caplog.text


def test_whole_answers_and_streams_return_the_gauge_to_zero(app):
    client = app.test_client()
    chat = {"model": "echo", "messages": [{"role": "user", "content": "hi"}]}
    resp = client.post("/v1/chat/completions", json=chat)
    assert resp.status_code == 200
    resp.close()
    resp = client.post("/v1/chat/completions", json=dict(chat, stream=True))
    assert b"[DONE]" in resp.data
    resp.close()
    assert _in_flight() == 0


def test_a_reload_between_auth_and_serve_does_not_mix_configs(monkeypatch):
    """The request keeps the runtime it was authenticated with: a reload that
    lands after auth (dropping its key and the echo model) serves the next
    request, not this one."""
    saved = runtime.current(), usage_store.current(), metrics_mod.current()
    metrics_mod.install(Metrics())
    before = config_mod.build({"api-keys": ["sk-before"], "usage": {"enabled": False},
                               "watch-config": False})
    after = config_mod.build({"api-keys": ["sk-after"], "echo": False,
                              "usage": {"enabled": False}, "watch-config": False})
    app = server.create_app(before)
    real_authenticate = auth.authenticate

    def authenticate_then_reload(keys, headers, args):
        key = real_authenticate(keys, headers, args)
        runtime.apply_config(after)           # a reload lands right after auth
        return key

    monkeypatch.setattr(auth, "authenticate", authenticate_then_reload)
    try:
        chat = {"model": "echo", "messages": [{"role": "user", "content": "hi"}]}
        resp = app.test_client().post("/v1/chat/completions", json=chat,
                                      headers={"Authorization": "Bearer sk-before"})
        assert resp.status_code == 200, resp.json
        assert resp.json["choices"][0]["message"]["content"]
        resp.close()
        assert runtime.current().config is after
        monkeypatch.setattr(auth, "authenticate", real_authenticate)
        again = app.test_client().post("/v1/chat/completions", json=chat,
                                       headers={"Authorization": "Bearer sk-before"})
        assert again.status_code == 401           # the next request sees the reload
        again.close()
    finally:
        runtime.install(saved[0])
        usage_store.install(saved[1])
        metrics_mod.install(saved[2])


def test_a_finished_request_lets_go_of_its_observer_and_what_it_holds():
    # the request (its parsed body) is freed once the answer is out, not
    # when the connection's next request replaces the environ
    import gc
    import weakref

    class Held:
        pass
    observer, held = Observer(), Held()
    observer.held = held
    gone = weakref.ref(held)
    environ = {}

    def app(environ, start_response):
        environ[lifecycle.OBSERVER] = observer
        start_response("200 OK", [])
        return [b"x"]

    result = lifecycle.FinishOnce(app)(environ, lambda *a: None)
    assert list(result) == [b"x"]
    del observer, held
    gc.disable()                    # freed by its reference count, no collection
    try:
        assert gone() is not None
        result.close()
        assert lifecycle.OBSERVER not in environ and gone() is None
    finally:
        gc.enable()
