"""The fake upstream's reasoning mode (used by the real-CLI suite) speaks
Anthropic's wire format: a signed thinking block first, and the 400 for a
tool loop whose history lost it, relayed as is to a same-dialect client."""
import anthropic
import pytest

from tests.integration import clients
from tests.integration.conftest import KEYS, MODELS
from tests.integration.fake_reasoning import CLAUDE_SIGNATURE, THOUGHT

THINKING = {"type": "enabled", "budget_tokens": 1024}


def test_a_reasoning_stream_starts_with_a_signed_thinking_block(gateway, upstream):
    upstream.reason(KEYS["claude"])
    client = clients.anthropic_client(gateway)
    with client.messages.stream(model=MODELS["claude"], max_tokens=2048, thinking=THINKING,
                                messages=[{"role": "user", "content": "hi"}]) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert (final.content[0].thinking, final.content[0].signature) == (THOUGHT, CLAUDE_SIGNATURE)


def test_a_tool_loop_without_its_thinking_block_is_refused(gateway, upstream):
    upstream.reason(KEYS["claude"])
    client = clients.anthropic_client(gateway)
    messages = [{"role": "user", "content": "weather?"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1",
                                                   "name": "get_weather",
                                                   "input": {"city": "Paris"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                              "content": "sunny"}]}]
    with pytest.raises(anthropic.BadRequestError) as caught:
        client.messages.create(model=MODELS["claude"], max_tokens=2048, thinking=THINKING,
                               messages=messages, tools=clients.anthropic_tools())
    assert "must start with a thinking block" in caught.value.message
