"""Fast paths change nothing: every request translated with them gives what
the general paths alone give (the same body, or the same error).

The translators take shortcuts for the shapes agents send all the time (a
history already in order, a tool list translated before, ...); each shortcut has a general path beside it
that handles everything.  Here every request the translator fixtures hold,
the bench's agent bodies and agent bodies bent into odd shapes (string
content and block lists, images, thinking, error and list tool results,
missing results, duplicate ids, cache marks) go to every other dialect
twice: as shipped, and with every shortcut switched off.
"""
import copy
import json

import pytest

import translators
from bench import agent_session
from tests.translators import shortcuts
from tests.translators.cases import ROOT
from translators import history, turn_memo

_FOLDERS = {"claude": "claude", "openai": "openai_chat", "responses": "responses",
            "gemini": "gemini"}


@pytest.fixture
def general_paths(monkeypatch):
    """Switch every shortcut off: only the general paths run."""
    return lambda: shortcuts.switch_off(monkeypatch)


def _fixture_bodies():
    """``(dialect, body)`` of every request body the translator fixtures hold."""
    out = []
    for dialect, folder in _FOLDERS.items():
        for kind in ("parse_request", "reject_request", "request_errors"):
            for path in sorted(ROOT.joinpath(folder, kind).glob("*.json")):
                case = json.loads(path.read_text())
                if case.get("direction", "parse") == "parse" and isinstance(case["input"], dict):
                    out.append((f"{folder}/{kind}/{path.stem}", dialect, case["input"]))
    for folder, key in (("cross_request", "from"), ("history", "source")):
        for path in sorted(ROOT.joinpath(folder).glob("*.json")):
            case = json.loads(path.read_text())
            out.append((f"{folder}/{path.stem}", case[key], case["input"]))
    return out


def _claude_bent():
    """A small Claude agent body bent into every odd shape at once."""
    body = json.loads(agent_session.body("claude", "m", 45_000))
    turns = body["messages"]
    turns[1]["content"].insert(0, {"type": "thinking", "thinking": "plan", "signature": "c2ln"})
    turns[1]["content"].append({"type": "text", "text": "", "cache_control": {"type": "e"}})
    turns[2]["content"][0]["is_error"] = True
    turns[2]["content"][0]["cache_control"] = {"type": "ephemeral"}
    turns[4]["content"][0]["content"] = [
        {"type": "text", "text": "part one"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                     "data": "iVBORw0KGgo="}}]
    turns[2]["content"].append({"type": "text", "text": "<system-reminder>x</system-reminder>"})
    turns.insert(3, {"role": "user", "content": "a string turn"})
    # a parallel pair under one id, one result missing, a trailing call turn
    turns.append({"role": "assistant", "content": [
        {"type": "tool_use", "id": "dup", "name": "Read", "input": {"path": "/a"}},
        {"type": "tool_use", "id": "dup", "name": "Read", "input": {"path": "/b"}},
        {"type": "tool_use", "id": "lost", "name": "Bash", "input": {"command": "ls"}}]})
    turns.append({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "dup", "content": "a"},
        {"type": "tool_result", "tool_use_id": "dup", "content": "b"}]})
    turns.append({"role": "assistant", "content": [
        {"type": "redacted_thinking", "data": "xx"},
        {"type": "tool_use", "id": "last", "name": "Glob", "input": {"pattern": "*"}}]})
    return body


def _openai_bent():
    body = json.loads(agent_session.body("openai", "m", 45_000))
    turns = body["messages"]
    turns[2]["content"] = [{"type": "text", "text": "parts", "cache_control": {"type": "x"}}]
    turns[2]["reasoning_content"] = "thought"
    turns[3]["content"] = [{"type": "text", "text": "listed result"}]
    turns.insert(4, {"role": "user", "content": [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]})
    turns.append({"role": "assistant", "content": None, "tool_calls": [
        {"id": "dup", "type": "function", "function": {"name": "Read", "arguments": "{}"}},
        {"id": "dup", "type": "function", "function": {"name": "Read", "arguments": "{}"}},
        {"id": "lost", "type": "function", "function": {"name": "Bash", "arguments": "[1]"}}]})
    turns.append({"role": "tool", "tool_call_id": "dup", "content": "once"})
    turns.append({"role": "tool", "tool_call_id": "orphan", "content": "nobody asked"})
    turns.append({"role": "assistant", "content": "I will continue"})
    return body


def _responses_bent():
    body = json.loads(agent_session.body("responses", "m", 45_000))
    items = body["input"]
    items.insert(1, {"type": "reasoning", "summary": [{"type": "summary_text", "text": "hm"}]})
    items[3]["output"] = [{"type": "input_text", "text": "listed"}]
    items.insert(4, {"type": "message", "role": "developer", "content": "mind the tests"})
    items.append({"type": "function_call", "call_id": "dup", "name": "Read", "arguments": "{}"})
    items.append({"type": "function_call", "call_id": "dup", "name": "Read", "arguments": "{}"})
    items.append({"type": "function_call_output", "call_id": "dup", "output": "once"})
    items.append({"type": "function_call", "call_id": "open", "name": "Bash",
                  "arguments": '{"command": "ls"}'})
    return body


def _agent_bodies():
    out = []
    for dialect in ("claude", "openai", "responses"):
        for size in (40_000, 250_000):
            out.append((f"agent/{dialect}@{size}", dialect,
                        json.loads(agent_session.body(dialect, "m", size))))
    out += [("agent/claude-bent", "claude", _claude_bent()),
            ("agent/openai-bent", "openai", _openai_bent()),
            ("agent/responses-bent", "responses", _responses_bent())]
    return out


BODIES = _fixture_bodies() + _agent_bodies()


def _outcome(source, target, body):
    """The request's bytes as the proxy sends them (bytes, not dicts: ``1``
    and ``True`` are equal dict values but not the same JSON)."""
    try:
        return turn_memo.dumps(translators.translate_request(
            source, target, copy.deepcopy(body), model="m", stream=False))
    except translators.ir.TranslationError as exc:
        return "refused", str(exc)


@pytest.mark.parametrize("name,source,body", BODIES, ids=[b[0] for b in BODIES])
def test_fast_paths_translate_as_the_general_paths(name, source, body, general_paths):
    turn_memo.forget()
    fast = {target: _outcome(source, target, body)
            for target in translators.DIALECTS if target != source}
    warm = {target: _outcome(source, target, body)          # the remembered rounds
            for target in translators.DIALECTS if target != source}
    assert warm == fast
    general_paths()
    general = {target: _outcome(source, target, body)
               for target in translators.DIALECTS if target != source}
    assert fast == general


def test_the_agent_bodies_take_the_fast_paths():
    """The shortcuts are taken where they are meant to be (else the test
    above compares the general paths with themselves)."""
    for _, source, body in _agent_bodies()[:6]:
        ir = translators.dialect(source).parse_request(body)
        assert history._in_order(ir["messages"])


def _claude_blocks():
    blocks = []
    for _, source, body in BODIES:
        for message in body.get("messages") or [] if source == "claude" else []:
            if isinstance(message, dict) and isinstance(message.get("content"), list):
                blocks += [b for b in message["content"] if isinstance(b, dict)]
    return blocks


def test_claude_turn_loop_reads_blocks_as_parse_block_does():
    from translators.claude import content, request
    blocks = _claude_blocks()
    assert {b.get("type") for b in blocks} >= {"text", "tool_use", "tool_result", "thinking",
                                               "image", "redacted_thinking"}
    for block in blocks:
        for role in ("user", "assistant"):
            try:
                expected = content.parse_block(copy.deepcopy(block))
            except translators.ir.TranslationError as exc:
                expected = str(exc)
            try:
                turns = request._parse_messages([{"role": role, "content": [block]}], [])
                got = turns[0]["content"][0] if turns[0]["content"] else None
            except translators.ir.TranslationError as exc:
                got = str(exc)
            if isinstance(got, dict) and got["type"] == "tool_result":
                got = dict(got, name=None)          # named later, from its call
            assert got == expected, block


def _ir_parts():
    parts = []
    for _, source, body in BODIES:
        try:
            request = translators.dialect(source).parse_request(copy.deepcopy(body))
        except translators.ir.TranslationError:
            continue
        parts += [part for message in request["messages"] for part in message["content"]]
    return parts


def test_claude_turn_loop_writes_parts_as_render_block_does():
    from translators.claude import content, request
    parts = _ir_parts()
    parts += [dict(part, cache_control={"type": "ephemeral"}) for part in parts]
    assert {p["type"] for p in parts} >= {"text", "tool_call", "tool_result", "reasoning",
                                          "image", "redacted_reasoning"}
    for part in parts:
        try:
            expected = content.render_block(copy.deepcopy(part))
        except translators.ir.TranslationError as exc:
            expected = str(exc)
        try:
            turns, _ = request._render_messages([{"role": "user", "content": [part]}])
            got = turns[0]["content"][0] if turns else None
        except translators.ir.TranslationError as exc:
            got = str(exc)
        assert got == expected, part


def test_anthropic_ids_are_fitted_as_call_ids_fits_them(monkeypatch):
    from translators import call_ids
    from translators.claude import content
    monkeypatch.setattr(content, "_FITTED_IDS_LIMIT", 3)
    monkeypatch.setattr(content, "_fitted_ids", {})
    for call_id in ["toolu_1", "call.2|x", "toolu_1", "a" * 80, "", None, 7, "é", "call.2|x"]:
        assert content.tool_use_id(call_id) == call_ids.fit(
            call_id, unsafe=call_ids.ANTHROPIC_UNSAFE)
    assert len(content._fitted_ids) <= 3
