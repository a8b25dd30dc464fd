"""The agent scenario's requests: every target, direct and Portkey included,
sends a growing session's window, and rows name the median body's bytes."""
import json

from bench import agent_session
from bench.procs import Server
from bench.scenarios import Context
from bench.scenarios.agent import _median_bytes


def _context():
    servers = {name: Server(name, None, port, None)
               for name, port in (("mock", 1), ("switchyard", 2), ("portkey", 3))}
    mock = servers.pop("mock")
    return Context(scale=None, mock=mock, proxies=servers, restart=None)


def test_every_target_sends_a_session_window_in_its_own_dialect():
    ctx = _context()
    ours = ctx.spec("switchyard", "openai", "claude", size=250_000)
    direct = ctx.spec("direct", "openai", "claude", size=250_000)
    portkey = ctx.spec("portkey", "openai", "claude", size=250_000)
    window = agent_session.SESSION_WINDOW
    assert ours["bodies"] == agent_session.session("openai", "bench-claude", 250_000, window)
    # direct speaks the upstream's dialect: its own session of the same size
    assert direct["bodies"] == agent_session.session("claude", "bench-claude", 250_000, window)
    assert portkey["bodies"] == ours["bodies"] and portkey["port"] == 3
    assert portkey["headers"]["x-portkey-provider"] == "anthropic"
    assert [json.loads(b)["stream"] for b in direct["bodies"]] == [False] * window


def test_small_requests_keep_one_body_and_rows_report_the_median_body():
    small = _context().spec("switchyard", "openai")
    assert "bodies" not in small and _median_bytes(small) == len(small["body"])
    session = {"bodies": ["a" * n for n in (5, 1, 9, 3)]}
    assert _median_bytes(session) == 3
