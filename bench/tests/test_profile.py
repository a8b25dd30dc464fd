"""bench/profile.py: with --size, the profiled load is a growing agent
session, as the agent scenario sends it, not one body repeated."""
from bench import agent_session, profile, targets


def test_size_sends_the_session_window_by_default():
    spec = profile.request_spec(profile.parse_args(["--case", "claude", "--size", "60000"]), 9)
    assert spec["bodies"] == agent_session.window("claude", targets.model_for("claude"), 60_000)
    assert len(spec["bodies"]) == min(agent_session.SESSION_WINDOW,
                                      agent_session.rounds("claude", "m", 60_000))


def test_window_sets_how_many_requests_of_the_session():
    args = profile.parse_args(["--case", "translated", "--size", "60000", "--window", "3"])
    spec = profile.request_spec(args, 9)
    assert spec["bodies"] == agent_session.window("claude", targets.model_for("openai"),
                                                  60_000, 3)


def test_without_size_one_small_prompt():
    spec = profile.request_spec(profile.parse_args([]), 9)
    assert "bodies" not in spec and len(spec["body"]) < 1000
