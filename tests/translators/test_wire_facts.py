"""Wire facts each dialect package exports for the gateway (keep-alives,
error and last events, tool calls in raw events, model naming, token
counts): the same names everywhere, and each fact right for its dialect's
real event shapes."""
import orjson
import pytest

import translators
from translators.ir import TranslationError

WIRE_NAMES = ("HEADER_PREFIXES", "KEEPALIVE", "STREAM_END", "TOOL_CALL_MARK", "TOOL_CALL_SIGNATURES",
              "TURNS_KEY", "TURN_PARTS_KEY", "REQUEST_ID_HEADER",
              "is_error_event", "stream_tool_calls", "with_model", "counted_request",
              "count_request", "parse_count")


def _sse(name, payload):
    data = payload if isinstance(payload, str) else orjson.dumps(payload).decode()
    return (f"event: {name}\n" if name else "").encode() + f"data: {data}\n\n".encode()


@pytest.mark.parametrize("name", translators.DIALECTS)
def test_every_dialect_exports_the_same_wire_names(name):
    module = translators.dialect(name)
    assert [n for n in WIRE_NAMES if not hasattr(module, n)] == []


def test_keepalives_are_what_each_provider_sends_while_idle():
    # Anthropic pings (Messages streaming docs); the others get an SSE comment
    assert translators.dialect("claude").KEEPALIVE == b'event: ping\ndata: {"type": "ping"}\n\n'
    for name in ("openai", "responses", "gemini"):
        assert translators.dialect(name).KEEPALIVE.startswith(b":")


@pytest.mark.parametrize("dialect,name,data,expected", [
    ("claude", "error", '{"type":"error","error":{"type":"overloaded_error"}}', True),
    ("claude", "message_start", '{"type":"message_start"}', False),
    ("responses", "response.failed", '{"type":"response.failed"}', True),
    ("responses", "error", '{"type":"error","code":"server_error"}', True),
    ("responses", "response.created", '{"type":"response.created"}', False),
    ("openai", None, ' {"error": {"message": "boom"}}', True),
    ("openai", None, '{"id":"c1","choices":[]}', False),
    ("gemini", None, '{"error": {"code": 500, "status": "INTERNAL"}}', True),
    ("gemini", None, '{"candidates":[]}', False),
])
def test_error_events(dialect, name, data, expected):
    assert translators.dialect(dialect).is_error_event(name, data) is expected


# The last raw event of a complete stream, and one that is not.
ENDINGS = [
    ("openai", _sse(None, "[DONE]"), _sse(None, {"choices": [{"delta": {"content": "Hi"}}]})),
    ("openai", _sse(None, {"choices": [{"delta": {}, "finish_reason": "stop"}]}),
     _sse(None, {"choices": [{"delta": {"content": "x"}, "finish_reason": None}]})),
    ("claude", _sse("message_stop", {"type": "message_stop"}),
     _sse("content_block_stop", {"type": "content_block_stop", "index": 0})),
    ("claude", _sse("error", {"type": "error", "error": {"type": "api_error"}}),
     _sse("ping", {"type": "ping"})),
    ("responses", _sse("response.completed", {"type": "response.completed"}),
     _sse("response.output_text.delta", {"type": "response.output_text.delta", "delta": "x"})),
    ("responses", _sse("response.incomplete", {"type": "response.incomplete"}),
     _sse("response.output_item.done", {"type": "response.output_item.done"})),
    ("gemini", _sse(None, {"candidates": [{"content": {"parts": [{"text": "x"}]},
                                           "finishReason": "STOP"}]}),
     _sse(None, {"candidates": [{"content": {"parts": [{"text": "x"}]}}]})),
    ("gemini", _sse(None, {"error": {"code": 500}}), _sse(None, {"candidates": []})),
]


@pytest.mark.parametrize("dialect,last,not_last", ENDINGS)
def test_stream_end_matches_only_a_last_event(dialect, last, not_last):
    end = translators.dialect(dialect).STREAM_END
    assert end.search(last) and not end.search(not_last)


# A tool call as each provider streams it: the raw event carries the mark,
# and stream_tool_calls reads (name, id) from the parsed event.
TOOL_EVENTS = [
    ("claude", {"type": "content_block_start", "index": 1, "content_block": {
        "type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}}},
     [("get_weather", "toolu_01")]),
    ("openai", {"id": "c1", "choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "id": "call_1", "type": "function",
         "function": {"name": "get_weather", "arguments": ""}},
        {"index": 1, "function": {"arguments": "{}"}}]}}]},
     [("get_weather", "call_1")]),
    ("responses", {"type": "response.output_item.added", "output_index": 0, "item": {
        "type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather",
        "arguments": ""}}, [("get_weather", "call_1")]),
    ("gemini", {"candidates": [{"content": {"role": "model", "parts": [
        {"functionCall": {"name": "get_weather", "args": {}}, "thoughtSignature": "sig"}]}}]},
     [("get_weather", None)]),
]


@pytest.mark.parametrize("dialect,event,calls", TOOL_EVENTS)
def test_tool_calls_in_raw_events(dialect, event, calls):
    module = translators.dialect(dialect)
    assert module.TOOL_CALL_MARK in orjson.dumps(event)
    assert module.stream_tool_calls(event) == calls


def test_only_gemini_tool_calls_carry_signatures_to_keep():
    assert [n for n in translators.DIALECTS if translators.dialect(n).TOOL_CALL_SIGNATURES] \
        == ["gemini"]


@pytest.mark.parametrize("name", ["openai", "responses", "claude"])
def test_with_model_renames_in_the_body(name):
    body = {"model": "alias", "stream": True}
    assert translators.dialect(name).with_model(body, "real") == {"model": "real", "stream": True}
    assert body["model"] == "alias"                              # the client's dict untouched
    assert translators.dialect(name).with_model(body, "alias") is body


def test_gemini_names_the_model_in_the_url_not_the_body():
    body = {"contents": []}
    assert translators.dialect("gemini").with_model(body, "gemini-2.5-pro") is body


def test_count_requests_take_what_each_endpoint_accepts():
    claude = translators.dialect("claude").count_request(
        {"model": "m", "max_tokens": 5, "messages": [], "system": "s", "stream": False}, "m")
    assert claude == {"model": "m", "messages": [], "system": "s"}
    responses = translators.dialect("responses").count_request(
        {"model": "m", "input": "hi", "max_output_tokens": 5, "store": False}, "m")
    assert responses == {"model": "m", "input": "hi"}
    gemini = translators.dialect("gemini").count_request({"contents": []}, "gemini-2.5-pro")
    assert gemini == {"generateContentRequest": {"contents": [],
                                                 "model": "models/gemini-2.5-pro"}}
    with pytest.raises(TranslationError):
        translators.dialect("openai").count_request({"model": "m", "messages": []}, "m")


def test_counted_request_unwraps_gemini_generate_content_request():
    inner = {"contents": [{"parts": [{"text": "hi"}]}]}
    assert translators.dialect("gemini").counted_request({"generateContentRequest": inner}) \
        is inner
    assert translators.dialect("gemini").counted_request(inner) is inner
    assert translators.dialect("claude").counted_request({"messages": []}) == {"messages": []}


@pytest.mark.parametrize("name,answer,n", [
    ("claude", {"input_tokens": 12}, 12),
    ("responses", {"object": "response.input_tokens", "input_tokens": 7}, 7),
    ("gemini", {"totalTokens": 31, "promptTokensDetails": []}, 31),
    ("gemini", {}, 0),
])
def test_parse_count(name, answer, n):
    assert translators.dialect(name).parse_count(answer) == n


def test_render_error_carries_openai_code_and_param_only_where_the_shape_has_them():
    body = translators.render_error("openai", 400, "bad", code="missing_model", param="model")
    assert body["error"]["code"] == "missing_model" and body["error"]["param"] == "model"
    claude = translators.render_error("claude", 400, "bad", code="missing_model", param="model")
    assert claude == {"type": "error", "error": {"type": "invalid_request_error",
                                                 "message": "bad"}}
