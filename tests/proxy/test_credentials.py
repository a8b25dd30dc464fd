"""Credentials built from the provider sections."""
from proxy import config as config_mod
from proxy.providers import credentials


def _creds(raw):
    return credentials.from_config(config_mod.build(raw))


def test_every_section_becomes_credentials():
    creds = _creds({
        "claude-api-key": [{"api-key": "sk-ant-1234567890", "models": [{"name": "claude-x", "alias": "cx"}]}],
        "gemini-api-key": [{"api-key": "AIza-1234567890"}],
        "codex-api-key": [{"api-key": "sk-codex-123456"}],
        "openai-compatibility": [{"name": "or", "base-url": "https://or/v1",
                                  "api-key-entries": [{"api-key": "k1-xxxxxxxxxx"}, "k2-xxxxxxxxxx"],
                                  "models": [{"name": "m"}]}],
    })
    kinds = [c.kind for c in creds]
    assert kinds == ["claude", "gemini", "codex", "openai-compat", "openai-compat", "echo"]
    claude = creds[0]
    assert claude.upstream_model("cx") == "claude-x" and claude.upstream_model("claude-x") == "claude-x"
    assert claude.base_url == "https://api.anthropic.com"
    assert creds[1].upstream_model("gemini-2.5-pro") == "gemini-2.5-pro"   # default patterns
    assert creds[1].upstream_model("gpt-4o") is None


def test_ids_stable_and_keys_hidden():
    raw = {"claude-api-key": [{"api-key": "sk-ant-secret-abcdef"}]}
    first, second = _creds(raw)[0], _creds(raw)[0]
    assert first.id == second.id and "secret" not in first.id
    assert first.key_hint == "sk-a…cdef" and "secret" not in repr(first)


def test_ids_name_the_place_in_the_config_not_the_key():
    raw = {"claude-api-key": [{"api-key": "sk-ant-old-abcdef"}, {"api-key": "sk-ant-two-abcdef"}],
           "openai-compatibility": [{"name": "or", "base-url": "https://or/v1",
                                     "api-key-entries": ["k1-xxxxxxxxxx", "k2-xxxxxxxxxx"]}]}
    ids = [c.id for c in _creds(raw)]
    assert ids == ["claude:api.anthropic.com:1", "claude:api.anthropic.com:2",
                   "openai-compat:or:1", "openai-compat:or:2", "echo:local"]
    raw["claude-api-key"][0]["api-key"] = "sk-ant-rotated-123456"   # a rotated key keeps its id
    assert _creds(raw)[0].id == "claude:api.anthropic.com:1"


def test_provider_table_drives_dialects_urls_and_auth():
    from proxy.providers import endpoints
    from proxy.providers.kinds import PROVIDERS
    for cred in _creds({"claude-api-key": [{"api-key": "a"}], "gemini-api-key": [{"api-key": "b"}],
                        "codex-api-key": [{"api-key": "c"}]})[:3]:
        provider = PROVIDERS[cred.kind]
        assert cred.dialect == provider.dialect and cred.base_url == provider.base_url
    gemini = _creds({"gemini-api-key": [{"api-key": "b"}]})[0]
    assert endpoints.url(gemini, "gemini-2.5-pro", action="generate", stream=True) == \
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    assert endpoints.url(gemini, "a/b", action="count_tokens", stream=False).endswith("/a%2Fb:countTokens")
    claude = _creds({"claude-api-key": [{"api-key": "sk-x"}]})[0]
    headers = endpoints.auth_headers(claude, {"anthropic-version": "2024-01-01"})
    assert headers["x-api-key"] == "sk-x" and headers["anthropic-version"] == "2024-01-01"
    assert endpoints.auth_headers(claude, {})["anthropic-version"] == "2023-06-01"
    assert not endpoints.has_count_endpoint("openai-compat") and endpoints.has_count_endpoint("gemini")


def test_excluded_models_wildcards():
    cred = _creds({"gemini-api-key": [{"api-key": "k", "excluded-models": ["*-pro"]}]})[0]
    assert cred.upstream_model("gemini-2.5-pro") is None
    assert cred.upstream_model("gemini-2.5-flash") == "gemini-2.5-flash"


def test_echo_can_be_disabled():
    assert _creds({"echo": False}) == []


def test_reasoning_content_replayed_only_to_entries_configured_for_it():
    """``replay-reasoning-content`` (off by default): history reasoning goes back to
    that openai-compatibility upstream as ``reasoning_content`` (DeepSeek)."""
    import translators
    from proxy.relay import attempts

    def entry(**extra):
        return {"name": "ds", "base-url": "https://ds/v1", "api-key-entries": ["k-xxxxxxxxxx"],
                **extra}
    plain, replaying = (_creds({"openai-compatibility": [entry(**extra)]})[0]
                        for extra in ({}, {"replay-reasoning-content": True}))
    assert (plain.replay_reasoning, replaying.replay_reasoning) == (False, True)
    body = {"model": "m", "max_tokens": 50, "messages": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "A greeting.",
                                           "signature": ""},
                                          {"type": "text", "text": "Hello"}]},
        {"role": "user", "content": "Bye"}]}

    def assistant(cred):
        out = translators.translate_request("claude", "openai", body, model="m", stream=False,
                                            prepare=attempts._preparer(cred))
        return out["messages"][1]
    assert "reasoning_content" not in assistant(plain)
    assert assistant(replaying)["reasoning_content"] == "A greeting."
