"""Token counting (Anthropic ``/v1/messages/count_tokens``, Gemini
``:countTokens``, Responses ``/responses/input_tokens``) for any upstream.

The upstream's own count endpoint answers when its dialect has one; else a
local estimate (``translators.count``).  The ``X-Switchyard-Token-Count``
response header says which (``upstream`` or ``estimate``).
"""
import orjson

import translators
from proxy.accounts import edge
from proxy.errors import UpstreamConnectError
from proxy.providers import endpoints
from proxy.providers.headers import forward_request_headers
from proxy.providers.upstream import failure
from proxy.relay.reply import json_reply
from translators.count import estimate_tokens


def count_reply(front, n, *, source):
    body = translators.dialect(front.dialect).render_count_tokens(n)
    return json_reply(200, body, [("X-Switchyard-Token-Count", source)])


def count(front, cred, upstream_model, client, timeouts):
    """Count ``front``'s input tokens with ``cred``'s upstream if it can
    (``timeouts``: see ``UpstreamClient.send``)."""
    client_dialect = translators.dialect(front.dialect)
    ir = client_dialect.parse_request(client_dialect.counted_request(front.body))
    if not endpoints.has_count_endpoint(cred.kind):
        return count_reply(front, estimate_tokens(ir), source="estimate")
    upstream = translators.dialect(cred.dialect)
    if cred.dialect == front.dialect:       # same dialect: the client's own body
        body = upstream.with_model(front.body, upstream_model)
    else:
        rendered = upstream.render_request(dict(ir, stream=False), upstream_model)
        body = upstream.count_request(rendered, upstream_model)
    body = edge.count_body(cred, body, model=upstream_model)     # an account's own shape
    url = endpoints.url(cred, upstream_model, action="count_tokens", stream=False)
    headers = endpoints.auth_headers(cred, forward_request_headers(front.headers, cred.dialect))
    resp = client.send(cred, url, headers, orjson.dumps(body), timeouts=timeouts)
    try:
        answer = orjson.loads(resp.read())
    except orjson.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):      # a 200 page from a proxy, not the count endpoint
        raise failure(UpstreamConnectError, cred, "bad_response",
                      "answered the token count with a body that is not a JSON object")
    return count_reply(front, upstream.parse_count(answer), source="upstream")
