"""The ChatGPT backend's rules for a Codex account's Responses request.

The backend (``/backend-api/codex/responses``) only streams, keeps nothing
(``store`` must be false), wants ``instructions`` present and refuses the
fields of the public API it does not take: ``previous_response_id``,
``prompt_cache_retention``, ``safety_identifier``, ``stream_options``, the
output-token limit and the sampling fields.  A client's whole (non-stream)
request is streamed upstream and re-assembled from ``response.completed``.
"""
import orjson

from proxy.wire import sse

DROPPED = ("previous_response_id", "prompt_cache_retention", "safety_identifier",
           "stream_options", "max_output_tokens", "temperature", "top_p")


def prepare(body):
    """The request body the backend accepts (a new dict)."""
    body = {k: v for k, v in body.items() if k not in DROPPED}
    body["stream"] = True
    body["store"] = False
    if not isinstance(body.get("instructions"), str):
        body["instructions"] = ""
    return body


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
