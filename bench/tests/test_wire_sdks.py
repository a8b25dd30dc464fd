"""The mock's answers, read by the official SDKs: if they parse them into
the right text and usage, the wire formats are the real ones."""
import anthropic
import openai
import pytest
from google import genai
from google.genai import types as genai_types

from bench import wire

TEXT = wire.full_text(16)


@pytest.fixture
def oai(base_url):
    return openai.OpenAI(base_url=base_url + "/v1", api_key="k", max_retries=0)


@pytest.fixture
def claude(base_url):
    return anthropic.Anthropic(base_url=base_url, api_key="k", max_retries=0)


@pytest.fixture
def gemini(base_url):
    return genai.Client(api_key="k", http_options=genai_types.HttpOptions(base_url=base_url))


def test_openai_chat_whole(oai):
    reply = oai.chat.completions.create(model="m1", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == TEXT
    assert (reply.model, reply.usage.completion_tokens) == ("m1", 16)


def test_openai_chat_stream_with_usage(oai):
    chunks = list(oai.chat.completions.create(
        model="m1", messages=[{"role": "user", "content": "hi"}], stream=True,
        stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == TEXT
    assert chunks[-1].usage.completion_tokens == 16
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


def test_responses_whole(oai):
    reply = oai.responses.create(model="m2", input="hi")
    assert reply.output_text == TEXT
    assert reply.usage.output_tokens == 16


def test_responses_stream(oai):
    events = list(oai.responses.create(model="m2", input="hi", stream=True))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == TEXT
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == TEXT
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_anthropic_whole(claude):
    reply = claude.messages.create(model="c1", max_tokens=50,
                                   messages=[{"role": "user", "content": "hi"}])
    assert reply.content[0].text == TEXT
    assert (reply.stop_reason, reply.usage.output_tokens) == ("end_turn", 16)


def test_anthropic_stream(claude):
    with claude.messages.stream(model="c1", max_tokens=50,
                                messages=[{"role": "user", "content": "hi"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == TEXT
    assert (final.stop_reason, final.usage.output_tokens) == ("end_turn", 16)


def test_gemini_whole(gemini):
    reply = gemini.models.generate_content(model="g1", contents="hi")
    assert reply.text == TEXT
    assert reply.usage_metadata.candidates_token_count == 16


def test_gemini_stream(gemini):
    chunks = list(gemini.models.generate_content_stream(model="g1", contents="hi"))
    assert "".join(c.text for c in chunks) == TEXT
    assert chunks[-1].candidates[0].finish_reason == genai_types.FinishReason.STOP
