"""Client key checks and header filtering."""
import pytest

from proxy.access import auth
from proxy.providers import endpoints
from proxy.providers.credentials import Credential
from proxy.errors import Unauthorized
from proxy.providers.headers import actor_headers, forward_request_headers, forward_response_headers

KEYS = auth.load_keys(["sk-one", {"key": "sk-two", "label": "team-b"}])


@pytest.mark.parametrize("headers,args", [
    ({"authorization": "Bearer sk-two"}, {}),
    ({"x-api-key": "sk-two"}, {}),
    ({"x-goog-api-key": "sk-two"}, {}),
    ({}, {"key": "sk-two"}),
])
def test_each_sdk_style_accepted(headers, args):
    assert auth.authenticate(KEYS, headers, args).label == "team-b"


@pytest.mark.parametrize("key", ["sk-one", "", "k\u00e9y-\u4e2d", "x" * 5000])
def test_key_digests_are_sha256_and_key_ids_stay_as_they_were(key):
    import hashlib
    digest = hashlib.sha256(key.encode()).digest()
    assert auth._digest(key) == digest
    if key:
        [loaded] = auth.load_keys([key])
        assert loaded.digest == digest and loaded.key_id == "key-" + digest.hex()[:10]


def test_missing_and_wrong_keys():
    with pytest.raises(Unauthorized, match="Missing"):
        auth.authenticate(KEYS, {}, {})
    with pytest.raises(Unauthorized, match="Invalid"):
        auth.authenticate(KEYS, {"x-api-key": "sk-three"}, {})


def test_bring_your_own_key():
    keys = auth.load_keys([{"key": "sk-byok", "byok": True}, "sk-plain"])
    own = {"x-switchyard-key": "sk-byok", "authorization": "Bearer sk-ant-oat-own"}
    key = auth.authenticate(keys, own, {})
    assert key.byok and auth.brings_own_credential(key, own, {})
    # ?key= names the gateway key beside the SDK's own header, for byok keys only
    by_query = auth.authenticate(keys, {"x-goog-api-key": "own"}, {"key": "sk-byok"})
    assert by_query.byok and auth.brings_own_credential(by_query, {}, {"key": "sk-byok"})
    with pytest.raises(Unauthorized):
        auth.authenticate(keys, {"x-goog-api-key": "own"}, {"key": "sk-plain"})
    plain = auth.authenticate(keys, {"x-switchyard-key": "sk-plain"}, {})
    assert not auth.brings_own_credential(plain, {"x-switchyard-key": "sk-plain"}, {})
    assert "x-switchyard-key" not in forward_request_headers(own, "claude")


def test_no_keys_means_open():
    assert auth.authenticate([], {}, {}) is None


def test_key_ids_are_stable_and_not_the_key():
    again = auth.load_keys(["sk-one"])
    assert again[0].key_id == KEYS[0].key_id and "sk-one" not in again[0].key_id


def test_request_headers_filtered():
    forwarded = forward_request_headers({
        "authorization": "Bearer c", "x-api-key": "c", "x-goog-api-key": "c", "host": "h",
        "content-length": "9", "accept-encoding": "gzip", "cookie": "a", "connection": "x",
        "anthropic-version": "2023-06-01", "anthropic-beta": "b", "user-agent": "ua",
        "x-custom": "y"}, "claude")
    assert forwarded == {"anthropic-version": "2023-06-01", "anthropic-beta": "b",
                         "user-agent": "ua", "x-custom": "y"}


# What Claude Code, the OpenAI SDK and Google's SDKs send beside the body.
MIXED_CLIENT_HEADERS = {
    "anthropic-version": "2023-06-01", "anthropic-beta": "oauth-2025-04-20,context-1m",
    "anthropic-dangerous-direct-browser-access": "true", "x-claude-code-session-id": "s1",
    "openai-organization": "org-1", "openai-project": "proj-1", "openai-beta": "assistants=v2",
    "x-goog-api-client": "genai-js/1.0", "x-goog-user-project": "p1",
    "user-agent": "ua", "x-stainless-lang": "js", "x-custom": "y"}
GENERIC = {"user-agent": "ua", "x-stainless-lang": "js", "x-custom": "y"}


@pytest.mark.parametrize("dialect,own_prefixes", [
    ("claude", ("anthropic-", "x-claude-code-")), ("openai", ("openai-",)),
    ("responses", ("openai-",)), ("gemini", ("x-goog-",)),
])
def test_provider_headers_go_only_to_their_own_dialect(dialect, own_prefixes):
    forwarded = forward_request_headers(MIXED_CLIENT_HEADERS, dialect)
    own = {k: v for k, v in MIXED_CLIENT_HEADERS.items() if k.startswith(own_prefixes)}
    assert own and forwarded == dict(GENERIC, **own)


def test_response_headers_filtered():
    kept = dict(forward_response_headers({
        "Set-Cookie": "s", "Transfer-Encoding": "chunked", "Connection": "close",
        "x-api-key": "k", "request-id": "r", "anthropic-ratelimit-requests-remaining": "3"}))
    assert kept == {"request-id": "r", "anthropic-ratelimit-requests-remaining": "3"}


def _cred(kind, base, **kw):
    return Credential(id="x", kind=kind, dialect="", base_url=base, api_key="KEY", **kw)


@pytest.mark.parametrize("kind,base,action,stream,url", [
    ("claude", "https://a", "generate", True, "https://a/v1/messages"),
    ("claude", "https://a", "count_tokens", False, "https://a/v1/messages/count_tokens"),
    ("gemini", "https://g", "generate", True,
     "https://g/v1beta/models/m-1:streamGenerateContent?alt=sse"),
    ("gemini", "https://g", "generate", False, "https://g/v1beta/models/m-1:generateContent"),
    ("gemini", "https://g", "count_tokens", False, "https://g/v1beta/models/m-1:countTokens"),
    ("codex", "https://o/v1", "generate", False, "https://o/v1/responses"),
    ("openai-compat", "https://c/v1", "generate", True, "https://c/v1/chat/completions"),
])
def test_upstream_urls(kind, base, action, stream, url):
    assert endpoints.url(_cred(kind, base), "m-1", action=action, stream=stream) == url


def test_auth_headers_per_kind_and_entry_headers_win():
    claude = endpoints.auth_headers(_cred("claude", "", headers={"X-Extra": "1"}), {"x-a": "b"})
    assert claude["x-api-key"] == "KEY" and claude["anthropic-version"] and claude["x-extra"] == "1"
    gemini = endpoints.auth_headers(_cred("gemini", ""), {})
    assert gemini["x-goog-api-key"] == "KEY" and "authorization" not in gemini
    codex = endpoints.auth_headers(_cred("codex", ""), {})
    assert codex["authorization"] == "Bearer KEY"


def test_actor_headers_use_aibridge_names():
    client = {"x-switchyard-actor-metadata-team": "infra", "x-other": "1"}
    assert actor_headers("alice", client) == {"x-ai-bridge-actor-id": "alice",
                                              "x-ai-bridge-actor-metadata-team": "infra"}
    assert actor_headers("", client) == {}
    assert "x-switchyard-actor-metadata-team" not in forward_request_headers(client, "openai")


def test_which_names_go_is_learnt_once_per_dialect_and_stays_the_rule(monkeypatch):
    """``forward_request_headers`` keeps each name's verdict per upstream
    dialect; learnt or remembered, and after the table starts afresh, it
    is the rule's (not a credential, hop-by-hop or forwarding header, nor
    another provider's own)."""
    from proxy.providers import headers

    def rule(client, dialect):
        skipped = headers._SKIPPED_PREFIXES.get(dialect, (headers._ACTOR_METADATA,))
        return {k: v for k, v in client.items()
                if k not in headers._NOT_FORWARDED and not k.startswith(skipped)}

    client = dict(MIXED_CLIENT_HEADERS, **{
        "x-switchyard-actor-metadata-team": "t", "openai-beta": "b", "x-goog-user-project": "p",
        "anthropic-beta": "a", "x-custom": "c", "cookie": "k", "keep-alive": "5",
        "authorization": "Bearer x", "user-agent": "ua"})
    monkeypatch.setattr(headers, "_VERDICTS", {})
    for dialect in ("openai", "claude", "gemini", "responses", "echo"):
        for _ in range(2):
            assert forward_request_headers(client, dialect) == rule(client, dialect)
    monkeypatch.setattr(headers, "_VERDICTS", {})
    monkeypatch.setattr(headers, "_MAX_VERDICTS", 3)
    for dialect in ("openai", "claude"):
        assert forward_request_headers(client, dialect) == rule(client, dialect)
        assert len(headers._VERDICTS[dialect]) <= 3


def test_which_upstream_names_are_shown_is_learnt_once_and_stays_the_rule(monkeypatch):
    from proxy.providers import headers
    from proxy.wire.http1 import Headers
    upstream = Headers([("Content-Type", "application/json"), ("X-Request-Id", "r"),
                        ("Set-Cookie", "a"), ("set-cookie", "b"), ("Server", "s"),
                        ("x-ratelimit-remaining-requests", "9"), ("Transfer-Encoding", "chunked"),
                        ("Openai-Processing-Ms", "5"), ("X-RateLimit-Reset", "1s")])
    rule = [(k, v) for k, v in upstream.items() if k.lower() not in headers._NOT_RETURNED]
    monkeypatch.setattr(headers, "_SHOWN", {})
    for _ in range(2):
        assert forward_response_headers(upstream) == rule
    monkeypatch.setattr(headers, "_SHOWN", {})
    monkeypatch.setattr(headers, "_MAX_VERDICTS", 3)
    assert forward_response_headers(upstream) == rule and len(headers._SHOWN) <= 3
