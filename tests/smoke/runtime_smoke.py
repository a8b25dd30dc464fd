"""Runtime-only smoke check: the README's run command works on a fresh machine.

A green test run can hide a broken run command: the test tools pull in
packages (pytest brings ``packaging``, which gunicorn's gevent worker
imports) that ``requirements.txt`` alone would not. So this check copies the
working tree to a temporary folder (no ``.venv``, no ``config.yaml``), runs
``make run PORT=<free port>`` there exactly as a newcomer would (``make run``
builds its own virtualenv from requirements.txt and nothing else), and asks
the built-in ``echo`` model through all four front doors, whole and
streamed. It uses the standard library only, so it needs no test packages
either.

Run it with ``make smoke`` (``.ci/run`` does, before the test suite). Any
failure exits non-zero and prints the tail of the server's log.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOOT_SECONDS = 300      # includes `pip install -r requirements.txt` on a cold cache
REQUEST_SECONDS = 30
PROMPT = "hello smoke"

JSON = {"content-type": "application/json"}


def _chat(stream):
    return ("/v1/chat/completions", {"model": "echo", "stream": stream,
            "messages": [{"role": "user", "content": PROMPT}]}, {})


def _responses(stream):
    return "/v1/responses", {"model": "echo", "input": PROMPT, "stream": stream}, {}


def _messages(stream):
    return ("/v1/messages", {"model": "echo", "max_tokens": 64, "stream": stream,
            "messages": [{"role": "user", "content": PROMPT}]},
            {"anthropic-version": "2023-06-01"})


def _gemini(stream):
    path = ("/v1beta/models/echo:streamGenerateContent?alt=sse" if stream
            else "/v1beta/models/echo:generateContent")
    return path, {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}, {}


def _text_of_whole(door, doc):
    if door == "chat":
        return doc["choices"][0]["message"]["content"]
    if door == "responses":
        return "".join(part["text"] for item in doc["output"] if item["type"] == "message"
                       for part in item["content"] if part["type"] == "output_text")
    if door == "messages":
        return "".join(block["text"] for block in doc["content"] if block["type"] == "text")
    return "".join(part.get("text", "") for part in doc["candidates"][0]["content"]["parts"])


def _text_of_stream(door, events):
    """Joins the text deltas of an SSE stream; checks the dialect's last event."""
    text, last = [], None
    for name, data in events:
        if data == "[DONE]":
            last = "[DONE]"
            continue
        doc = json.loads(data)
        last = name or doc.get("type") or last
        if door == "chat":
            for choice in doc.get("choices", []):
                text.append(choice.get("delta", {}).get("content") or "")
        elif door == "responses" and doc.get("type") == "response.output_text.delta":
            text.append(doc["delta"])
        elif door == "messages" and doc.get("type") == "content_block_delta":
            text.append(doc["delta"].get("text", ""))
        elif door == "gemini":
            for candidate in doc.get("candidates", []):
                text += [p.get("text", "") for p in candidate.get("content", {}).get("parts", [])]
    ending = {"chat": "[DONE]", "responses": "response.completed",
              "messages": "message_stop", "gemini": None}[door]
    if ending and last != ending:
        raise AssertionError(f"stream ended with {last!r}, expected {ending!r}")
    return "".join(text)


def _sse_events(raw):
    events = []
    for block in raw.decode().replace("\r\n", "\n").split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            events.append((name, "\n".join(data)))
    return events


def _ask(port, door, stream):
    path, body, headers = {"chat": _chat, "responses": _responses,
                           "messages": _messages, "gemini": _gemini}[door](stream)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_SECONDS)
    try:
        conn.request("POST", path, json.dumps(body), {**JSON, **headers})
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    if resp.status != 200:
        raise AssertionError(f"HTTP {resp.status}: {raw[:300]!r}")
    text = (_text_of_stream(door, _sse_events(raw)) if stream
            else _text_of_whole(door, json.loads(raw)))
    if PROMPT not in text:
        raise AssertionError(f"answer {text!r} does not echo {PROMPT!r}")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _copy_tree(dest):
    """The files git knows of (tracked and untracked-but-not-ignored), as they are now."""
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=REPO, check=True, capture_output=True).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in names)):
        src = os.path.join(REPO, name)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
            shutil.copy2(src, os.path.join(dest, name))


def _wait_healthy(port, server, deadline):
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"`make run` exited with status {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)    # polling a process we do not control; bounded by the deadline
    raise AssertionError(f"/healthz did not answer 200 within {BOOT_SECONDS} s")


def _stop(server):
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _log_tail(path, lines=40):
    with open(path, errors="replace") as f:
        return "".join(f.readlines()[-lines:])


def main():
    work = tempfile.mkdtemp(prefix="switchyard-smoke-")
    tree, log_path = os.path.join(work, "repo"), os.path.join(work, "server.log")
    _copy_tree(tree)
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("SWITCHYARD_CONFIG", "SWITCHYARD_HOST", "PORT", "VIRTUAL_ENV",
                        "MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    started = time.monotonic()
    with open(log_path, "wb") as log:
        server = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=tree, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    failures = []
    try:
        _wait_healthy(port, server, started + BOOT_SECONDS)
        booted = time.monotonic() - started
        for door in ("chat", "responses", "messages", "gemini"):
            for stream in (False, True):
                try:
                    _ask(port, door, stream)
                except Exception as exc:  # report every front door, not just the first
                    failures.append(f"{door} {'stream' if stream else 'whole'}: {exc}")
    except AssertionError as exc:
        failures.append(str(exc))
    finally:
        _stop(server)
    if failures:
        print("smoke: `make run` on a runtime-only install FAILED:", file=sys.stderr)
        for failure in failures:
            print("  - " + failure, file=sys.stderr)
        print(f"--- last lines of the server's log ({log_path}) ---\n{_log_tail(log_path)}",
              file=sys.stderr)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print(f"smoke: `make run` from requirements.txt alone booted in {booted:.1f} s; "
          "echo answered 8/8 (4 front doors, whole and streamed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
