"""Where account kinds differ from their dialect on the wire, applied at
the edge of an upstream call: the request body going out, and the answer
(whole, or each stream event) coming back.  Everything else in the gateway
sees the plain dialect.  Kinds without rules pass through untouched.
"""
import orjson

from proxy.accounts import code_assist, codex_body
from proxy.errors import UpstreamStatusError
from proxy.wire import sse

_RULED = ("codex-oauth", "gemini-cli")


def request_body(cred, body, *, model, action):
    """The bytes to send for ``body`` (bytes) to ``cred``'s upstream."""
    if cred.kind not in _RULED:
        return body
    data = orjson.loads(body)
    if cred.kind == "codex-oauth":
        data = codex_body.prepare(data)
    else:
        data = code_assist.wrap(data, model=model, project=cred.account.get("project", ""),
                                action=action)
    return orjson.dumps(data)


# Vertex AI's CountTokensRequest: these fields only (no generateContentRequest,
# safetySettings or toolConfig, which the Gemini API's countTokens takes;
# cloud.google.com/vertex-ai/generative-ai/docs/reference/rest, countTokens).
_VERTEX_COUNT_FIELDS = ("contents", "systemInstruction", "tools", "generationConfig")


def reshapes_count(cred):
    """Whether ``count_body`` gives ``cred``'s upstream another shape than
    the Gemini API's own."""
    return cred.kind in ("gemini-cli", "vertex")


def count_body(cred, body, *, model):
    """The countTokens request (a dict) ``cred``'s upstream takes for a
    Gemini API countTokens ``body``: Code Assist's envelope, Vertex's flat
    request; other kinds as they are."""
    if cred.kind == "gemini-cli":
        return code_assist.wrap(body, model=model, project="", action="count_tokens")
    if cred.kind == "vertex":
        counted = body.get("generateContentRequest")
        counted = counted if isinstance(counted, dict) else body
        return {k: counted[k] for k in _VERTEX_COUNT_FIELDS if k in counted}
    return body


def whole_body(cred, resp, *, limit=None):
    """A whole answer's bytes as its dialect has them (``limit``: as
    ``UpstreamResponse.read``)."""
    if cred.kind == "codex-oauth":
        # the backend streamed (it always does): the Responses object is in
        # response.completed; one that failed is the error it stands for
        events = _events(resp, limit)
        response = codex_body.assemble(events)
        failed = codex_body.failure(response)
        if failed is not None:
            raise UpstreamStatusError(failed[0], resp.headers, orjson.dumps(failed[1]),
                                      credential_id=cred.id,
                                      upstream=f"upstream {cred.display_name}")
        return orjson.dumps(response) if response is not None else b"".join(events)
    raw = resp.read(limit)
    if cred.kind == "gemini-cli" and resp.status == 200:
        return code_assist.unwrap_bytes(raw)
    return raw


def event_mapper(cred):
    """A function over each raw stream event, or None when events pass as they are."""
    return code_assist.unwrap_event if cred.kind == "gemini-cli" else None


def _events(resp, limit):
    """The raw events of a stream read whole; past ``limit`` bytes (the cap
    on whole answers) ``UpstreamAnswerTooLarge``, as ``UpstreamResponse.read``
    raises."""
    splitter = sse.EventSplitter()
    events = []
    for chunk in resp.iter_within(limit):
        events += splitter.feed(chunk)
    return events + splitter.flush()
