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
