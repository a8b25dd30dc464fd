"""Rate-limit windows read off provider response headers, per credential."""
from urllib3 import HTTPHeaderDict

from proxy.routing import quota_windows, ratelimit_headers

SEEN = 1_735_689_600.0      # 2025-01-01T00:00:00Z


def test_anthropic_windows():
    # docs.anthropic.com "Rate limits": anthropic-ratelimit-<limit>-limit/-remaining/-reset
    headers = {"anthropic-ratelimit-requests-limit": "50",
               "anthropic-ratelimit-requests-remaining": "49",
               "anthropic-ratelimit-requests-reset": "2025-01-01T00:00:30Z",
               "Anthropic-Ratelimit-Output-Tokens-Limit": "8000",
               "anthropic-ratelimit-output-tokens-remaining": "0",
               "anthropic-ratelimit-output-tokens-reset": "2025-01-01T00:01:00Z"}
    assert ratelimit_headers.windows(headers, SEEN) == {
        "requests": {"limit": 50, "remaining": 49, "resets_at": SEEN + 30},
        "output-tokens": {"limit": 8000, "remaining": 0, "resets_at": SEEN + 60}}


def test_openai_windows_reset_relative_to_the_answer():
    # platform.openai.com "Rate limits": x-ratelimit-limit/remaining/reset-<requests|tokens>
    headers = {"x-ratelimit-limit-requests": "10000", "x-ratelimit-remaining-requests": "9999",
               "x-ratelimit-reset-requests": "6ms", "x-ratelimit-limit-tokens": "200000",
               "x-ratelimit-remaining-tokens": "199970", "x-ratelimit-reset-tokens": "1m0.5s"}
    assert ratelimit_headers.windows(headers, SEEN) == {
        "requests": {"limit": 10000, "remaining": 9999, "resets_at": SEEN + 0.006},
        "tokens": {"limit": 200000, "remaining": 199970, "resets_at": SEEN + 60.5}}


def test_no_windows_and_garbage_are_nothing():
    assert ratelimit_headers.windows({"content-type": "application/json"}, SEEN) == {}
    assert ratelimit_headers.windows({"x-ratelimit-remaining-requests": "lots",
                                      "x-ratelimit-reset-requests": "soon"}, SEEN) == {}


def test_report_parses_the_latest_headers_of_each_credential(monkeypatch):
    monkeypatch.setattr(quota_windows, "_latest", {})
    assert quota_windows.report("claude:a") is None
    quota_windows.note("claude:a", HTTPHeaderDict({"content-type": "application/json"}))
    assert quota_windows.report("claude:a") is None          # this provider reports none
    quota_windows.note("claude:a", HTTPHeaderDict({
        "anthropic-ratelimit-tokens-limit": "1000", "anthropic-ratelimit-tokens-remaining": "10",
        "anthropic-ratelimit-tokens-reset": "2025-01-01T00:00:05Z"}), wall=lambda: SEEN)
    assert quota_windows.report("claude:a") == {
        "seen_at": SEEN, "seen_at_iso": "2025-01-01T00:00:00+00:00",
        "windows": {"tokens": {"limit": 1000, "remaining": 10, "resets_at": SEEN + 5,
                               "resets_at_iso": "2025-01-01T00:00:05+00:00"}}}


def test_anthropic_unified_windows_of_subscription_accounts():
    # the unified limits Claude Pro/Max answers carry (not in the API reference)
    headers = {"anthropic-ratelimit-unified-status": "allowed",
               "anthropic-ratelimit-unified-reset": "1735707600",
               "anthropic-ratelimit-unified-representative-claim": "five_hour",
               "anthropic-ratelimit-unified-5h-utilization": "0.42",
               "anthropic-ratelimit-unified-5h-reset": "1735707600",
               "anthropic-ratelimit-unified-5h-status": "allowed",
               "Anthropic-Ratelimit-Unified-7d_oi-Utilization": "1.0",
               "anthropic-ratelimit-unified-7d_oi-status": "rejected",
               "anthropic-ratelimit-unified-overage-in-use": "false",
               "anthropic-ratelimit-unified-fallback-percentage": "0.5"}
    assert ratelimit_headers.windows(headers, SEEN) == {
        "unified": {"utilization": None, "status": "allowed", "resets_at": 1735707600,
                    "representative_claim": "five_hour"},
        "unified-5h": {"utilization": 0.42, "status": "allowed", "resets_at": 1735707600},
        "unified-7d_oi": {"utilization": 1.0, "status": "rejected", "resets_at": None}}


def test_refusals_name_codex_and_google_quota_windows(monkeypatch):
    monkeypatch.setattr(quota_windows, "_latest", {})
    codex = (b'{"error":{"type":"usage_limit_reached","message":"limit","plan_type":"pro",'
             b'"resets_in_seconds":120}}')
    quota_windows.note("auth:codex.json", {}, wall=lambda: SEEN, refusal=codex)
    assert quota_windows.report("auth:codex.json")["windows"] == {"usage_limit": {
        "status": "rejected", "plan_type": "pro", "resets_at": SEEN + 120,
        "resets_at_iso": "2025-01-01T00:02:00+00:00"}}
    google = (b'{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"@type":'
              b'"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}')
    assert quota_windows.refusal_windows(google, SEEN) == {
        "retry": {"status": "rejected", "resets_at": SEEN + 37}}
    assert quota_windows.refusal_windows(b"not json", SEEN) == {}
    assert quota_windows.refusal_windows(b'{"error": "plain"}', SEEN) == {}
