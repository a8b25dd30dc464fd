"""Claude Code, Codex CLI and Gemini CLI, the real pinned releases, through
the real server against each upstream kind.

Each CLI runs against every upstream kind (its own dialect and each other
one: OpenAI-compatible chat, Responses / codex-api-key, Anthropic, Gemini),
once per kind of turn:

- ``text``: a plain question; the fake upstream answers
  ``Hello from <upstream dialect>``, which the CLI must print;
- ``read`` / ``shell``: the fake upstream calls the CLI's own file-reading
  tool, or its shell tool with ``cat``, on a file holding a fresh token;
  the CLI runs it and sends the result back, and the upstream answers
  ``The tool said: <result>``: the CLI must print the token, which only
  the executed tool could have read.

What the CLIs send, as captured by the fake upstream (pinned releases):
Claude Code streams /v1/messages with ``context_management``,
``output_config``, adaptive ``thinking``, ``metadata`` and mid-conversation
``role: "system"`` messages, ``anthropic-beta`` flags and an
``x-claude-code-session-id`` header, retrying a 400 several times; Codex
streams /v1/responses with ``client_metadata``, ``prompt_cache_key``,
``include`` and a ``namespace`` tool (``multi_agent_v1``) beside hosted
``web_search``; Gemini CLI streams ``streamGenerateContent?alt=sse`` with
``parametersJsonSchema`` declarations.  With their network extras off none
of them calls count_tokens or a model list in a ``-p`` / ``exec`` run.
"""
import re
import uuid

import pytest

from tests.clis import runners
from tests.integration.conftest import CLIENT_KEY, KEYS, MODELS

UPSTREAMS = ("openai", "responses", "claude", "gemini")
# a line of gunicorn's access log: "POST /v1/messages HTTP/1.1" 200
_ACCESS = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3}) ')
CASES = [(cli, up, turn) for cli in ("claude", "codex", "gemini") for up in UPSTREAMS
         for turn in ("text",) + runners.TOOL_TURNS[cli]]


@pytest.mark.parametrize("cli,up,turn", CASES, ids=["-".join(c) for c in CASES])
def test_cli_answer_through_the_gateway(cli_bin, cli_gateway, upstream, tmp_path, cli, up, turn):
    token = f"switchyard-{uuid.uuid4().hex[:12]}"
    work = tmp_path / "work"
    work.mkdir()
    note = work / "note.txt"
    note.write_text(f"the token is {token}\n")
    upstream.reason(KEYS[up])       # think first; refuse a history that lost the thinking
    if turn != "text":
        upstream.call_tools(KEYS[up], runners.tool_call(cli, turn, str(note)))
        prompt = "Read note.txt and tell me the token in it."
    else:
        upstream.call_tools(KEYS[up], {})      # answer text though tools are offered
        prompt = "Say hello."
    log_start = len(cli_gateway.log())
    result = runners.run(cli, cli_bin, cli_gateway.url, CLIENT_KEY, MODELS[up], prompt,
                         str(tmp_path))
    calls = upstream.calls_for(KEYS[up])
    requests = _ACCESS.findall(cli_gateway.log()[log_start:])
    assert result.returncode == 0, f"{result}\n--- gateway log\n{cli_gateway.log()[-3000:]}"
    assert calls, "the CLI never reached the upstream"
    # every call the CLI made was served: model lists, token counts, side calls
    assert all(status.startswith("2") for _, _, status in requests), requests
    for call in calls:                          # the upstream saw its own key, never ours
        assert CLIENT_KEY not in str(call.headers)
    if turn != "text":
        assert "The tool said: " in result.stdout and token in result.stdout, str(result)
        assert len(calls) >= 2                 # the tool result went back upstream
        assert token in str(calls[-1].body)
    else:
        assert f"Hello from {up}" in result.stdout, str(result)
