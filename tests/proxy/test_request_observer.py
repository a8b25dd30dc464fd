"""RequestObserver: usage records, access log lines, masking, robustness."""
import json
import logging
import sqlite3

import pytest

from proxy.telemetry import access_log, request_observer, usage_store
from proxy import runtime
from proxy import config as config_mod
from proxy.providers.credentials import Credential
from proxy.http.front import FrontRequest
from proxy.telemetry.metrics import Metrics
from proxy.telemetry.usage_store import UsageStore

CLAUDE = Credential(id="claude:111", kind="claude", dialect="claude",
                    base_url="https://api.anthropic.com", api_key="sk-ant-secret-0123456789")
GEMINI = Credential(id="gemini:222", kind="gemini", dialect="gemini",
                    base_url="https://generativelanguage.googleapis.com",
                    api_key="AIza-secret-xyz9")
USAGE = {"input_tokens": 1200, "output_tokens": 340, "cached_tokens": 1000,
         "cache_creation_tokens": 150, "reasoning_tokens": 90}


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def make_front(clock, **over):
    fields = dict(dialect="openai", action="generate", model="claude-x",
                  body={"model": "claude-x", "messages": [{"role": "user", "content": "hi"}]},
                  raw=b"", stream=True,
                  headers={"authorization": "Bearer sk-client-key-123456", "user-agent": "t"},
                  request_id="req-1", client_key_id="key-abc", client_label="team",
                  actor="ci-bot", started=clock())
    fields.update(over)
    return FrontRequest(**fields)


def make_config(**raw):
    return config_mod.build(raw)


@pytest.fixture
def store(tmp_path):
    s = UsageStore(str(tmp_path / "usage.db"))
    yield s
    s.close()


@pytest.fixture
def clock():
    return Clock()


def observer_for(front, clock, config=None, store=None, metrics=None):
    return request_observer.RequestObserver(front, config=config or make_config(), store=store,
                                   metrics=metrics, clock=clock, wall=lambda: 1_700_000_000.0)


def query(path, sql):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def serve_one(obs, clock):
    """A request that fails over once and then streams an answer."""
    clock.now += 0.2
    obs.attempt(GEMINI, "gemini-x", status=429, outcome="rate_limit", latency=0.2)
    clock.now += 0.3
    obs.attempt(CLAUDE, "claude-x-2", status=200, outcome="success", latency=0.3)
    obs.first_byte()
    clock.now += 1.0
    obs.first_byte()                      # only the first one is TTFT
    obs.usage(USAGE)
    obs.tool_call("get_weather", "call_1")
    obs.finish(200, credential=CLAUDE, upstream_model="claude-x-2")


def test_request_and_attempt_records(store, clock):
    serve_one(observer_for(make_front(clock), clock, store=store), clock)
    store.flush()
    [req] = query(store.path, "SELECT * FROM requests")
    assert req["ts"] == 1_700_000_000.0
    assert {k: req[k] for k in USAGE} == USAGE
    assert (req["attempts"], req["status"], req["error_class"]) == (2, 200, None)
    assert (req["credential_id"], req["provider"], req["upstream_model"]) == \
        ("claude:111", "claude", "claude-x-2")
    assert (req["latency_ms"], req["ttft_ms"]) == (1500.0, 500.0)
    assert (req["client_key_id"], req["actor"], req["dialect"], req["stream"]) == \
        ("key-abc", "ci-bot", "openai", 1)
    assert json.loads(req["tool_calls"]) == [{"name": "get_weather", "id": "call_1"}]
    assert req["prompt"] is None
    attempts = query(store.path, "SELECT * FROM attempts ORDER BY seq")
    assert [(a["seq"], a["credential_id"], a["outcome"], a["status"]) for a in attempts] == \
        [(1, "gemini:222", "rate_limit", 429), (2, "claude:111", "success", 200)]


def test_rows_come_in_column_order(clock):
    # (the store takes them as they stand; the metrics, the live feed and the
    # access log read the same row)
    class Keep:
        def __init__(self):
            self.rows = {"requests": [], "attempts": []}

        def submit_request_row(self, row):
            self.rows["requests"].append(row)

        def submit_attempt_row(self, row):
            self.rows["attempts"].append(row)
    kept = Keep()
    serve_one(observer_for(make_front(clock), clock, store=kept), clock)
    [request] = kept.rows["requests"]
    assert dict(zip(usage_store.REQUEST_FIELDS, request)) == {
        "request_id": "req-1", "ts": 1_700_000_000.0, "client_key_id": "key-abc",
        "actor": "ci-bot", "dialect": "openai", "action": "generate", "provider": "claude",
        "credential_id": "claude:111", "model": "claude-x", "upstream_model": "claude-x-2",
        "stream": True, "status": 200, "error_class": None, "latency_ms": 1500.0,
        "ttft_ms": 500.0, "attempts": 2, **USAGE,
        "tool_calls": '[{"name": "get_weather", "id": "call_1"}]', "prompt": None}
    assert [dict(zip(usage_store.ATTEMPT_FIELDS, row)) for row in kept.rows["attempts"]] == [
        {"request_id": "req-1", "ts": 1_700_000_000.2, "seq": 1, "provider": "gemini",
         "credential_id": "gemini:222", "upstream_model": "gemini-x", "status": 429,
         "outcome": "rate_limit", "error": None, "latency_ms": 200.0},
        {"request_id": "req-1", "ts": 1_700_000_000.5, "seq": 2, "provider": "claude",
         "credential_id": "claude:111", "upstream_model": "claude-x-2", "status": 200,
         "outcome": "success", "error": None, "latency_ms": 300.0}]


def test_failed_request_falls_back_to_the_last_attempt(store, clock):
    obs = observer_for(make_front(clock), clock, store=store)
    obs.attempt(GEMINI, "gemini-x", status=None, outcome="transient", latency=0.1,
                error=TimeoutError("slow"))
    obs.attempt(CLAUDE, "claude-x-2", status=503, outcome="transient", latency=0.1,
                error="upstream answered 503 " + "x" * 600)
    obs.finish(503, error_class=TimeoutError)
    store.flush()
    [req] = query(store.path, "SELECT * FROM requests")
    assert (req["status"], req["error_class"], req["credential_id"], req["upstream_model"]) == \
        (503, "TimeoutError", "claude:111", "claude-x-2")
    errors = [a["error"] for a in query(store.path, "SELECT * FROM attempts ORDER BY seq")]
    assert errors[0] == "TimeoutError"
    assert errors[1].startswith("upstream answered 503")
    assert len(errors[1]) == request_observer.ERROR_LIMIT


def test_settled_outcome_is_accounted_on_close(store, clock):
    obs = observer_for(make_front(clock), clock, store=store)
    obs.attempt(CLAUDE, "claude-x-2", status=200, outcome="success", latency=0.1)
    obs.settle(200)
    obs.settle(499, error_class="client_disconnect")      # the first outcome counts
    store.flush()
    assert query(store.path, "SELECT * FROM requests") == []  # nothing until the bytes are out
    assert query(store.path, "SELECT * FROM attempts") == []
    obs.close()
    store.flush()
    [req] = query(store.path, "SELECT * FROM requests")
    assert (req["status"], req["error_class"]) == (200, None)
    assert len(query(store.path, "SELECT * FROM attempts")) == 1


def test_close_without_an_outcome_is_a_client_disconnect(store, clock):
    obs = observer_for(make_front(clock), clock, store=store)
    obs.close()
    store.flush()
    [req] = query(store.path, "SELECT * FROM requests")
    assert (req["status"], req["error_class"]) == (499, "client_disconnect")


def test_finish_counts_once_and_in_flight_returns_to_zero(store, clock):
    metrics = Metrics(runtime_getter=lambda: None, store_getter=lambda: None)
    obs = observer_for(make_front(clock), clock, store=store, metrics=metrics)
    metrics.flush()
    assert metrics.registry.get_sample_value("switchyard_requests_in_flight") == 1
    obs.finish(200)
    obs.finish(499)
    store.flush()
    assert len(query(store.path, "SELECT * FROM requests")) == 1
    metrics.flush()
    assert metrics.registry.get_sample_value("switchyard_requests_in_flight") == 0


def test_a_broken_sink_never_reaches_the_request(clock, caplog):
    class Broken:
        def submit_request(self, record):
            raise RuntimeError("disk on fire")

    obs = observer_for(make_front(clock), clock, store=Broken())
    with caplog.at_level(logging.ERROR, logger="switchyard.request_observer"):
        obs.finish(200)
    assert "finish failed" in caplog.text and "req-1" in caplog.text


def test_a_broken_attempt_or_usage_hook_is_logged_not_raised(clock, caplog):
    obs = observer_for(make_front(clock), clock)
    obs._attempt_log = None                      # appending to it fails
    with caplog.at_level(logging.ERROR, logger="switchyard.request_observer"):
        obs.attempt(CLAUDE, "claude-x", status=200, outcome="success", latency=0.1)
        obs.usage(5)                             # not a mapping
    assert "hook attempt failed (request req-1)" in caplog.text
    assert "hook usage failed (request req-1)" in caplog.text


@pytest.mark.parametrize("dialect, body", [
    ("openai", {"messages": [{"role": "user", "content": "first"},
                             {"role": "assistant", "content": "ok"},
                             {"role": "user", "content": [{"type": "text", "text": "last"}]},
                             {"role": "tool", "tool_call_id": "c", "content": "42"}]}),
    ("claude", {"messages": [{"role": "user", "content": "first"},
                             {"role": "user", "content": [{"type": "text", "text": "last"}]},
                             {"role": "user", "content": [
                                 {"type": "tool_result", "tool_use_id": "t", "content": "x"}]}]}),
    ("responses", {"input": [{"role": "user", "content": [
                       {"type": "input_text", "text": "last"}]},
                   {"type": "function_call_output", "call_id": "c", "output": "42"}]}),
    ("responses", {"input": "last"}),
    ("gemini", {"contents": [{"role": "user", "parts": [{"text": "first"}]},
                             {"role": "model", "parts": [{"text": "ok"}]},
                             {"parts": [{"text": "last"}]}]}),
])
def test_last_user_prompt_per_dialect(dialect, body):
    assert request_observer.last_user_prompt(dialect, body) == "last"


def test_prompt_recorded_only_when_enabled_and_truncated(store, clock):
    long_prompt = "é" * 3000                       # 6000 UTF-8 bytes
    body = {"messages": [{"role": "user", "content": long_prompt}]}
    on = make_config(usage={"record-prompts": True})
    observer_for(make_front(clock, body=body, request_id="on"), clock, on, store).finish(200)
    observer_for(make_front(clock, body=body, request_id="off"), clock, None, store).finish(200)
    store.flush()
    prompts = {r["request_id"]: r["prompt"] for r in
               query(store.path, "SELECT request_id, prompt FROM requests")}
    assert prompts["off"] is None
    assert prompts["on"] == "é" * 1024


def access_line(caplog, clock, config, **finish):
    obs = observer_for(make_front(clock), clock, config=config)
    obs.usage(USAGE)
    with caplog.at_level(logging.INFO, logger="switchyard.access"):
        obs.finish(200, credential=CLAUDE, **finish)
    [record] = [r for r in caplog.records if r.name == "switchyard.access"]
    return record.getMessage()


def test_access_log_text_line(caplog, clock):
    line = access_line(caplog, clock, make_config())
    assert line.startswith("request_id=req-1 status=200 dialect=openai")
    assert "input_tokens=1200" in line and "client_key_id=key-abc" in line
    assert "request_body" not in line and "sk-client" not in line


def test_access_log_json_line(caplog, clock):
    fields = json.loads(access_line(caplog, clock, make_config(**{"log-format": "json"})))
    assert (fields["request_id"], fields["status"], fields["credential_id"]) == \
        ("req-1", 200, "claude:111")
    assert fields["cached_tokens"] == 1000 and "request_body" not in fields


def test_debug_log_has_bodies_with_secrets_masked(caplog, clock):
    line = access_line(caplog, clock, make_config(debug=True, **{"log-format": "json"}),
                       response_body=b'{"id": "msg_1", "api_key": "sk-leaked-0123456789"}')
    fields = json.loads(line)
    assert fields["request_headers"]["authorization"] == "Bear…3456"
    assert json.loads(fields["request_body"])["messages"][0]["content"] == "hi"
    assert json.loads(fields["response_body"])["api_key"] == "sk-l…6789"
    assert "sk-client-key-123456" not in line and "sk-leaked-0123456789" not in line


def test_text_log_quotes_client_chosen_values(clock):
    line = access_log.format_line({"request_id": "r", "actor": 'evil" status=200\nx'}, "text")
    assert line == 'request_id=r actor="evil\\" status=200\\nx"'


@pytest.mark.parametrize("value, shown", [
    (200, "200"), (1.5, "1.5"), (1e-05, "1e-05"), (True, "true"), (False, "false"),
    ("gpt-4o-mini", "gpt-4o-mini"), ("models/gemini:x@1", "models/gemini:x@1"),
    ("two words", '"two words"'), ("mock#0", '"mock#0"'), ("é", '"é"'),
    ({"a": 1}, '"{\\"a\\":1}"'), ([1, 2], '"[1,2]"'), (0, "0")])
def test_text_log_values(value, shown):
    assert access_log.format_line({"status": value}, "text") == f"status={shown}"
    # (strings seen before are remembered bare or not: the same again)
    assert access_log.format_line({"status": value}, "text") == f"status={shown}"


def test_line_field_order_whatever_order_the_fields_come_in(caplog, clock):
    line = access_line(caplog, clock, make_config())
    assert line.index("status=") < line.index("model=") < line.index("input_tokens=") \
        < line.index("tool_calls=")
    # field orders are remembered per set of names, as given: another
    # order of the same names, and more sets than are remembered, print alike
    names = [f"extra_{n}" for n in range(access_log._KEY_ORDERS_MAX + 2)]
    for n, name in enumerate(names):
        forward = {"zeta": 1, name: 2, "status": 3, "request_id": "r"}
        backward = dict(reversed(forward.items()))
        expected = f"request_id=r status=3 {name}=2 zeta=1"
        assert access_log.format_line(forward, "text") == expected
        assert access_log.format_line(backward, "text") == expected
    assert len(access_log._KEY_ORDERS) <= access_log._KEY_ORDERS_MAX


def test_mask_secrets_masks_nested_secret_names():
    masked = access_log.mask_secrets({"headers": {"X-Api-Key": "abcdefghijklmnop"},
                                      "items": [{"api-key": "sk-0123456789abcdef"}],
                                      "model": "gpt-x"})
    assert masked == {"headers": {"X-Api-Key": "abcd…mnop"},
                      "items": [{"api-key": "sk-0…cdef"}], "model": "gpt-x"}


def test_worker_setup_start_and_shutdown(tmp_path, clock):
    saved = runtime.current(), usage_store.current()
    config = make_config(usage={"store-path": str(tmp_path / "worker.db")})
    runtime.install(runtime.Runtime(config=config, pool=None))
    try:
        request_observer.setup(config)
        request_observer.start(make_front(clock), config).finish(200)
        request_observer.shutdown()
        assert usage_store.current() is None
        assert len(query(str(tmp_path / "worker.db"), "SELECT * FROM requests")) == 1
    finally:
        runtime.install(saved[0])
        usage_store.install(saved[1])


def test_usage_disabled_means_no_store(tmp_path):
    saved = usage_store.current()
    try:
        request_observer.setup(make_config(usage={"enabled": False}))
        assert usage_store.current() is None
    finally:
        usage_store.install(saved)


# -- the access-log line built from the usage row -------------------------------

def _row(**over):
    fields = dict.fromkeys(usage_store.REQUEST_FIELDS)
    fields.update(request_id="0a1b2c3d00000001", ts=1_700_000_000.0, dialect="openai",
                  action="generate",
                  model="m", stream=False, status=200, latency_ms=1.5, ttft_ms=0.5, attempts=1,
                  input_tokens=3, output_tokens=4, cached_tokens=0, cache_creation_tokens=0,
                  reasoning_tokens=0, prompt="never logged")
    fields.update(over)
    return tuple(fields[name] for name in usage_store.REQUEST_FIELDS)


def _as_fields(row, client_label, tool_calls):
    """What the observer logged before it logged from the row: the usage
    record less its ts and prompt, plus the label and the tool-call count."""
    fields = dict(zip(usage_store.REQUEST_FIELDS, row))
    del fields["ts"], fields["prompt"]
    fields["client_label"] = client_label
    fields["tool_calls"] = tool_calls
    return fields


_TEXTS = [None, "", "plain-1.2", "two words", 'quo"te', "é", "abc123", "ée1"]
_VALUES = _TEXTS + [0, 7, 2.5, True, False, ["x"]]
# what the request line remembers by value holds text (the stream: a bool)
_REMEMBERED = set(access_log._MIDDLE_KEYS)


@pytest.mark.parametrize("name", [n for n in usage_store.REQUEST_FIELDS
                                  if n not in ("ts", "prompt", "tool_calls")]
                         + ["client_label", "tool_calls"])
def test_request_text_is_format_line_whatever_a_field_holds(name):
    # every field of the row, the label and the tool-call count, with every
    # kind of value it may hold: the same characters as format_line's text
    values = _VALUES if name not in _REMEMBERED else [True, False] if name == "stream" \
        else _TEXTS
    for value in values:
        row, label, tools = _row(), "team", 2
        if name == "client_label":
            label = value
        elif name == "tool_calls":
            tools = value
        else:
            row = _row(**{name: value})
        expected = access_log.format_line(_as_fields(row, label, tools), "text")
        assert access_log.request_text(row, label, tools) == expected, (name, value)
        assert access_log.request_text(row, label, tools) == expected    # remembered


def test_request_text_of_typical_rows():
    rows = [(_row(), None, 0),
            (_row(status=502, error_class="UpstreamStatusError"), None, 0),
            (_row(error_class="two words"), None, 0),
            (_row(ttft_ms=None), None, 0),
            (_row(client_key_id="key-1", actor="ci bot", provider="claude",
                  credential_id="claude:111", upstream_model="m-2", error_class="TimeoutError",
                  status=504, ttft_ms=None), "team", 0),
            (_row(input_tokens=None, output_tokens=None, cached_tokens=None,
                  cache_creation_tokens=None, reasoning_tokens=None, request_id="id with space"),
             "", 3)]
    for row, label, tools in rows:
        assert access_log.request_text(row, label, tools) == \
            access_log.format_line(_as_fields(row, label, tools), "text")
    assert access_log.request_text(*rows[0]) == (
        "request_id=0a1b2c3d00000001 status=200 dialect=openai action=generate model=m "
        "stream=false "
        "latency_ms=1.5 ttft_ms=0.5 attempts=1 input_tokens=3 output_tokens=4 cached_tokens=0 "
        "cache_creation_tokens=0 reasoning_tokens=0 tool_calls=0")


def test_remembered_middles_are_bounded(monkeypatch):
    monkeypatch.setattr(access_log, "_MIDDLES_MAX", 4)
    for n in range(10):
        row = _row(model=f"model-{n}")
        assert access_log.request_text(row, None, 0) == \
            access_log.format_line(_as_fields(row, None, 0), "text")
    assert len(access_log._MIDDLES) <= 4


@pytest.mark.parametrize("log_format, debug", [("text", False), ("json", False),
                                               ("text", True), ("json", True)])
def test_observer_logs_the_line_the_record_gives(caplog, clock, log_format, debug):
    # the line is the row's fields less ts and prompt, plus the client's
    # label, the tool calls counted and (debug) the bodies
    config = make_config(debug=debug, **{"log-format": log_format})
    kept = {}

    class Keep:
        def submit_request_row(self, row):
            kept["row"] = row

        def submit_attempt_row(self, row):
            pass
    with caplog.at_level(logging.INFO, logger="switchyard.access"):
        serve_one(observer_for(make_front(clock), clock, config=config, store=Keep()), clock)
    [line] = [r.getMessage() for r in caplog.records if r.name == "switchyard.access"]
    fields = _as_fields(kept["row"], "team", 1)
    if debug:
        fields.update(access_log.debug_fields(make_front(clock).headers, None,
                                              make_front(clock).body, None))
    assert line == access_log.format_line(fields, log_format)


@pytest.mark.parametrize("raw, tokens", [
    (b'{"id": "msg_1", "type": "message", "content": [{"type": "text", "text": "hi"}],'
     b' "usage": {"input_tokens": 12, "output_tokens": 3, "cache_read_input_tokens": 5,'
     b' "cache_creation_input_tokens": 0}}', (17, 3, 5)),
    (b'<html>gateway error</html>', (None, None, None)),        # unreadable: unknown
    (b'{"id": "msg_1", "usage": "n/a"}', (None, None, None)),
])
def test_a_whole_answer_is_read_for_usage_once_it_is_sent(store, clock, monkeypatch, raw,
                                                           tokens):
    read, answer_usage = [], request_observer.answer_usage

    def reading(*answer):
        read.append(answer)
        return answer_usage(*answer)
    monkeypatch.setattr(request_observer, "answer_usage", reading)
    obs = observer_for(make_front(clock, dialect="claude"), clock, store=store)
    obs.attempt(CLAUDE, "claude-x", status=200, outcome="success", latency=0.1)
    obs.answer("claude", raw)
    assert read == []                     # not while the answer is on its way
    obs.settle(200)
    obs.close()
    assert read == [("claude", raw)]
    store.flush()
    [req] = query(store.path, "SELECT * FROM requests")
    assert (req["input_tokens"], req["output_tokens"], req["cached_tokens"]) == tokens


def test_answer_usage_reads_each_dialect_or_says_none():
    assert request_observer.answer_usage(
        "openai", b'{"usage": {"prompt_tokens": 4, "completion_tokens": 2}}')["input_tokens"] == 4
    assert request_observer.answer_usage(
        "gemini", b'{"usageMetadata": {"promptTokenCount": 7}}')["input_tokens"] == 7
    for raw in (b"not json", b"[1, 2]", b'{"usage": [1]}', b""):
        assert request_observer.answer_usage("responses", raw) is None
