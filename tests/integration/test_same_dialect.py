"""Each official SDK against a same-dialect upstream: text, streams, tools.

The gateway passes bytes through untouched here, so what the SDK sees is
what the fake upstream sent, model names and usage included.
"""
import json

from google.genai import types as gtypes

from tests.integration import clients
from tests.integration.conftest import KEYS, MODELS
from tests.integration.fake_answers import TOOL_ARGS, USAGE


# --- OpenAI Chat Completions ---------------------------------------------

def test_openai_chat_whole(gateway, upstream):
    client = clients.openai_client(gateway)
    resp = client.chat.completions.create(
        model=MODELS["openai"], messages=[{"role": "user", "content": "hi"}])
    assert resp.choices[0].message.content == "Hello from openai"
    assert resp.model == MODELS["openai"]
    assert resp.usage.prompt_tokens == USAGE["input_tokens"]
    assert resp.usage.prompt_tokens_details.cached_tokens == USAGE["cached_tokens"]
    call = upstream.calls_for(KEYS["openai"])[-1]
    assert call.path == "/v1/chat/completions"
    assert call.headers["authorization"] == f"Bearer {KEYS['openai']}"


def test_openai_chat_stream_with_usage(gateway, upstream):
    client = clients.openai_client(gateway)
    chunks = list(client.chat.completions.create(
        model=MODELS["openai"], messages=[{"role": "user", "content": "hi"}],
        stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from openai"
    assert chunks[-1].usage.completion_tokens == USAGE["output_tokens"]


def test_openai_chat_stream_hides_usage_chunk_it_did_not_ask_for(gateway, upstream):
    client = clients.openai_client(gateway)
    chunks = list(client.chat.completions.create(
        model=MODELS["openai"], messages=[{"role": "user", "content": "hi"}], stream=True))
    assert all(c.choices for c in chunks)
    # the gateway asked upstream for usage anyway, for its own accounting
    sent = upstream.calls_for(KEYS["openai"])[-1].body
    assert sent["stream_options"] == {"include_usage": True}


def test_openai_chat_tool_round_trip(gateway, upstream):
    client = clients.openai_client(gateway)
    messages = [{"role": "user", "content": "weather in Paris?"}]
    first = client.chat.completions.create(model=MODELS["openai"], messages=messages,
                                           tools=clients.openai_tools())
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls"
    assert json.loads(call.function.arguments) == TOOL_ARGS
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "sunny"}]
    second = client.chat.completions.create(model=MODELS["openai"], messages=messages,
                                            tools=clients.openai_tools())
    assert second.choices[0].message.content == "The tool said: sunny"


def test_openai_chat_streamed_tool_call(gateway, upstream):
    client = clients.openai_client(gateway)
    chunks = list(client.chat.completions.create(
        model=MODELS["openai"], messages=[{"role": "user", "content": "weather?"}],
        tools=clients.openai_tools(), stream=True))
    args = "".join(tc.function.arguments or "" for c in chunks for tc in c.choices[0].delta.tool_calls or [])
    assert json.loads(args) == TOOL_ARGS


# --- OpenAI Responses ----------------------------------------------------

def test_responses_whole(gateway, upstream):
    client = clients.openai_client(gateway)
    resp = client.responses.create(model=MODELS["responses"], input="hi")
    assert resp.output_text == "Hello from responses"
    assert resp.usage.output_tokens_details.reasoning_tokens == USAGE["reasoning_tokens"]
    assert upstream.calls_for(KEYS["responses"])[-1].path == "/v1/responses"


def test_responses_stream(gateway, upstream):
    client = clients.openai_client(gateway)
    with client.responses.stream(model=MODELS["responses"], input="hi") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "Hello from responses"
    assert final.usage.input_tokens == USAGE["input_tokens"]


def test_responses_tool_round_trip(gateway, upstream):
    client = clients.openai_client(gateway)
    first = client.responses.create(model=MODELS["responses"], input="weather?",
                                    tools=clients.responses_tools())
    call = next(item for item in first.output if item.type == "function_call")
    assert json.loads(call.arguments) == TOOL_ARGS
    second = client.responses.create(
        model=MODELS["responses"], tools=clients.responses_tools(),
        input=[{"role": "user", "content": "weather?"},
               {"type": "function_call", "call_id": call.call_id, "name": call.name,
                "arguments": call.arguments},
               {"type": "function_call_output", "call_id": call.call_id, "output": "rainy"}])
    assert second.output_text == "The tool said: rainy"


# --- Anthropic Messages --------------------------------------------------

def test_anthropic_whole(gateway, upstream):
    client = clients.anthropic_client(gateway)
    msg = client.messages.create(model=MODELS["claude"], max_tokens=100,
                                 messages=[{"role": "user", "content": "hi"}])
    assert msg.content[0].text == "Hello from claude"
    assert msg.usage.cache_read_input_tokens == USAGE["cached_tokens"]
    call = upstream.calls_for(KEYS["claude"])[-1]
    assert call.headers["x-api-key"] == KEYS["claude"]
    assert call.headers["anthropic-version"]          # the SDK's own, forwarded
    assert "authorization" not in call.headers


def test_anthropic_stream(gateway, upstream):
    client = clients.anthropic_client(gateway)
    with client.messages.stream(model=MODELS["claude"], max_tokens=100,
                                messages=[{"role": "user", "content": "hi"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello from claude"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == USAGE["output_tokens"]


def test_anthropic_tool_round_trip(gateway, upstream):
    client = clients.anthropic_client(gateway)
    messages = [{"role": "user", "content": "weather?"}]
    first = client.messages.create(model=MODELS["claude"], max_tokens=100, messages=messages,
                                   tools=clients.anthropic_tools())
    use = next(b for b in first.content if b.type == "tool_use")
    assert use.input == TOOL_ARGS and first.stop_reason == "tool_use"
    messages += [{"role": "assistant", "content": [b.model_dump() for b in first.content]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                               "content": "windy"}]}]
    second = client.messages.create(model=MODELS["claude"], max_tokens=100, messages=messages,
                                    tools=clients.anthropic_tools())
    assert second.content[0].text == "The tool said: windy"


def test_anthropic_streamed_tool_call(gateway, upstream):
    client = clients.anthropic_client(gateway)
    with client.messages.stream(model=MODELS["claude"], max_tokens=100,
                                messages=[{"role": "user", "content": "weather?"}],
                                tools=clients.anthropic_tools()) as stream:
        final = stream.get_final_message()
    assert final.content[0].input == TOOL_ARGS


def test_anthropic_count_tokens(gateway, upstream):
    client = clients.anthropic_client(gateway)
    count = client.messages.count_tokens(model=MODELS["claude"],
                                         messages=[{"role": "user", "content": "hi"}])
    assert count.input_tokens == 42
    assert upstream.calls_for(KEYS["claude"])[-1].path == "/v1/messages/count_tokens"


# --- Gemini --------------------------------------------------------------

def test_gemini_whole(gateway, upstream):
    client = clients.gemini_client(gateway)
    resp = client.models.generate_content(model=MODELS["gemini"], contents="hi")
    assert resp.text == "Hello from gemini"
    assert resp.usage_metadata.thoughts_token_count == USAGE["reasoning_tokens"]
    call = upstream.calls_for(KEYS["gemini"])[-1]
    assert call.path == f"/v1beta/models/{MODELS['gemini']}:generateContent"
    assert call.headers["x-goog-api-key"] == KEYS["gemini"]


def test_gemini_stream(gateway, upstream):
    client = clients.gemini_client(gateway)
    chunks = list(client.models.generate_content_stream(model=MODELS["gemini"], contents="hi"))
    assert "".join(c.text or "" for c in chunks) == "Hello from gemini"
    assert chunks[-1].usage_metadata.prompt_token_count == USAGE["input_tokens"]


def test_gemini_v1_path(gateway, upstream):
    client = clients.gemini_client(gateway, api_version="v1")
    resp = client.models.generate_content(model=MODELS["gemini"], contents="hi")
    assert resp.text == "Hello from gemini"


def test_gemini_function_round_trip(gateway, upstream):
    client = clients.gemini_client(gateway)
    config = gtypes.GenerateContentConfig(tools=clients.gemini_tools())
    first = client.models.generate_content(model=MODELS["gemini"], contents="weather?",
                                           config=config)
    call = first.function_calls[0]
    assert call.args == TOOL_ARGS
    history = [gtypes.Content(role="user", parts=[gtypes.Part(text="weather?")]),
               first.candidates[0].content,
               gtypes.Content(role="user", parts=[gtypes.Part.from_function_response(
                   name=call.name, response={"forecast": "snow"})])]
    second = client.models.generate_content(model=MODELS["gemini"], contents=history,
                                            config=config)
    assert second.text == 'The tool said: {"forecast": "snow"}'


def test_gemini_count_tokens(gateway, upstream):
    client = clients.gemini_client(gateway)
    assert client.models.count_tokens(model=MODELS["gemini"], contents="hi").total_tokens == 42


def test_gemini_stream_without_alt_sse_is_one_json_array(gateway, upstream):
    for query in ("", "?alt=json"):
        text, chunks = clients.gemini_array_stream(gateway, MODELS["gemini"], query)
        assert text == "Hello from gemini" and len(chunks) > 1
        assert chunks[-1].usage_metadata.prompt_token_count == USAGE["input_tokens"]
        call = upstream.calls_for(KEYS["gemini"])[-1]     # upstream still streams SSE
        assert call.path.endswith(":streamGenerateContent?alt=sse")
