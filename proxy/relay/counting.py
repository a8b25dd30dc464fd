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
from proxy.wire import json_top
from translators.count import estimate_tokens


def count_reply(front, n, *, source):
    body = translators.dialect(front.dialect).render_count_tokens(n)
    return json_reply(200, body, [("X-Switchyard-Token-Count", source)])


def count(front, cred, upstream_model, client, timeouts):
    """Count ``front``'s input tokens with ``cred``'s upstream if it can
    (``timeouts``: see ``UpstreamClient.send``).

    Same dialect, the upstream counting: the client's own bytes go up (the
    model renamed in place, ``proxy.wire.json_top``), as for a generate
    request -- no IR is built and nothing re-serialised (~1.2 ms and
    ~0.6 ms per MB of conversation)."""
    client_dialect = translators.dialect(front.dialect)
    if not endpoints.has_count_endpoint(cred.kind):
        ir = client_dialect.parse_request(client_dialect.counted_request(front.body))
        return count_reply(front, estimate_tokens(ir), source="estimate")
    upstream = translators.dialect(cred.dialect)
    if cred.dialect == front.dialect:       # same dialect: the client's own body
        body = _own_bytes(front, cred, upstream, upstream_model)
        if body is None:
            body = orjson.dumps(edge.count_body(cred, upstream.with_model(front.body,
                                                                          upstream_model),
                                                model=upstream_model))
    else:
        ir = client_dialect.parse_request(client_dialect.counted_request(front.body))
        rendered = upstream.render_request(dict(ir, stream=False), upstream_model)
        body = orjson.dumps(edge.count_body(cred, upstream.count_request(rendered,
                                                                         upstream_model),
                                            model=upstream_model))   # an account's own shape
    url = endpoints.url(cred, upstream_model, action="count_tokens", stream=False)
    headers = endpoints.auth_headers(cred, forward_request_headers(front.headers, cred.dialect))
    resp = client.send(cred, url, headers, body, timeouts=timeouts)
    try:
        answer = orjson.loads(resp.read())
    except orjson.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):      # a 200 page from a proxy, not the count endpoint
        raise failure(UpstreamConnectError, cred, "bad_response",
                      "answered the token count with a body that is not a JSON object")
    return count_reply(front, upstream.parse_count(answer), source="upstream")


def reads_body(cred):
    """Whether a same-dialect count with ``cred`` reads the request beyond
    its top level (an estimate, or an account's request shape)."""
    return not endpoints.has_count_endpoint(cred.kind) or edge.reshapes_count(cred)


def _own_bytes(front, cred, upstream, upstream_model):
    """The client's bytes for a same-dialect count, or None when they
    cannot go as they are (an account kind with a request shape of its own,
    a model that could not be renamed in place)."""
    if edge.reshapes_count(cred):
        return None
    raw = front.raw
    if upstream.with_model(front.top, upstream_model) is not front.top:
        raw = json_top.with_top_string(raw, "model", upstream_model, front.top)
    return raw
