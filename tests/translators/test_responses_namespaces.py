"""Codex CLI's ``namespace`` tools (``multi_agent_v1``) across dialects: each
member travels as one flat function ``<namespace>__<name>``, history calls
carrying a namespace are flattened alike, and calls coming back reach the
Responses client split into ``name`` + ``namespace`` again, whole and streamed."""
import json

import pytest
from openai.types.responses import Response

from translators import StreamTranslator, responses, translate_request, translate_response
from translators.ir import TranslationError

SPAWN_SCHEMA = {"type": "object", "properties": {"message": {"type": "string"}},
                "required": ["message"], "additionalProperties": False}

CODEX = {
    "model": "gpt-5.2-codex",
    "instructions": "You are Codex.",
    "input": [
        {"type": "message", "role": "user",
         "content": [{"type": "input_text", "text": "Ask a helper to count files."}]},
        {"type": "function_call", "namespace": "multi_agent_v1", "name": "spawn_agent",
         "arguments": "{\"message\":\"count files\"}", "call_id": "call_spawn1"},
        {"type": "function_call_output", "call_id": "call_spawn1", "output": "agent-7 started"},
    ],
    "tools": [
        {"type": "function", "name": "shell_command", "description": "Run a command.",
         "strict": False, "parameters": {"type": "object",
                                         "properties": {"command": {"type": "string"}}}},
        {"type": "namespace", "name": "multi_agent_v1",
         "description": "Tools to work with sub-agents.",
         "tools": [
             {"type": "function", "name": "spawn_agent", "description": "Start a sub-agent.",
              "strict": False, "parameters": SPAWN_SCHEMA},
             {"type": "function", "name": "wait", "description": "Wait for agents.",
              "strict": False, "parameters": {"type": "object", "properties": {}}},
         ]},
        {"type": "web_search"},
        {"type": "tool_search"},
    ],
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "store": False,
    "stream": True,
}


def test_namespace_members_reach_anthropic_as_flat_functions():
    body = translate_request("responses", "claude", CODEX, model="claude-sonnet-4-5", stream=True)
    tools = {tool["name"]: tool for tool in body["tools"]}
    assert set(tools) == {"shell_command", "multi_agent_v1__spawn_agent", "multi_agent_v1__wait"}
    spawn = tools["multi_agent_v1__spawn_agent"]
    assert spawn["input_schema"] == SPAWN_SCHEMA
    assert spawn["description"].startswith("Start a sub-agent.")
    assert "Tools to work with sub-agents." in spawn["description"]
    use = body["messages"][1]["content"][0]
    assert (use["type"], use["name"], use["input"]) == (
        "tool_use", "multi_agent_v1__spawn_agent", {"message": "count files"})
    result = body["messages"][2]["content"][0]
    assert (result["type"], result["tool_use_id"]) == ("tool_result", "call_spawn1")


@pytest.mark.parametrize("dst", ["openai", "gemini"])
def test_namespace_members_reach_other_dialects_as_flat_functions(dst):
    body = translate_request("responses", dst, CODEX, model="m", stream=True)
    if dst == "openai":
        names = [tool["function"]["name"] for tool in body["tools"]]
    else:
        names = [d["name"] for d in body["tools"][0]["functionDeclarations"]]
    assert names == ["shell_command", "multi_agent_v1__spawn_agent", "multi_agent_v1__wait"]


def test_forcing_a_namespaced_tool_names_its_flat_function():
    request = dict(CODEX, tool_choice={"type": "function", "namespace": "multi_agent_v1",
                                       "name": "wait"})
    body = translate_request("responses", "claude", request, model="c", stream=False)
    assert body["tool_choice"] == {"type": "tool", "name": "multi_agent_v1__wait"}


def test_forcing_a_dropped_built_in_is_refused():
    request = dict(CODEX, tool_choice={"type": "tool_search"})
    with pytest.raises(TranslationError, match="forces"):
        translate_request("responses", "claude", request, model="c", stream=False)


CLAUDE_ANSWER = {
    "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
    "content": [{"type": "text", "text": "Waiting."},
                {"type": "tool_use", "id": "toolu_01", "name": "multi_agent_v1__wait",
                 "input": {}},
                {"type": "tool_use", "id": "toolu_02", "name": "shell_command",
                 "input": {"command": "ls"}}],
    "stop_reason": "tool_use", "stop_sequence": None,
    "usage": {"input_tokens": 10, "output_tokens": 5},
}


def test_whole_answer_calls_come_back_split_into_name_and_namespace():
    body = translate_response("claude", "responses", CLAUDE_ANSWER, model="gpt-5.2-codex",
                              request=CODEX)
    calls = [item for item in Response.model_validate(body).output
             if item.type == "function_call"]
    assert [(c.name, c.namespace, c.call_id) for c in calls] == [
        ("wait", "multi_agent_v1", "toolu_01"), ("shell_command", None, "toolu_02")]
    assert "namespace" not in body["output"][2]
    # ...and the client's next request, carrying that call, flattens it again.
    again = responses.parse_request(dict(CODEX, input=[body["output"][1]]))
    assert again["messages"][0]["content"][0]["name"] == "multi_agent_v1__wait"


def test_streamed_call_comes_back_split_into_name_and_namespace():
    events = [
        ("message_start", {"type": "message_start", "message": dict(
            CLAUDE_ANSWER, content=[], stop_reason=None)}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {
            "type": "tool_use", "id": "toolu_01", "name": "multi_agent_v1__spawn_agent",
            "input": {}}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {
            "type": "input_json_delta", "partial_json": "{\"message\":\"hi\"}"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use",
                                                              "stop_sequence": None},
                           "usage": {"output_tokens": 7}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    translator = StreamTranslator("claude", "responses", model="gpt-5.2-codex", request=CODEX)
    out = [pair for name, data in events for pair in translator.feed(name, data)]
    out += translator.close()
    by_type = {}
    for _name, payload in out:
        by_type.setdefault(payload["type"], []).append(payload)
    added = by_type["response.output_item.added"][0]["item"]
    done = by_type["response.output_item.done"][0]["item"]
    for item in (added, done):
        assert (item["name"], item["namespace"]) == ("spawn_agent", "multi_agent_v1")
    assert json.loads(done["arguments"]) == {"message": "hi"}
    assert by_type["response.function_call_arguments.done"][0]["name"] == "spawn_agent"
    final = Response.model_validate(by_type["response.completed"][0]["response"])
    assert (final.output[0].name, final.output[0].namespace) == ("spawn_agent", "multi_agent_v1")
