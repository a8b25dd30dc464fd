"""Session keys (pure) and the session -> credential binding table."""
import pytest

from proxy.routing.affinity import Bindings, session_key

SYSTEM = {"role": "system", "content": "You are terse."}


def user(text):
    return {"role": "user", "content": text}


def assistant(text):
    return {"role": "assistant", "content": text}


def test_session_headers_win():
    body = {"prompt_cache_key": "k", "messages": [user("hi")]}
    claude_code = session_key("claude", {"x-claude-code-session-id": "abc"}, body)
    generic = session_key("openai", {"session-id": "abc"}, body)
    assert claude_code == generic == session_key("gemini", {"session-id": "abc"}, {})
    assert claude_code.startswith("header:")
    assert session_key("claude", {"session-id": "other"}, body) != claude_code


def test_prompt_cache_key_then_metadata_user_id():
    body = {"prompt_cache_key": "conv-1", "metadata": {"user_id": "u"}, "input": "hi"}
    assert session_key("responses", {}, body).startswith("cache-key:")
    body = {"metadata": {"user_id": "user_x_account_y_session_z"}, "messages": [user("hi")]}
    key = session_key("claude", {}, body)
    assert key.startswith("user:")
    assert key == session_key("claude", {}, dict(body, messages=[user("other")]))


def test_opening_turns_identify_a_conversation_across_its_turns():
    first = {"messages": [SYSTEM, user("plan a trip")]}
    later = {"messages": [SYSTEM, user("plan a trip"), assistant("where?"), user("Rome")]}
    other = {"messages": [SYSTEM, user("write a poem")]}
    assert session_key("openai", {}, first) == session_key("openai", {}, later)
    assert session_key("openai", {}, first) != session_key("openai", {}, other)
    assert session_key("openai", {}, first).startswith("opening:")


@pytest.mark.parametrize("dialect, field, turns", [
    ("claude", "messages", [user("hi")]),
    ("responses", "input", [{"type": "message", "role": "user", "content": "hi"}]),
    ("responses", "input", "hi"),
    ("gemini", "contents", [{"role": "user", "parts": [{"text": "hi"}]}]),
])
def test_each_dialect_reads_its_own_conversation_field(dialect, field, turns):
    key = session_key(dialect, {}, {field: turns})
    assert key is not None
    assert session_key(dialect, {}, {"unrelated": turns}) is None


def test_key_order_inside_a_turn_does_not_matter():
    a = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    b = {"contents": [{"parts": [{"text": "hi"}], "role": "user"}]}
    assert session_key("gemini", {}, a) == session_key("gemini", {}, b)


def test_no_conversation_no_key():
    assert session_key("openai", {}, {"messages": []}) is None
    assert session_key("openai", {}, {}) is None


def test_keys_are_bounded_whatever_the_input():
    key = session_key("openai", {"session-id": "x" * 100_000}, {})
    assert len(key) < 64


def test_binding_lives_ttl_seconds_after_last_use():
    bindings = Bindings(ttl=100)
    bindings.bind("s", "cred-a", now=0)
    assert bindings.get("s", now=99) == "cred-a"
    bindings.bind("s", "cred-a", now=99)          # used again: the TTL restarts
    assert bindings.get("s", now=150) == "cred-a"
    assert bindings.get("s", now=199) is None


def test_rebind_moves_a_session():
    bindings = Bindings(ttl=100)
    bindings.bind("s", "cred-a", now=0)
    bindings.bind("s", "cred-b", now=1)
    assert bindings.get("s", now=2) == "cred-b"


def test_expired_bindings_are_pruned():
    bindings = Bindings(ttl=10)
    for i in range(50):
        bindings.bind(f"s{i}", "cred-a", now=0)
    bindings.bind("late", "cred-a", now=11)
    assert len(bindings) == 1


def test_limit_evicts_the_least_recently_used():
    bindings = Bindings(ttl=100, limit=3)
    for i, name in enumerate("abcd"):
        bindings.bind(name, "cred", now=i)
    assert len(bindings) == 3
    assert bindings.get("a", now=5) is None
    assert bindings.get("d", now=5) == "cred"


def test_adopt_keeps_bindings_to_surviving_credentials():
    old = Bindings(ttl=100)
    old.bind("s1", "kept", now=0)
    old.bind("s2", "gone", now=0)
    new = Bindings(ttl=100)
    new.adopt(old, {"kept"})
    assert new.get("s1", now=1) == "kept"
    assert new.get("s2", now=1) is None


def _agent_raw(**fields):
    """A large request body as an agent sends it: the conversation in it."""
    import orjson
    turns = [SYSTEM, user("Fix the bug.")] + [
        assistant("Reading src/f%d.py\n" % i + "x = \"y\"\n" * 200) for i in range(30)]
    raw = orjson.dumps({"model": "m", "messages": turns, **fields})
    assert len(raw) > 32 * 1024
    return raw


@pytest.mark.parametrize("headers, fields, source", [
    ({"x-claude-code-session-id": "abc"}, {}, "header:"),
    ({}, {"prompt_cache_key": "conv-1"}, "cache-key:"),
    ({}, {"metadata": {"user_id": "user_1_session_2"}}, "user:"),
])
def test_an_explicit_id_is_read_without_the_whole_body(headers, fields, source):
    # what the front door hands over for a large body: the top level only,
    # the session fields whole (proxy.http.server reads them so)
    from proxy.http.generate import _body_top
    import orjson
    raw = _agent_raw(**fields)
    parsed, top = _body_top(raw)
    assert parsed is None

    def whole():
        raise AssertionError("the whole body was parsed")
    key = session_key("claude", headers, top, whole)
    assert key.startswith(source) and key == session_key("claude", headers, orjson.loads(raw))


@pytest.mark.parametrize("leading, heads, parsed", [
    (1, ("messages",), False),          # the opening among the leading turns read
    (7, ("messages",), False),          # the first user turn the 8th
    (8, ("messages",), True),           # past them: the whole body
    (1, (), True),                      # leading turns not read (affinity was off)
])
def test_the_opening_turns_from_the_leading_ones_or_the_whole_body(leading, heads, parsed):
    from proxy.http.generate import _body_top
    import orjson
    raw = _agent_raw()
    body = orjson.loads(raw)
    body["messages"] = [SYSTEM] * leading + body["messages"][1:]
    raw = orjson.dumps(body)
    _, top = _body_top(raw, heads)
    calls = []

    def whole():
        calls.append(1)
        return orjson.loads(raw)
    key = session_key("openai", {}, top, whole)
    assert calls == ([1] if parsed else [])
    assert key.startswith("opening:") and key == session_key("openai", {}, body)


def test_a_short_conversation_without_a_user_turn_is_read_from_its_head():
    from proxy.wire.json_top import top_level

    def whole():
        raise AssertionError("the whole body was parsed")
    raw = b'{"model": "m", "messages": [{"role": "system", "content": "x"}]}'
    top = top_level(raw, heads=("messages",))
    assert session_key("openai", {}, top, whole) == session_key(
        "openai", {}, {"messages": [SYSTEM | {"content": "x"}]})
    top = top_level(b'{"model": "m", "messages": []}', heads=("messages",))
    assert session_key("openai", {}, top, whole) is None
    # a Responses conversation given as one string is in the top level itself
    assert session_key("responses", {}, {"input": "hi", "model": "m"}, whole).startswith(
        "opening:")
