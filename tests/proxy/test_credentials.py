"""Credentials built from the provider sections."""
from proxy import config, credentials


def _creds(raw):
    return credentials.from_config(config.build(raw))


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


def test_excluded_models_wildcards():
    cred = _creds({"gemini-api-key": [{"api-key": "k", "excluded-models": ["*-pro"]}]})[0]
    assert cred.upstream_model("gemini-2.5-pro") is None
    assert cred.upstream_model("gemini-2.5-flash") == "gemini-2.5-flash"


def test_echo_can_be_disabled():
    assert _creds({"echo": False}) == []
