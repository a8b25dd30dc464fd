"""Agent-sized request bodies through the real server.

A coding agent's request late in a session carries the whole conversation
(tool schemas, tool calls, code-sized tool results).  Bodies this large are
read at the top level only until something needs them whole (a body bound
for a translation is parsed whole at once): same-dialect bytes still reach
the upstream exactly as sent, front-door validation still answers in the
client's dialect, and translation still reads everything.
"""
import json
import socket

import requests

from tests.integration import clients
from tests.integration.conftest import CLIENT_KEY, KEYS, MODELS

HEADERS = {"Authorization": f"Bearer {CLIENT_KEY}", "x-api-key": CLIENT_KEY,
           "Content-Type": "application/json"}
PATHS = {"openai": "/v1/chat/completions", "responses": "/v1/responses",
         "claude": "/v1/messages"}
CODE = ('def handler(request):\n    """Say \\"hi\\" \u00e9\u4e2d."""\n'
        '    return {"status": [1, 2], "path": "C:\\\\tmp\\\\x"}  # {[()]}\n') * 8


def claude_body(model, turns=40, **extra):
    """Claude Code's shape: system prompt, tool schemas, tool round trips."""
    tools = [{"name": f"Tool{i}", "description": "Reads a file. " * 10, "input_schema": {
        "type": "object", "properties": {"model": {"type": "string"},
                                         "path": {"type": "string"}},
        "required": ["path"]}} for i in range(25)]
    messages = [{"role": "user", "content": "Fix the bug."}]
    for i in range(turns):
        messages.append({"role": "assistant", "content": [
            {"type": "tool_use", "id": f"toolu_{i}", "name": f"Tool{i % 25}",
             "input": {"path": f"src/f{i}.py", "model": "not-the-top-level-one"}}]})
        messages.append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": f"toolu_{i}", "content": CODE}]})
    return {"model": model, "max_tokens": 512, "system": "You are an agent. " * 50,
            "tools": tools, "messages": messages, **extra}


def openai_body(model, turns=40, **extra):
    messages = [{"role": "system", "content": "You are an agent. " * 50},
                {"role": "user", "content": "Fix the bug."}]
    for i in range(turns):
        messages.append({"role": "assistant", "content": None, "tool_calls": [{
            "id": f"call_{i}", "type": "function",
            "function": {"name": "read", "arguments": json.dumps({"path": f"f{i}.py"})}}]})
        messages.append({"role": "tool", "tool_call_id": f"call_{i}", "content": CODE})
    return {"messages": messages, "model": model, **extra}     # the OpenAI SDK's key order


def responses_body(model, turns=40):
    items = [{"role": "user", "content": [{"type": "input_text", "text": "Fix the bug."}]}]
    for i in range(turns):
        items.append({"type": "function_call", "call_id": f"call_{i}", "name": "read",
                      "arguments": json.dumps({"path": f"f{i}.py"})})
        items.append({"type": "function_call_output", "call_id": f"call_{i}", "output": CODE})
    return {"model": model, "instructions": "You are an agent. " * 50, "input": items}


BUILDERS = {"claude": claude_body, "openai": openai_body, "responses": responses_body}


def encoded(body):
    """Bytes as a client writes them: spaced separators, non-ASCII escaped."""
    raw = json.dumps(body).encode()
    assert len(raw) > 32 * 1024
    return raw


def post(gateway, dialect, raw):
    return requests.post(gateway.url + PATHS[dialect], data=raw, headers=HEADERS, timeout=20)


def test_same_dialect_bytes_reach_the_upstream_untouched(gateway, upstream):
    for dialect, builder in BUILDERS.items():
        raw = encoded(builder(MODELS[dialect]))
        resp = post(gateway, dialect, raw)
        assert resp.status_code == 200, resp.text
        assert upstream.calls_for(KEYS[dialect])[-1].raw == raw


def test_openai_stream_asks_for_usage_without_reserialising_the_body(gateway, upstream):
    raw = encoded(openai_body(MODELS["openai"], stream=True))
    resp = post(gateway, "openai", raw)
    assert resp.status_code == 200
    sent = upstream.calls_for(KEYS["openai"])[-1].raw
    assert sent == b'{"stream_options":{"include_usage":true},' + raw[1:]
    data = [line[6:] for line in resp.text.splitlines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert chunks and all(c["choices"] for c in chunks)         # the usage chunk stays hidden


def test_openai_stream_that_asked_for_usage_itself_passes_untouched(gateway, upstream):
    client = clients.openai_client(gateway)
    body = openai_body(MODELS["openai"])
    chunks = list(client.chat.completions.create(
        model=body["model"], messages=body["messages"], stream=True,
        stream_options={"include_usage": True}))
    assert chunks[-1].usage is not None and chunks[-1].choices == []
    sent = upstream.calls_for(KEYS["openai"])[-1]
    assert len(sent.raw) > 32 * 1024 and sent.body["stream_options"] == {"include_usage": True}


def test_wrong_top_level_type_is_a_400_before_any_upstream(gateway, upstream):
    for dialect, field, value in (("claude", "max_tokens", "a"), ("openai", "stream", "true"),
                                  ("responses", "input", 5)):
        body = BUILDERS[dialect](MODELS[dialect])
        body[field] = value
        resp = post(gateway, dialect, encoded(body) if field != "input"
                    else json.dumps(dict(body, instructions="x" * 40000)).encode())
        assert resp.status_code == 400, resp.text
        assert f"'{field}'" in resp.json()["error"]["message"]
    assert upstream.calls == []


def test_a_nested_model_key_is_not_the_request_model(gateway, upstream):
    body = claude_body(MODELS["claude"])
    del body["model"]
    resp = post(gateway, "claude", encoded(body))
    assert resp.status_code == 400 and "'model'" in resp.json()["error"]["message"]
    assert upstream.calls == []


def test_a_duplicated_top_level_key_is_read_as_a_full_parser_reads_it(gateway, upstream):
    # the last one wins, as in json.loads (and the upstream's own parser)
    raw = encoded(claude_body("no-such-model"))
    raw = raw[:-1] + b', "model": "%s"}' % MODELS["claude"].encode()
    resp = post(gateway, "claude", raw)
    assert resp.status_code == 200, resp.text
    assert upstream.calls_for(KEYS["claude"])[-1].raw == raw


def test_malformed_deep_inside_is_still_a_400(gateway, upstream):
    raw = encoded(claude_body(MODELS["claude"]))
    cut = raw.index(b'"tool_result"')
    resp = post(gateway, "claude", raw[:cut] + b"\xff" + raw[cut + 1:])
    assert resp.status_code == 400
    assert "not valid JSON" in resp.json()["error"]["message"]
    assert upstream.calls == []


def test_translated_agent_request_reads_every_turn(gateway, upstream):
    body = claude_body(MODELS["openai"], turns=30)
    resp = post(gateway, "claude", encoded(body))
    assert resp.status_code == 200, resp.text
    assert resp.json()["type"] == "message"
    sent = upstream.calls_for(KEYS["openai"])[-1].body
    tool_messages = [m for m in sent["messages"] if m["role"] == "tool"]
    assert len(tool_messages) == 30 and tool_messages[0]["content"] == CODE
    assert len(sent["tools"]) == 25


def test_translated_agent_request_is_parsed_once_and_still_checked_whole(gateway, upstream):
    # a body bound for a translation is parsed whole at the front door (no
    # top-level pass first): bad bytes deep inside are still the 400 of a
    # full parse, and the model the whole body names is the one served
    raw = encoded(claude_body(MODELS["openai"]))
    cut = raw.index(b'"tool_result"')
    resp = post(gateway, "claude", raw[:cut] + b"\xff" + raw[cut + 1:])
    assert resp.status_code == 400 and resp.json()["type"] == "error"
    assert "not valid JSON" in resp.json()["error"]["message"]
    assert upstream.calls == []
    # the first "model" names a translated route, the last (the one a parser
    # keeps) a same-dialect one: served same-dialect, the bytes untouched
    raw = encoded(claude_body(MODELS["openai"]))
    raw = raw[:-1] + b', "model": "%s"}' % MODELS["claude"].encode()
    resp = post(gateway, "claude", raw)
    assert resp.status_code == 200, resp.text
    assert upstream.calls_for(KEYS["claude"])[-1].raw == raw
    assert upstream.calls_for(KEYS["openai"]) == []


def test_an_aliased_model_is_renamed_in_place(fake, upstream, tmp_path):
    from tests.integration.conftest import launch, standard_config
    config = standard_config(fake.url)
    config["claude-api-key"][0]["models"] = [{"name": MODELS["claude"], "alias": "claude-alias"}]
    config["openai-compatibility"][0]["models"] = [{"name": MODELS["openai"],
                                                    "alias": "gpt-alias"}]
    gw = launch(config, str(tmp_path))
    try:
        raw = encoded(claude_body("claude-alias"))
        resp = post(gw, "claude", raw)
        assert resp.status_code == 200, resp.text
        sent = upstream.calls_for(KEYS["claude"])[-1].raw
        assert sent == raw.replace(b'"model": "claude-alias"', b'"model": "%s"'
                                   % MODELS["claude"].encode(), 1)
        raw = encoded(openai_body("gpt-alias", stream=True))
        assert post(gw, "openai", raw).status_code == 200
        sent = upstream.calls_for(KEYS["openai"])[-1].raw
        assert sent == b'{"stream_options":{"include_usage":true},' + raw[1:].replace(
            b'"model": "gpt-alias"', b'"model": "%s"' % MODELS["openai"].encode())
        raw = encoded(openai_body("gpt-alias"))        # the model last: found from the end
        assert post(gw, "openai", raw).status_code == 200
        sent = upstream.calls_for(KEYS["openai"])[-1].raw
        assert sent == raw.replace(b'"model": "gpt-alias"}',
                                   b'"model": "%s"}' % MODELS["openai"].encode())
    finally:
        gw.stop()


def _read_answer(sock):
    """One HTTP/1.1 answer with a Content-Length off ``sock``: (head, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:")))
    while len(body) < length:
        body += sock.recv(65536)
    assert len(body) == length
    return head, body


def test_a_body_in_many_uneven_segments_reaches_the_upstream_whole(gateway, upstream):
    # the head cut mid-line, the body in pieces of odd sizes (1 byte, a
    # multi-byte character cut in two, more than a socket read), and a second
    # request right behind it on the same connection: each arrives whole and
    # no byte of one is read as part of the other
    host, port = gateway.url.removeprefix("http://").split(":")
    bodies = [json.dumps(claude_body(MODELS["claude"], turns=turns), ensure_ascii=False).encode()
              for turns in (60, 20)]
    messages = [b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: %s\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (CLIENT_KEY.encode(), len(raw), raw) for raw in bodies]
    sizes = (1, 2, 3, 700, 1, 65537, 13, 4096, 9)
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for message in messages:
            cuts = {message.index("\u4e2d".encode()) + 1}        # inside a 3-byte character
            at = i = 0
            while at < len(message):
                cuts.add(at + sizes[i % len(sizes)])
                at, i = at + sizes[i % len(sizes)], i + 1
            edges = [0, *sorted(c for c in cuts if c < len(message)), len(message)]
            for start, end in zip(edges, edges[1:]):
                sock.sendall(message[start:end])
        answers = [_read_answer(sock) for _ in bodies]
    for head, body in answers:
        assert head.startswith(b"HTTP/1.1 200"), head + body
    assert [call.raw for call in upstream.calls_for(KEYS["claude"])] == bodies
