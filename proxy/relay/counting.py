"""Token counting (Anthropic ``/v1/messages/count_tokens``, Gemini
``:countTokens``, Responses ``/responses/input_tokens``) for any upstream.

The upstream's own count endpoint answers when its dialect has one; else a
local estimate (``translators.count``).  The ``X-Switchyard-Token-Count``
response header says which (``upstream`` or ``estimate``).
"""
import orjson

import translators
from proxy.providers import endpoints
from proxy.providers.headers import forward_request_headers
from proxy.relay.reply import json_reply
from proxy.providers.upstream import read_all
from translators.count import estimate_tokens

# Fields each count endpoint accepts, of a rendered generate request.
_CLAUDE_COUNT_FIELDS = ("model", "messages", "system", "tools", "tool_choice", "thinking")
# POST /responses/input_tokens takes the input side of a request only
# (OpenAI API reference, "Get input token counts").
_RESPONSES_COUNT_FIELDS = ("model", "input", "instructions", "tools", "tool_choice",
                           "parallel_tool_calls", "reasoning", "text", "truncation")


def count_reply(front, n, *, source):
    body = translators.dialect(front.dialect).render_count_tokens(n)
    return json_reply(200, body, [("X-Switchyard-Token-Count", source)])


def count(front, cred, upstream_model, client, timeouts):
    """Count ``front``'s input tokens with ``cred``'s upstream if it can
    (``timeouts``: see ``UpstreamClient.send``)."""
    ir = translators.dialect(front.dialect).parse_request(_generate_request(front))
    if not endpoints.has_count_endpoint(cred.kind):
        return count_reply(front, estimate_tokens(ir), source="estimate")
    if cred.dialect == front.dialect:       # same dialect: the client's own body
        body = front.body if cred.dialect == "gemini" else dict(front.body, model=upstream_model)
    else:
        body = _count_body(cred, ir, upstream_model)
    url = endpoints.url(cred, upstream_model, action="count_tokens", stream=False)
    headers = endpoints.auth_headers(cred, forward_request_headers(front.headers))
    resp = client.send(cred, url, headers, orjson.dumps(body), timeouts=timeouts)
    answer = orjson.loads(read_all(resp, cred))
    n = answer.get("totalTokens") if cred.dialect == "gemini" else answer.get("input_tokens")
    return count_reply(front, int(n or 0), source="upstream")


def _generate_request(front):
    """Gemini's countTokens body is ``{contents}`` or a whole
    ``{generateContentRequest}``; the others count a generate request."""
    if front.dialect == "gemini" and "generateContentRequest" in front.body:
        return front.body["generateContentRequest"]
    return front.body


def _count_body(cred, ir, upstream_model):
    ir = dict(ir, stream=False)
    rendered = translators.dialect(cred.dialect).render_request(ir, upstream_model)
    if cred.dialect == "claude":
        return {k: rendered[k] for k in _CLAUDE_COUNT_FIELDS if k in rendered}
    if cred.dialect == "gemini":
        # countTokens takes a whole GenerateContentRequest to count tools and
        # system instruction too (Gemini API reference, models.countTokens)
        return {"generateContentRequest": dict(rendered, model=f"models/{upstream_model}")}
    return {k: rendered[k] for k in _RESPONSES_COUNT_FIELDS if k in rendered}
