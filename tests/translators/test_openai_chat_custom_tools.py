"""Chat Completions ``custom`` (freeform) tools across dialects: declared to
a Responses upstream as custom tools (grammar kept), to every other upstream
as a function with one string ``input``; history calls travel both ways;
calls coming back reach the Chat client as ``custom`` tool calls, whole and
streamed, in the SDK's shapes."""
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from translators import StreamTranslator, responses, translate_request, translate_response

GRAMMAR = 'start: "SELECT " /[a-z*, ]+/ " FROM " /[a-z]+/'
CHAT = {
    "model": "gpt-5",
    "messages": [
        {"role": "user", "content": "How many users?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_sql1", "type": "custom",
             "custom": {"name": "sql", "input": "SELECT count(*) FROM users"}}]},
        {"role": "tool", "tool_call_id": "call_sql1", "content": "42"},
        {"role": "user", "content": "And orders?"},
    ],
    "tools": [
        {"type": "custom", "custom": {"name": "sql", "description": "Run SQL.",
                                      "format": {"type": "grammar", "grammar": {
                                          "definition": GRAMMAR, "syntax": "lark"}}}},
        {"type": "function", "function": {"name": "now", "parameters": {"type": "object"}}},
    ],
    "tool_choice": {"type": "custom", "custom": {"name": "sql"}},
}


def test_custom_tool_reaches_responses_as_a_custom_tool_with_its_grammar():
    body = translate_request("openai", "responses", CHAT, model="gpt-5", stream=False)
    assert body["tools"][0] == {"type": "custom", "name": "sql", "description": "Run SQL.",
                                "format": {"type": "grammar", "syntax": "lark",
                                           "definition": GRAMMAR}}
    assert body["tool_choice"] == {"type": "custom", "name": "sql"}
    kinds = [item["type"] for item in body["input"]]
    assert kinds == ["message", "custom_tool_call", "custom_tool_call_output", "message"]
    assert body["input"][1]["input"] == "SELECT count(*) FROM users"
    assert responses.parse_request(body)["tools"][0]["custom"]["format"]["definition"] == GRAMMAR


def test_custom_tool_reaches_anthropic_as_a_function_with_one_string_input():
    body = translate_request("openai", "claude", CHAT, model="claude-sonnet-4-5", stream=False)
    sql = body["tools"][0]
    assert sql["name"] == "sql" and sql["input_schema"]["required"] == ["input"]
    assert GRAMMAR in sql["input_schema"]["properties"]["input"]["description"]
    assert body["tool_choice"] == {"type": "tool", "name": "sql"}
    use = body["messages"][1]["content"][0]
    assert use["input"] == {"input": "SELECT count(*) FROM users"}


CLAUDE_ANSWER = {
    "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
    "content": [{"type": "tool_use", "id": "toolu_01", "name": "sql",
                 "input": {"input": "SELECT count(*) FROM orders"}},
                {"type": "tool_use", "id": "toolu_02", "name": "now", "input": {}}],
    "stop_reason": "tool_use", "stop_sequence": None,
    "usage": {"input_tokens": 10, "output_tokens": 5},
}


def test_whole_answer_gives_the_chat_client_a_custom_call():
    body = translate_response("claude", "openai", CLAUDE_ANSWER, model="gpt-5", request=CHAT)
    calls = ChatCompletion.model_validate(body).choices[0].message.tool_calls
    assert (calls[0].type, calls[0].custom.name, calls[0].custom.input) == (
        "custom", "sql", "SELECT count(*) FROM orders")
    assert (calls[1].type, calls[1].function.name) == ("function", "now")


def test_streamed_answer_gives_the_chat_client_a_custom_call():
    events = [
        ("message_start", {"type": "message_start", "message": dict(
            CLAUDE_ANSWER, content=[], stop_reason=None)}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {
            "type": "tool_use", "id": "toolu_01", "name": "sql", "input": {}}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {
            "type": "input_json_delta", "partial_json": "{\"input\": \"SELECT 1"}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {
            "type": "input_json_delta", "partial_json": " FROM orders\"}"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use",
                                                              "stop_sequence": None},
                           "usage": {"output_tokens": 7}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    translator = StreamTranslator("claude", "openai", model="gpt-5", request=CHAT)
    out = [pair for name, data in events for pair in translator.feed(name, data)]
    chunks = [p for _n, p in out + translator.close() if isinstance(p, dict)]
    # The wire shape OpenAI streams for custom calls (index, id, type "custom",
    # custom {name, input}); the SDK's chunk type still lists only functions
    # (openai/openai-openapi#576), so the rest of each chunk is checked by it.
    deltas = [call for c in chunks for choice in c["choices"]
              for call in choice["delta"].get("tool_calls") or []]
    assert deltas[0] == {"index": 0, "id": "toolu_01", "type": "custom",
                         "custom": {"name": "sql", "input": ""}}
    assert "".join(d["custom"]["input"] for d in deltas) == "SELECT 1 FROM orders"
    assert all(set(d) <= {"index", "id", "type", "custom"} for d in deltas)
    for chunk in chunks:
        for choice in chunk["choices"]:
            choice["delta"].pop("tool_calls", None)
        ChatCompletionChunk.model_validate(chunk)
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "tool_calls"
