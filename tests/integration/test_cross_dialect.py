"""Every client dialect against every other upstream dialect (12 pairs),
through the real server with the official SDKs: text, streams, a tool call
and its result, an image, a reasoning request, and usage numbers.

The fake upstream answers in its own dialect (``fake_answers``); what the
SDK reads back has been translated by the gateway, and what the upstream
received has been translated the other way.
"""
import base64
import json

import pytest
from google.genai import types as gtypes

from tests.integration import clients
from tests.integration.conftest import KEYS, MODELS
from tests.integration.fake_upstream import Fault
from tests.integration.fake_answers import TOOL_ARGS, USAGE

DIALECTS = ["openai", "responses", "claude", "gemini"]
PAIRS = [(c, u) for c in DIALECTS for u in DIALECTS if c != u]
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")).decode()


# --- one adapter per client dialect -----------------------------------------

class OpenAIChat:
    def __init__(self, gw):
        self.client = clients.openai_client(gw)

    def text(self, model, **extra):
        resp = self.client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": extra.pop("content", "hi")}], **extra)
        return resp.choices[0].message.content, resp.usage

    def stream(self, model):
        chunks = list(self.client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}], stream=True,
            stream_options={"include_usage": True}))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        return text, chunks[-1].usage

    def tool_round_trip(self, model):
        messages = [{"role": "user", "content": "weather?"}]
        first = self.client.chat.completions.create(model=model, messages=messages,
                                                    tools=clients.openai_tools())
        call = first.choices[0].message.tool_calls[0]
        assert json.loads(call.function.arguments) == TOOL_ARGS
        messages += [first.choices[0].message.model_dump(exclude_none=True),
                     {"role": "tool", "tool_call_id": call.id, "content": "sunny"}]
        second = self.client.chat.completions.create(model=model, messages=messages,
                                                     tools=clients.openai_tools())
        return second.choices[0].message.content

    def image(self, model):
        return self.text(model, content=[
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}])

    def reasoning(self, model):
        return self.text(model, reasoning_effort="high")

    @staticmethod
    def usage(u):
        return {"input": u.prompt_tokens, "output": u.completion_tokens,
                "cached": u.prompt_tokens_details.cached_tokens}


class Responses:
    def __init__(self, gw):
        self.client = clients.openai_client(gw)

    def text(self, model, **extra):
        resp = self.client.responses.create(model=model, input=extra.pop("input", "hi"), **extra)
        return resp.output_text, resp.usage

    def stream(self, model):
        with self.client.responses.stream(model=model, input="hi") as stream:
            text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
            final = stream.get_final_response()
        return text, final.usage

    def tool_round_trip(self, model):
        first = self.client.responses.create(model=model, input="weather?",
                                             tools=clients.responses_tools())
        call = next(i for i in first.output if i.type == "function_call")
        assert json.loads(call.arguments) == TOOL_ARGS
        second = self.client.responses.create(model=model, tools=clients.responses_tools(), input=[
            {"role": "user", "content": "weather?"},
            {"type": "function_call", "call_id": call.call_id, "name": call.name,
             "arguments": call.arguments},
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}])
        return second.output_text

    def image(self, model):
        return self.text(model, input=[{"role": "user", "content": [
            {"type": "input_text", "text": "what is this?"},
            {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"}]}])

    def reasoning(self, model):
        return self.text(model, reasoning={"effort": "high"})

    @staticmethod
    def usage(u):
        return {"input": u.input_tokens, "output": u.output_tokens,
                "cached": u.input_tokens_details.cached_tokens}


class Claude:
    def __init__(self, gw):
        self.client = clients.anthropic_client(gw)

    def text(self, model, **extra):
        content = extra.pop("content", "hi")
        msg = self.client.messages.create(model=model, max_tokens=extra.pop("max_tokens", 200),
                                          messages=[{"role": "user", "content": content}], **extra)
        return "".join(b.text for b in msg.content if b.type == "text"), msg.usage

    def stream(self, model):
        with self.client.messages.stream(model=model, max_tokens=200,
                                         messages=[{"role": "user", "content": "hi"}]) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
        return text, final.usage

    def tool_round_trip(self, model):
        messages = [{"role": "user", "content": "weather?"}]
        first = self.client.messages.create(model=model, max_tokens=200, messages=messages,
                                            tools=clients.anthropic_tools())
        use = next(b for b in first.content if b.type == "tool_use")
        assert use.input == TOOL_ARGS and first.stop_reason == "tool_use"
        messages += [{"role": "assistant", "content": [b.model_dump() for b in first.content]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                                   "content": "sunny"}]}]
        second = self.client.messages.create(model=model, max_tokens=200, messages=messages,
                                             tools=clients.anthropic_tools())
        return second.content[0].text

    def image(self, model):
        return self.text(model, content=[
            {"type": "text", "text": "what is this?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}])

    def reasoning(self, model):
        return self.text(model, max_tokens=8000,
                         thinking={"type": "enabled", "budget_tokens": 4096})

    @staticmethod
    def usage(u):
        cached = u.cache_read_input_tokens or 0
        return {"input": u.input_tokens + cached + (u.cache_creation_input_tokens or 0),
                "output": u.output_tokens, "cached": cached}


class Gemini:
    def __init__(self, gw):
        self.client = clients.gemini_client(gw)

    def text(self, model, contents="hi", config=None):
        resp = self.client.models.generate_content(model=model, contents=contents, config=config)
        return resp.text, resp.usage_metadata

    def stream(self, model):
        chunks = list(self.client.models.generate_content_stream(model=model, contents="hi"))
        return "".join(c.text or "" for c in chunks), chunks[-1].usage_metadata

    def tool_round_trip(self, model):
        config = gtypes.GenerateContentConfig(tools=clients.gemini_tools())
        first = self.client.models.generate_content(model=model, contents="weather?", config=config)
        call = first.function_calls[0]
        assert call.args == TOOL_ARGS
        history = [gtypes.Content(role="user", parts=[gtypes.Part(text="weather?")]),
                   first.candidates[0].content,
                   gtypes.Content(role="user", parts=[gtypes.Part.from_function_response(
                       name=call.name, response={"result": "sunny"})])]
        return self.client.models.generate_content(model=model, contents=history,
                                                   config=config).text

    def image(self, model):
        return self.text(model, contents=[gtypes.Part(text="what is this?"),
                                          gtypes.Part.from_bytes(data=base64.b64decode(PNG),
                                                                 mime_type="image/png")])

    def reasoning(self, model):
        return self.text(model, config=gtypes.GenerateContentConfig(
            thinking_config=gtypes.ThinkingConfig(thinking_budget=8192)))

    @staticmethod
    def usage(u):
        return {"input": u.prompt_token_count,
                "output": (u.candidates_token_count or 0) + (u.thoughts_token_count or 0),
                "cached": u.cached_content_token_count or 0}


ADAPTERS = {"openai": OpenAIChat, "responses": Responses, "claude": Claude, "gemini": Gemini}
EXPECTED_USAGE = {"input": USAGE["input_tokens"], "output": USAGE["output_tokens"],
                  "cached": USAGE["cached_tokens"]}


def _adapter(client_dialect, gateway):
    return ADAPTERS[client_dialect](gateway)


def _sent(upstream, dialect):
    return upstream.calls_for(KEYS[dialect])[-1].body


# --- the matrix --------------------------------------------------------------

@pytest.mark.parametrize("client,up", PAIRS)
def test_text_and_usage(gateway, upstream, client, up):
    adapter = _adapter(client, gateway)
    text, usage = adapter.text(MODELS[up])
    assert text == f"Hello from {up}"
    assert adapter.usage(usage) == EXPECTED_USAGE


@pytest.mark.parametrize("client,up", PAIRS)
def test_stream(gateway, upstream, client, up):
    adapter = _adapter(client, gateway)
    text, usage = adapter.stream(MODELS[up])
    assert text == f"Hello from {up}"
    assert adapter.usage(usage) == EXPECTED_USAGE


@pytest.mark.parametrize("client,up", PAIRS)
def test_tool_round_trip(gateway, upstream, client, up):
    answer = _adapter(client, gateway).tool_round_trip(MODELS[up])
    assert answer.startswith("The tool said: ") and "sunny" in answer


@pytest.mark.parametrize("client,up", PAIRS)
def test_image_reaches_upstream(gateway, upstream, client, up):
    _adapter(client, gateway).image(MODELS[up])
    assert PNG in json.dumps(_sent(upstream, up))


REASONING_FIELD = {
    "openai": lambda body: body.get("reasoning_effort"),
    "responses": lambda body: (body.get("reasoning") or {}).get("effort"),
    "claude": lambda body: (body.get("thinking") or {}).get("budget_tokens"),
    "gemini": lambda body: ((body.get("generationConfig") or {}).get("thinkingConfig") or {}),
}


@pytest.mark.parametrize("client,up", PAIRS)
def test_reasoning_request_translated(gateway, upstream, client, up):
    text, _ = _adapter(client, gateway).reasoning(MODELS[up])
    assert text == f"Hello from {up}"
    assert REASONING_FIELD[up](_sent(upstream, up))


@pytest.mark.parametrize("client,up", [("openai", "claude"), ("claude", "openai"),
                                       ("gemini", "responses")])
def test_translated_stream_broken_mid_way_ends_with_an_error(gateway, upstream, client, up):
    upstream.script(KEYS[up], Fault(drop_after=2))
    with pytest.raises(Exception, match="closed the connection mid-answer; the answer is incomplete"):
        _adapter(client, gateway).stream(MODELS[up])


def test_translated_responses_stream_ends_with_error_event(gateway, upstream):
    upstream.script(KEYS["gemini"], Fault(drop_after=1))
    events = list(clients.openai_client(gateway).responses.create(
        model=MODELS["gemini"], input="hi", stream=True))
    assert events[0].type == "response.created"
    assert events[-1].type == "error" and "the answer is incomplete" in events[-1].message
    assert [e.sequence_number for e in events] == list(range(len(events)))


@pytest.mark.parametrize("up,source", [("gemini", "upstream"), ("responses", "upstream"),
                                       ("openai", "estimate"), ("claude", "upstream")])
def test_anthropic_count_tokens_for_any_upstream(gateway, upstream, up, source):
    resp = clients.anthropic_client(gateway).messages.with_raw_response.count_tokens(
        model=MODELS[up], messages=[{"role": "user", "content": "how many tokens is this?"}])
    assert resp.headers["x-switchyard-token-count"] == source
    count = resp.parse().input_tokens
    assert count == 42 if source == "upstream" else 0 < count < 42


@pytest.mark.parametrize("up,source", [("claude", "upstream"), ("openai", "estimate")])
def test_gemini_count_tokens_for_any_upstream(gateway, upstream, up, source):
    client = clients.gemini_client(gateway)
    total = client.models.count_tokens(model=MODELS[up], contents="how many tokens?").total_tokens
    assert total == 42 if source == "upstream" else 0 < total < 42
    if source == "upstream":
        assert upstream.calls_for(KEYS[up])[-1].path.endswith("count_tokens")


@pytest.mark.parametrize("client", ["openai", "claude", "responses"])
def test_gemini_tool_call_signature_returned_for_clients_that_cannot(gateway, upstream, client):
    from tests.integration.fake_answers import GEMINI_SIGNATURE
    _adapter(client, gateway).tool_round_trip(MODELS["gemini"])
    history = _sent(upstream, "gemini")["contents"]
    calls = [p for turn in history for p in turn["parts"] if "functionCall" in p]
    assert calls and calls[-1]["thoughtSignature"] == GEMINI_SIGNATURE


@pytest.mark.parametrize("up", ["openai", "claude"])
def test_gemini_array_stream_from_other_upstreams(gateway, upstream, up):
    text, chunks = clients.gemini_array_stream(gateway, MODELS[up])
    assert text == f"Hello from {up}"
    assert chunks[-1].candidates[0].finish_reason == gtypes.FinishReason.STOP
    assert chunks[-1].usage_metadata.prompt_token_count == USAGE["input_tokens"]


# What Claude Code sends beside its body (besides the SDK's own
# anthropic-version and x-stainless-* headers).
CLAUDE_CODE_HEADERS = {"anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
                       "x-claude-code-session-id": "0b3c-session", "x-app": "cli"}


@pytest.mark.parametrize("up", ["claude", "openai", "responses", "gemini"])
def test_anthropic_headers_reach_anthropic_upstreams_only(gateway, upstream, up):
    client = clients.anthropic_client(gateway).with_options(default_headers=CLAUDE_CODE_HEADERS)
    client.messages.create(model=MODELS[up], max_tokens=20,
                           messages=[{"role": "user", "content": "hi"}])
    client.messages.count_tokens(model=MODELS[up], messages=[{"role": "user", "content": "hi"}])
    calls = upstream.calls_for(KEYS[up])
    assert calls, f"no call reached the {up} upstream"
    for call in calls:
        anthropic_own = {k for k in call.headers if k.startswith(("anthropic-", "x-claude-code-"))}
        if up == "claude":    # same dialect: the client's headers pass through
            assert call.headers["anthropic-beta"] == CLAUDE_CODE_HEADERS["anthropic-beta"]
            assert call.headers["x-claude-code-session-id"] == "0b3c-session"
            assert call.headers["anthropic-version"]
        else:
            assert anthropic_own == set(), f"{call.path} got {sorted(anthropic_own)}"
        assert call.headers["x-app"] == "cli"     # no provider's own: goes everywhere
        assert call.headers["user-agent"].startswith("Anthropic/Python")
