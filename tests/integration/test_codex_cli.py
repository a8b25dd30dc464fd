"""A Codex CLI session against Anthropic and Gemini upstreams, through the
real server with the official openai SDK.

Codex streams Responses requests declaring a ``custom`` (freeform)
``apply_patch`` tool, a ``shell`` function and the hosted ``web_search``,
plus settings only OpenAI knows (store, include, prompt_cache_key,
text.verbosity).  The fake upstream calls the first tool it is offered
with ``TOOL_ARGS``; ``apply_patch`` comes first, so the client must get a
``custom_tool_call`` back, and the model's JSON (which ignored the ``input``
schema) reaches it verbatim as the raw input.
"""
import json

import pytest

from tests.integration import clients
from tests.integration.conftest import KEYS, MODELS
from tests.integration.fake_answers import TOOL_ARGS

GRAMMAR = ('start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\n'
           'end_patch: "*** End Patch" LF?\nhunk: /(.+)/ LF\n%import common.LF\n')
TOOLS = [
    {"type": "custom", "name": "apply_patch",
     "description": "Use the `apply_patch` tool to edit files. This is a FREEFORM tool.",
     "format": {"type": "grammar", "syntax": "lark", "definition": GRAMMAR}},
    {"type": "function", "name": "shell", "description": "Runs a shell command.",
     "strict": False,
     "parameters": {"type": "object", "required": ["command"],
                    "properties": {"command": {"type": "array", "items": {"type": "string"}},
                                   "workdir": {"type": "string"}}}},
    {"type": "web_search"},
]
CODEX_SETTINGS = {
    "instructions": "You are Codex, a coding agent running in the Codex CLI.",
    "tools": TOOLS, "tool_choice": "auto", "parallel_tool_calls": False,
    "reasoning": {"effort": "medium", "summary": "auto"}, "store": False,
    "include": ["reasoning.encrypted_content"], "text": {"verbosity": "medium"},
    "prompt_cache_key": "0199a6e2-5b1c-7d33-9e0f-3c2b1a4d5e6f",
}
ASK = {"type": "message", "role": "user",
       "content": [{"type": "input_text", "text": "Fix the README typo"}]}


def codex_turn(gateway, model, items):
    """One streamed Codex turn: the events seen and the final response."""
    client = clients.openai_client(gateway)
    with client.responses.stream(model=model, input=items, **CODEX_SETTINGS) as stream:
        events = list(stream)
        return events, stream.get_final_response()


def declared_tools(dialect, body):
    """``{name: JSON schema}`` of the functions an upstream was offered."""
    if dialect == "claude":
        return {tool["name"]: tool["input_schema"] for tool in body["tools"]}
    return {d["name"]: d["parameters"] for tool in body["tools"]
            for d in tool["functionDeclarations"]}


@pytest.mark.parametrize("up", ["claude", "gemini"])
def test_custom_tool_is_offered_as_a_function_and_called_back_as_custom(gateway, upstream, up):
    events, final = codex_turn(gateway, MODELS[up], [ASK])

    tools = declared_tools(up, upstream.calls_for(KEYS[up])[-1].body)
    assert set(tools) == {"apply_patch", "shell"}  # web_search runs only at OpenAI
    assert tools["apply_patch"]["required"] == ["input"]
    assert GRAMMAR in tools["apply_patch"]["properties"]["input"]["description"]

    call = final.output[-1]
    assert call.type == "custom_tool_call" and call.name == "apply_patch"
    assert json.loads(call.input) == TOOL_ARGS
    assert [e.type for e in events if "custom_tool_call_input" in e.type] == [
        "response.custom_tool_call_input.delta", "response.custom_tool_call_input.done"]


@pytest.mark.parametrize("up", ["claude", "gemini"])
def test_custom_call_and_output_in_history_reach_the_upstream(gateway, upstream, up):
    _, first = codex_turn(gateway, MODELS[up], [ASK])
    call = first.output[-1]
    history = [ASK,
               {"type": "custom_tool_call", "call_id": call.call_id, "name": call.name,
                "input": call.input},
               {"type": "custom_tool_call_output", "call_id": call.call_id,
                "output": "Success. Updated the following files:\nM README.md"}]
    _, second = codex_turn(gateway, MODELS[up], history)
    assert second.output_text.startswith("The tool said: ")
    assert "Updated the following files" in second.output_text
    assert "custom_tool_call" not in json.dumps(upstream.calls_for(KEYS[up])[-1].body)
