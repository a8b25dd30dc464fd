"""The ChatGPT backend's rules for a Codex account's Responses request.

The backend (``/backend-api/codex/responses``) only streams, keeps nothing
(``store`` must be false), wants ``instructions`` present and ``input`` as a
list of items without ``system`` messages (Codex sends its system text as
``instructions`` and ``developer`` messages), and refuses the fields of the
public API it does not take: ``previous_response_id``,
``prompt_cache_retention``, ``prompt_cache_options``, ``safety_identifier``,
``stream_options``, ``user``, ``truncation``, ``context_management``, the
token limits, the sampling fields and a ``service_tier`` other than
``priority`` (as CLIProxyAPI's Codex translator and executor find them:
``internal/translator/codex/openai/responses``).  A client's whole
(non-stream) request is streamed upstream and re-assembled from
``response.completed``.
"""
import orjson

from proxy.wire import sse

DROPPED = ("previous_response_id", "prompt_cache_retention", "prompt_cache_options",
           "safety_identifier", "stream_options", "max_output_tokens",
           "max_completion_tokens", "temperature", "top_p", "user", "truncation",
           "context_management")


def prepare(body):
    """The request body the backend accepts (a new dict)."""
    body = {k: v for k, v in body.items() if k not in DROPPED}
    if body.get("service_tier") not in (None, "priority"):
        del body["service_tier"]
    body["stream"] = True
    body["store"] = False
    if not isinstance(body.get("instructions"), str):
        body["instructions"] = ""
    if isinstance(body.get("input"), str):
        body["input"] = [{"type": "message", "role": "user",
                          "content": [{"type": "input_text", "text": body["input"]}]}]
    elif isinstance(body.get("input"), list):
        body["input"] = [_no_system(item) for item in body["input"]]
    return body


def _no_system(item):
    """A ``system`` message as the ``developer`` message the backend takes."""
    if isinstance(item, dict) and item.get("role") == "system" and \
            item.get("type", "message") == "message":
        return dict(item, role="developer")
    return item


# A stream that ends in ``response.failed`` carries the error the public
# API would have answered with a status; the codes as codex-rs reads them
# (``codex-api`` SSE handling): the account's limits, the request's fault,
# the backend's load.
_FAILED_STATUS = {"rate_limit_exceeded": 429, "usage_limit_reached": 429,
                  "usage_not_included": 429, "insufficient_quota": 429,
                  "context_length_exceeded": 400, "invalid_prompt": 400,
                  "invalid_request_error": 400, "cyber_policy": 400,
                  "server_is_overloaded": 503, "slow_down": 503}


def failure(response):
    """``(status, error body)`` for a ``failed`` Responses object, or None
    when it did not fail."""
    if not isinstance(response, dict) or response.get("status") != "failed":
        return None
    error = response.get("error") if isinstance(response.get("error"), dict) else {}
    code = error.get("code") or error.get("type") or "server_error"
    body = {"error": dict(error, type=error.get("type") or code, code=code,
                          message=error.get("message") or "the response failed")}
    return _FAILED_STATUS.get(code, 500), body


def assemble(events):
    """The Responses object of a whole answer from its raw SSE events:
    ``response.completed``'s ``response`` (or ``.incomplete``/``.failed``).
    None when the stream ended without one."""
    for raw in events:
        name, data = sse.parse(raw)
        if data is None:
            continue
        try:
            event = orjson.loads(data)
        except orjson.JSONDecodeError:
            continue
        kind = event.get("type") or (name.decode() if isinstance(name, bytes) else name)
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            return event.get("response")
    return None
