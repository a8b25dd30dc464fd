"""Request shapes today's coding CLIs send, through the real server to an
upstream of another dialect (the fake upstream records what it received).

Claude Code sends ``role: "system"`` messages inside ``messages``, its
billing-header system block and top-level keys such as
``context_management``; Codex CLI sends a ``namespace`` tool
(``multi_agent_v1``).  None of it may turn a request an upstream can serve
into a 400 (translators/README.md, "Never refuse the unseen").
"""
import json

from tests.integration import clients
from tests.integration.conftest import KEYS, MODELS
from tests.integration.fake_answers import TOOL_ARGS

CLAUDE_CODE = {
    "max_tokens": 1024,
    "system": [
        {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.3; cc_entrypoint=cli"},
        {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
    "messages": [
        {"role": "user", "content": "Fix the bug."},
        {"role": "assistant", "content": "Done."},
        {"role": "system", "content": "The user switched to plan mode."},
        {"role": "user", "content": "Plan the next step."}],
}
CONTEXT_MANAGEMENT = {"context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]}}


def test_claude_code_request_reaches_a_chat_completions_upstream(gateway, upstream):
    client = clients.anthropic_client(gateway)
    answer = client.messages.create(model=MODELS["openai"], extra_body=CONTEXT_MANAGEMENT,
                                    **CLAUDE_CODE)
    assert answer.content[0].type == "text"
    sent = upstream.calls_for(KEYS["openai"])[-1].body
    assert [m["role"] for m in sent["messages"]] == [
        "system", "user", "assistant", "system", "user"]
    assert sent["messages"][0]["content"] == "You are Claude Code."
    assert sent["messages"][3]["content"] == "The user switched to plan mode."
    assert "context_management" not in sent
    assert "x-anthropic-billing-header" not in json.dumps(sent)


def test_claude_code_stream_reaches_a_responses_upstream(gateway, upstream):
    client = clients.anthropic_client(gateway)
    with client.messages.stream(model=MODELS["responses"], extra_body=CONTEXT_MANAGEMENT,
                                **CLAUDE_CODE) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "text"
    sent = upstream.calls_for(KEYS["responses"])[-1].body
    assert sent["instructions"] == "You are Claude Code."
    assert [(i["role"], i["type"]) for i in sent["input"]][2] == ("developer", "message")


NAMESPACE = {"type": "namespace", "name": "multi_agent_v1",
             "description": "Tools to work with sub-agents.",
             "tools": [{"type": "function", "name": "spawn_agent", "description": "Start one.",
                        "strict": False,
                        "parameters": {"type": "object",
                                       "properties": {"city": {"type": "string"}}}}]}


def test_codex_namespace_tool_is_called_back_with_its_namespace(gateway, upstream):
    client = clients.openai_client(gateway)
    with client.responses.stream(
            model=MODELS["claude"], instructions="You are Codex.",
            input=[{"type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": "Spawn a helper."}]}],
            tools=[NAMESPACE, {"type": "web_search"}], store=False) as stream:
        final = stream.get_final_response()
    offered = [tool["name"] for tool in upstream.calls_for(KEYS["claude"])[-1].body["tools"]]
    assert offered == ["multi_agent_v1__spawn_agent"]
    call = final.output[-1]
    assert (call.type, call.name, call.namespace) == ("function_call", "spawn_agent",
                                                      "multi_agent_v1")
    assert json.loads(call.arguments) == TOOL_ARGS
