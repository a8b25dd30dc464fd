"""The throughput scenario's instruction count: asked for by the scale,
skipped (and said so) without valgrind, counted on the most clients with
the mock answering at once."""
from dataclasses import replace

from bench import worker_instructions
from bench.scale import FULL, QUICK
from bench.scenarios import throughput


class _Ctx:
    def __init__(self, scale):
        self.scale = scale
        self.mock = type("Mock", (), {"port": 4321})()
        self.mock_settings = []

    def set_mock(self, **settings):
        self.mock_settings.append(settings)


def test_only_a_full_run_counts():
    assert FULL.tp_instructions == (400, 1400)
    assert QUICK.tp_instructions == ()


def test_skipped_without_valgrind(monkeypatch):
    monkeypatch.setattr(worker_instructions, "available", lambda: False)
    ctx = _Ctx(replace(QUICK, tp_clients=(50, 200), tp_instructions=(10, 30)))
    assert throughput._instructions(ctx) == {"clients": 200,
                                             "skipped": "valgrind is not installed"}
    assert ctx.mock_settings == []


def test_counted_on_the_most_clients_with_an_instant_mock(monkeypatch):
    calls = []

    def per_request(case, counts, clients, mock_port):
        calls.append((case, counts, clients, mock_port))
        return {"totals": {10: 100, 30: 300}, "instructions_per_request": 10}

    monkeypatch.setattr(worker_instructions, "available", lambda: True)
    monkeypatch.setattr(worker_instructions, "per_request", per_request)
    ctx = _Ctx(replace(QUICK, tp_clients=(50, 200), tp_instructions=(10, 30)))
    assert throughput._instructions(ctx) == {
        "clients": 200, "requests": [10, 30], "totals": {10: 100, 30: 300},
        "instructions_per_request": 10}
    assert calls == [("openai", (10, 30), 200, 4321)]
    assert ctx.mock_settings == [{}]
