"""Anthropic error bodies: ``{"type": "error", "error": {"type", "message"},
"request_id": "req_..."}`` (Anthropic API reference, "Errors": "The response
will also include a request_id field for easier tracking and debugging");
streams end with ``event: error`` carrying the same object."""
from translators.error_kinds import kind_of

_TYPES = {
    400: "invalid_request_error", 401: "authentication_error",
    402: "billing_error", 403: "permission_error", 404: "not_found_error",
    405: "invalid_request_error", 408: "timeout_error",
    413: "request_too_large", 422: "invalid_request_error",
    429: "rate_limit_error", 500: "api_error", 502: "api_error",
    503: "overloaded_error", 504: "timeout_error", 529: "overloaded_error",
}

# Other dialects' error types that have a direct Anthropic twin.
_FROM_FOREIGN = {
    "authentication_error": "authentication_error",
    "permission_error": "permission_error",
    "rate_limit_exceeded": "rate_limit_error", "insufficient_quota": "rate_limit_error",
    "RESOURCE_EXHAUSTED": "rate_limit_error", "UNAUTHENTICATED": "authentication_error",
    "PERMISSION_DENIED": "permission_error", "NOT_FOUND": "not_found_error",
    "INVALID_ARGUMENT": "invalid_request_error", "UNAVAILABLE": "overloaded_error",
    "DEADLINE_EXCEEDED": "timeout_error", "INTERNAL": "api_error",
    "server_error": "api_error", "timeout": "timeout_error",
}


_KINDS = {"invalid_request": "invalid_request_error", "authentication": "authentication_error",
          "permission": "permission_error", "not_found": "not_found_error",
          "rate_limit": "rate_limit_error", "overloaded": "overloaded_error",
          "timeout": "timeout_error", "server": "api_error"}


# Statuses that name one error type whatever the body says (API reference,
# "HTTP errors"): an OpenAI 401 says ``invalid_request_error``, an
# Anthropic client expects ``authentication_error`` with it.
_STATUS_DECIDES = (401, 403, 404, 413, 429, 504, 529)


def error_type_for(status, foreign_type=None):
    if status in _STATUS_DECIDES:
        return _TYPES[status]
    if foreign_type in _TYPES.values():
        return foreign_type
    if foreign_type in _FROM_FOREIGN:
        return _FROM_FOREIGN[foreign_type]
    if kind_of(foreign_type):
        return _KINDS[kind_of(foreign_type)]
    if status is None:
        return "api_error"
    return _TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")


def render_error(status, message, error_type=None, code=None, param=None, *,
                 request_id=None, retry_after=None):
    """``request_id``: the id to quote at top level (the SDK's
    ``APIStatusError.request_id`` reads the ``request-id`` header, which
    the gateway sends too); ``retry_after`` travels as a header only."""
    body = {"type": "error",
            "error": {"type": error_type_for(status, error_type), "message": message}}
    if request_id:
        body["request_id"] = request_id
    return body


def parse_error(body):
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return str(err.get("message") or ""), err.get("type")
    return str(body), None


def stream_error_event(message, error_type=None, code=None, *, request_id=None,
                       after=()):
    return "error", render_error(None, message, error_type or "api_error",
                                 request_id=request_id)
