"""Anthropic -> IR -> Anthropic keeps the information: what a Claude client
sends or receives survives a trip through the IR (the same-dialect relay
does not translate, but every cross pair relies on both halves agreeing)."""
import pytest

from translators.claude import (StreamDecoder, StreamEncoder, parse_request, parse_response,
                                render_request, render_response)
from tests.translators.cases import cases


# IR request fields an Anthropic request carries unchanged both ways.  Left
# out: max_tokens (defaulted), top_p (dropped next to temperature),
# reasoning (adaptive becomes a budget) and response_format (rendered into
# the system prompt).
REQUEST_FIELDS = ("messages", "tools", "tool_choice", "parallel_tool_calls", "temperature",
                  "top_k", "stop", "user", "stream")

# Decoder fixtures whose upstream ran to a normal end (a truncated stream
# gains a finish when re-encoded, as an Anthropic client needs one).
COMPLETE_STREAMS = ("text", "tool_use", "thinking", "cached_usage_merge",
                    "redacted_and_parallel_tools", "error_mid_stream")


@pytest.mark.parametrize("case", cases("claude", "parse_request"))
def test_request_round_trip(case):
    first = parse_request(case["input"])
    if any(message["role"] == "system" for message in first["messages"]):
        # Mid-conversation system messages go to Anthropic as user-side
        # reminders (only some models take role "system"): by design not
        # the same IR again; tests/translators/test_cross_requests.py checks them.
        first["messages"] = [m for m in first["messages"] if m["role"] != "system"]
    again = parse_request(render_request(first, case["input"]["model"]))
    assert {key: again[key] for key in REQUEST_FIELDS} == {key: first[key] for key in REQUEST_FIELDS}
    if first["response_format"] is None:
        assert again["system"] == first["system"]


@pytest.mark.parametrize("case", cases("claude", "parse_response"))
def test_response_round_trip(case):
    first = parse_response(case["input"])
    rendered = render_response(first, case["input"]["model"], {})
    assert parse_response(rendered) == first


def decode(events):
    decoder = StreamDecoder()
    out = [event for name, data in events for event in decoder.feed(name, data)]
    return out + decoder.close()


@pytest.mark.parametrize("case", cases("claude", "decode_stream", names=COMPLETE_STREAMS))
def test_stream_round_trip(case):
    first = decode(case["input"])
    encoder = StreamEncoder(first[0]["model"], {})
    client_events = [pair for event in first for pair in encoder.feed(event)]
    assert decode(client_events) == first
