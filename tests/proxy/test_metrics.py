"""Metrics: scraped over HTTP and parsed as Prometheus text."""
import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from proxy import config as config_mod
from proxy.telemetry import metrics as metrics_mod
from proxy import runtime
from proxy.providers.credentials import Credential
from proxy.http.front import FrontRequest
from proxy.telemetry.request_observer import RequestObserver
from proxy.telemetry.usage_store import UsageStore

CLAUDE = Credential(id="claude:111", kind="claude", dialect="claude", base_url="", api_key="k")


class FakePool:
    def snapshot(self):
        return [{"id": "claude:111", "provider": "claude", "key_hint": "…", "state": "cooling"},
                {"id": "gemini:222", "provider": "gemini", "key_hint": "…", "state": "ready"},
                {"id": "codex:333", "provider": "codex", "key_hint": "…", "state": "cooling"}]


@pytest.fixture
def install():
    saved_runtime, saved_metrics = runtime.current(), metrics_mod.current()

    def _install(**raw):
        config = config_mod.build(raw)
        runtime.install(runtime.Runtime(config=config, pool=FakePool()))
        return config
    yield _install
    runtime.install(saved_runtime)
    metrics_mod.install(saved_metrics)


@pytest.fixture
def client():
    app = Flask(__name__)
    app.register_blueprint(metrics_mod.blueprint)
    return app.test_client()


def samples(text):
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def serve(metrics, config, clock, *, model="claude-x", status=200):
    front = FrontRequest(dialect="openai", action="generate", model=model, body={}, raw=b"",
                         stream=True, headers={}, request_id="r", started=clock[0])
    obs = RequestObserver(front, config=config, metrics=metrics, clock=lambda: clock[0])
    clock[0] += 0.4
    obs.attempt(CLAUDE, model, status=429, outcome="rate_limit", latency=0.1)
    obs.attempt(CLAUDE, model, status=200, outcome="success", latency=0.3)
    obs.first_byte()
    clock[0] += 0.6
    obs.usage({"input_tokens": 100, "output_tokens": 20, "cached_tokens": 80,
               "cache_creation_tokens": 0, "reasoning_tokens": 5})
    obs.finish(status, credential=CLAUDE)
    return obs


def test_scrape_reports_requests_latency_attempts_tokens_and_pool(install, client, tmp_path):
    config = install()
    store = UsageStore(str(tmp_path / "u.db"), queue_size=1)
    store.submit_request({"request_id": "a"})
    store.submit_request({"request_id": "b"})           # dropped: queue holds one
    metrics = metrics_mod.Metrics(store_getter=lambda: store)
    metrics_mod.install(metrics)
    serve(metrics, config, [0.0])
    serve(metrics, config, [0.0], status=502)
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    got = samples(resp.get_data(as_text=True))
    req = ("switchyard_requests_total", (("dialect", "openai"), ("model", "claude-x")))
    assert got[(req[0], req[1] + (("status", "200"),))] == 1
    assert got[(req[0], req[1] + (("status", "502"),))] == 1
    assert got[("switchyard_requests_in_flight", ())] == 0
    assert got[("switchyard_request_duration_seconds_count", (("dialect", "openai"),))] == 2
    assert got[("switchyard_request_duration_seconds_bucket",
                (("dialect", "openai"), ("le", "1.0")))] == 2
    assert got[("switchyard_time_to_first_byte_seconds_bucket",
                (("dialect", "openai"), ("le", "0.25")))] == 0
    assert got[("switchyard_time_to_first_byte_seconds_bucket",
                (("dialect", "openai"), ("le", "0.5")))] == 2
    attempt = ("switchyard_upstream_attempts_total", (("credential", "claude:111"),))
    assert got[(attempt[0], attempt[1] + (("outcome", "rate_limit"), ("provider", "claude")))] == 2
    assert got[(attempt[0], attempt[1] + (("outcome", "success"), ("provider", "claude")))] == 2
    tokens = {kind: got[("switchyard_tokens_total", (("credential", "claude:111"),
                                                      ("kind", kind), ("model", "claude-x")))]
              for kind in ("input", "output", "cached", "reasoning")}
    assert tokens == {"input": 200, "output": 40, "cached": 160, "reasoning": 10}
    assert got[("switchyard_credentials", (("state", "cooling"),))] == 2
    assert got[("switchyard_credentials", (("state", "ready"),))] == 1
    assert got[("switchyard_credential_cooling",
                (("credential", "gemini:222"), ("provider", "gemini")))] == 0
    assert got[("switchyard_usage_queue_dropped_total", ())] == 1
    assert got[("switchyard_usage_queue_pending", ())] == 1
    store.close()


def test_metrics_key_required_when_set(install, client):
    install(metrics={"key": "scrape-me"})
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}).status_code == 200


def test_metrics_disabled_is_404(install, client):
    install(metrics={"enabled": False})
    assert client.get("/metrics").status_code == 404


def test_model_labels_are_bounded(install, monkeypatch):
    config = install()
    monkeypatch.setattr(metrics_mod, "MAX_MODEL_LABELS", 2)
    metrics = metrics_mod.Metrics(runtime_getter=lambda: None, store_getter=lambda: None)
    for model in ("a", "b", "c", "d", "a"):
        serve(metrics, config, [0.0], model=model)
    got = samples(metrics.render().decode())
    models = {dict(labels)["model"]: value for (name, labels), value in got.items()
              if name == "switchyard_requests_total"}
    assert models == {"a": 2, "b": 1, "other": 2}


@pytest.mark.parametrize("latency", [0.0, 0.05, 0.0500001, 0.7, 1, 599.9, 600, 1e6])
def test_batched_observations_match_prometheus_observe(latency):
    # requests are added up in the worker and handed over in one batch:
    # the scrape must read what one Histogram.observe per request gives
    metrics = metrics_mod.Metrics(runtime_getter=lambda: None, store_getter=lambda: None)
    reference = metrics_mod.Metrics(runtime_getter=lambda: None, store_getter=lambda: None)
    for _ in range(3):
        metrics.request_started()
        metrics.request_finished("openai", "m", 200, "c", (3, 0, 0, 0, 0), latency=latency,
                                 ttft=latency / 2)
        reference.latency.labels("openai").observe(latency)
        reference.ttft.labels("openai").observe(latency / 2)
    got, want = samples(metrics.render().decode()), samples(reference.render().decode())
    for name in ("switchyard_request_duration_seconds", "switchyard_time_to_first_byte_seconds"):
        mine = {k: v for k, v in got.items() if k[0].startswith(name) and "created" not in k[0]}
        assert mine and mine == {k: v for k, v in want.items()
                                 if k[0].startswith(name) and "created" not in k[0]}
    assert got[("switchyard_requests_total",
                (("dialect", "openai"), ("model", "m"), ("status", "200")))] == 3
    assert got[("switchyard_requests_in_flight", ())] == 0
    assert got[("switchyard_tokens_total",
                (("credential", "c"), ("kind", "input"), ("model", "m")))] == 9


def test_counts_reach_prometheus_without_a_scrape_within_a_second():
    # multiprocess mode: another worker's scrape reads this worker's files
    import gevent
    metrics = metrics_mod.Metrics(runtime_getter=lambda: None, store_getter=lambda: None)
    metrics.attempt("c", "openai", "success")
    value = ("switchyard_upstream_attempts_total",
             {"credential": "c", "provider": "openai", "outcome": "success"})
    assert metrics.registry.get_sample_value(*value) is None
    with gevent.Timeout(metrics_mod.FLUSH_SECONDS * 5):
        while metrics.registry.get_sample_value(*value) != 1:
            gevent.sleep(0.05)


def test_tokens_count_only_what_was_reported():
    # unknown usage (None) and zero amounts make no token samples; requests
    # under the same labels add up whatever their credential
    metrics = metrics_mod.Metrics(runtime_getter=lambda: None, store_getter=lambda: None)
    for credential, tokens in ((None, (None,) * 5), ("c", (0, 7, 0, 0, 0)),
                               ("c", (0, 5, 0, 0, 2))):
        metrics.request_started()
        metrics.request_finished("openai", "m", 200, credential, tokens, latency=0.1, ttft=None)
    metrics.request_rejected("openai", 200)
    got = samples(metrics.render().decode())
    assert got[("switchyard_requests_total",
                (("dialect", "openai"), ("model", "m"), ("status", "200")))] == 3
    assert got[("switchyard_requests_total",
                (("dialect", "openai"), ("model", ""), ("status", "200")))] == 1
    assert {labels: value for (name, labels), value in got.items()
            if name == "switchyard_tokens_total"} == {
        (("credential", "c"), ("kind", "output"), ("model", "m")): 12,
        (("credential", "c"), ("kind", "reasoning"), ("model", "m")): 2}
    assert ("switchyard_time_to_first_byte_seconds_count", (("dialect", "openai"),)) not in got
