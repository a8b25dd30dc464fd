"""The Gemini tool-call signature cache."""
from proxy.relay.signatures import SignatureCache


def _history(call_id, signature=None):
    call = {"type": "tool_call", "id": call_id, "name": "f", "arguments": "{}"}
    if signature:
        call["signature"] = signature
    return {"messages": [{"role": "assistant", "content": [call]}]}


def test_remembered_from_responses_and_streams_then_filled():
    cache = SignatureCache()
    cache.note_response({"content": [{"type": "tool_call", "id": "c1", "signature": "sig1"},
                                     {"type": "text", "text": "x"}]})
    cache.note_event({"type": "block_start", "index": 0,
                      "block": {"type": "tool_call", "id": "c2", "name": "f", "signature": "sig2"}})
    for call_id, signature in (("c1", "sig1"), ("c2", "sig2")):
        request = _history(call_id)
        cache.fill_request(request)
        assert request["messages"][0]["content"][0]["signature"] == signature


def test_unknown_calls_get_none_and_own_signatures_are_kept():
    cache = SignatureCache()
    cache.remember("c1", "cached")
    unknown, own = _history("c9"), _history("c1", "client-sent")
    cache.fill_request(unknown)
    cache.fill_request(own)
    assert "signature" not in unknown["messages"][0]["content"][0]
    assert own["messages"][0]["content"][0]["signature"] == "client-sent"


def test_bounded_least_recently_used():
    cache = SignatureCache(max_entries=2)
    cache.remember("a", "1")
    cache.remember("b", "2")
    assert cache.recall("a") == "1"        # a is now the most recent
    cache.remember("c", "3")
    assert cache.recall("b") is None and cache.recall("a") == "1" and cache.recall("c") == "3"
