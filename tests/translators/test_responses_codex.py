"""Codex CLI's tools across dialects: custom (freeform) and local_shell
tools become functions for other providers and their calls come back as
the items Codex executes; hosted tools are dropped.  Fixture-driven cases
live in the parse/render folders; these follow one request end to end."""
import json

import pytest
from openai.types.responses import Response

from translators import responses, translate_request
from translators.responses.calls import custom_input, local_shell_action
from tests.translators.cases import load

CODEX = load("responses", "parse_request", "codex_cli_turn")["input"]
PATCH = next(i["input"] for i in CODEX["input"] if i.get("type") == "custom_tool_call")
GRAMMAR = CODEX["tools"][1]["format"]["definition"]


def test_codex_request_for_anthropic_declares_apply_patch_as_a_function():
    body = translate_request("responses", "claude", CODEX, model="claude-sonnet-4-5", stream=True)
    tools = {tool["name"]: tool for tool in body["tools"]}
    assert set(tools) == {"shell", "apply_patch"}  # web_search dropped
    patch = tools["apply_patch"]
    assert set(patch) == {"name", "description", "input_schema"}  # "custom" not leaked
    assert patch["input_schema"]["required"] == ["input"]
    assert GRAMMAR in patch["input_schema"]["properties"]["input"]["description"]
    use = next(block for turn in body["messages"] for block in turn["content"]
               if isinstance(block, dict) and block.get("type") == "tool_use"
               and block["name"] == "apply_patch")
    assert use["input"] == {"input": PATCH}


def test_codex_request_for_gemini_declares_apply_patch_as_a_function():
    body = translate_request("responses", "gemini", CODEX, model="gemini-2.5-pro", stream=True)
    declarations = {d["name"]: d for d in body["tools"][0]["functionDeclarations"]}
    assert set(declarations) == {"shell", "apply_patch"}
    assert "custom" not in declarations["apply_patch"]
    calls = [part["functionCall"] for turn in body["contents"] for part in turn["parts"]
             if "functionCall" in part]
    assert {"name": "apply_patch", "args": {"input": PATCH}} in [
        {"name": c["name"], "args": c["args"]} for c in calls]


def test_codex_request_for_chat_completions_declares_apply_patch_as_a_function():
    body = translate_request("responses", "openai", CODEX, model="gpt-oss-120b", stream=True)
    functions = [tool["function"] for tool in body["tools"]]
    assert [f["name"] for f in functions] == ["shell", "apply_patch"]
    assert set(functions[1]) == {"name", "description", "parameters"}
    assert all(tool["type"] == "function" for tool in body["tools"])


def without_reasoning(messages):
    """Reasoning from history is not sent to a Responses upstream (it would need
    OpenAI's encrypted_content), so round trips compare the rest."""
    return [{**m, "content": [p for p in m["content"] if p["type"] != "reasoning"]}
            for m in messages]


def test_custom_tool_and_calls_survive_a_round_trip_through_the_ir():
    ir = responses.parse_request(CODEX)
    body = responses.render_request(ir, "gpt-5-codex")
    assert [item["type"] for item in body["input"]][-2:] == [
        "custom_tool_call", "custom_tool_call_output"]
    again = responses.parse_request(body)
    assert again["tools"] == ir["tools"]
    assert again["messages"] == without_reasoning(ir["messages"])


def test_custom_call_survives_render_then_parse_of_a_response():
    call = {"type": "tool_call", "id": "toolu_1", "name": "apply_patch",
            "arguments": json.dumps({"input": PATCH})}
    ir = {"id": None, "model": None, "created": 1, "content": [call],
          "stop_reason": "tool_calls", "stop_sequence": None, "usage": None}
    body = responses.render_response(ir, "codex", CODEX)
    item = Response.model_validate(body).output[0]
    assert (item.type, item.input, item.call_id) == ("custom_tool_call", PATCH, "toolu_1")
    assert responses.parse_response(body)["content"] == [call]


@pytest.mark.parametrize("arguments, expected", [
    ('{"input": "*** Begin Patch\\n"}', "*** Begin Patch\n"),
    ('{"city": "Paris"}', '{"city": "Paris"}'),      # schema ignored: passed on verbatim
    ('{"input": 42}', '{"input": 42}'),
    ("*** Begin Patch", "*** Begin Patch"),           # not JSON at all
])
def test_custom_input_never_loses_what_the_model_sent(arguments, expected):
    assert custom_input(arguments) == expected


@pytest.mark.parametrize("arguments", ['{"command": "ls -la"}', '{"command": []}',
                                       '{"command": ["ls", 1]}', '{"workdir": "/"}', "ls"])
def test_local_shell_needs_a_command_list_of_strings(arguments):
    assert local_shell_action(arguments) is None


def test_unusable_local_shell_call_stays_a_function_call():
    ir = {"id": None, "model": None, "created": 1, "stop_reason": "tool_calls",
          "stop_sequence": None, "usage": None,
          "content": [{"type": "tool_call", "id": "c1", "name": "local_shell",
                       "arguments": '{"command": "ls -la"}'}]}
    request = {"model": "m", "input": "ls", "tools": [{"type": "local_shell"}]}
    item = responses.render_response(ir, "m", request)["output"][0]
    assert (item["type"], item["arguments"]) == ("function_call", '{"command": "ls -la"}')


def test_a_function_named_like_a_custom_tool_elsewhere_stays_a_function():
    # Custom-ness comes from the client's own request, not from the name.
    call = {"type": "tool_call", "id": "c1", "name": "apply_patch", "arguments": "{}"}
    ir = {"id": None, "model": None, "created": 1, "content": [call],
          "stop_reason": "tool_calls", "stop_sequence": None, "usage": None}
    request = {"model": "m", "input": "hi",
               "tools": [{"type": "function", "name": "apply_patch", "parameters": None}]}
    assert responses.render_response(ir, "m", request)["output"][0]["type"] == "function_call"
