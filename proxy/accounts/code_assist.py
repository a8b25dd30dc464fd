"""Google Code Assist's envelope around the Gemini API (what Gemini CLI
accounts call: ``cloudcode-pa.googleapis.com/v1internal:*``).

Wire facts (Gemini CLI, ``packages/core/src/code_assist/converter.ts``): a
request is ``{model, project, request: <Gemini body>}``; ``countTokens``
takes ``{request: {model: "models/<model>", contents}}`` (no project, and
only the contents: the count request has no other fields) and answers a
bare ``{totalTokens}``; every generate answer, whole or each stream
event's data, is ``{"response": <Gemini answer>}``.  Applied at the edge
only: the rest of the gateway sees the plain Gemini dialect.
"""
import orjson


def wrap(body, *, model, project, action):
    """The envelope around a Gemini request body (a dict)."""
    if action == "count_tokens":
        counted = body.get("generateContentRequest")        # the Gemini API's long form
        counted = counted if isinstance(counted, dict) else body
        return {"request": {"model": f"models/{model}", "contents": counted.get("contents") or []}}
    envelope = {"model": model, "request": body}
    if project:
        envelope["project"] = project
    return envelope


def unwrap(data):
    """The Gemini answer inside ``{"response": ...}`` (other shapes as they are)."""
    if isinstance(data, dict) and isinstance(data.get("response"), dict):
        inner = dict(data["response"])
        # the envelope's traceId stands for the Gemini API's responseId
        if "traceId" in data and "responseId" not in inner:
            inner["responseId"] = data["traceId"]
        return inner
    return data


def unwrap_bytes(raw):
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw
    return orjson.dumps(unwrap(data))


def unwrap_event(raw):
    """One raw SSE event (bytes, ``data:`` lines) with its data unwrapped.
    Google ends its SSE lines with CRLF: the CRs go with the envelope."""
    lines = [line.rstrip(b"\r") for line in raw.split(b"\n")]
    data = [line[5:].lstrip() for line in lines if line.startswith(b"data:")]
    if not data:
        return raw
    rest = [line for line in lines if line and not line.startswith(b"data:")]
    return b"\n".join(rest + [b"data: " + unwrap_bytes(b"\n".join(data))]) + b"\n\n"
