"""OpenAI error bodies: ``{"error": {"message", "type", "param", "code"}}``.

Shared by Chat Completions and Responses (same error object, OpenAI API
reference "Errors").
"""
from translators.error_kinds import kind_of

_TYPES = {
    400: "invalid_request_error", 401: "authentication_error",
    403: "permission_error", 404: "invalid_request_error",
    405: "invalid_request_error", 408: "timeout", 409: "conflict",
    413: "invalid_request_error", 422: "invalid_request_error",
    429: "rate_limit_exceeded", 500: "server_error", 502: "server_error",
    503: "server_error", 504: "timeout",
}


# Other dialects' error types (Anthropic types, google.rpc statuses) that an
# OpenAI SDK user should see under OpenAI's own names.
_FROM_FOREIGN = {
    "not_found_error": "invalid_request_error", "rate_limit_error": "rate_limit_exceeded",
    "overloaded_error": "server_error", "api_error": "server_error",
    "timeout_error": "timeout", "request_too_large": "invalid_request_error",
    "billing_error": "insufficient_quota",
    "INVALID_ARGUMENT": "invalid_request_error", "FAILED_PRECONDITION": "invalid_request_error",
    "UNAUTHENTICATED": "authentication_error", "PERMISSION_DENIED": "permission_error",
    "NOT_FOUND": "invalid_request_error", "RESOURCE_EXHAUSTED": "rate_limit_exceeded",
    "UNAVAILABLE": "server_error", "INTERNAL": "server_error",
    "DEADLINE_EXCEEDED": "timeout", "CANCELLED": "server_error",
}


def error_type_for(status):
    """OpenAI's ``type`` for an HTTP status we make ourselves."""
    if status is None:
        return "api_error"
    return _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


# OpenAI's own types; another type is read by its kind, and kept as ``code``.
_OWN = {"invalid_request_error", "authentication_error", "permission_error", "not_found_error",
        "rate_limit_exceeded", "insufficient_quota", "server_error", "timeout", "conflict",
        "api_error"}
_KINDS = {"invalid_request": "invalid_request_error", "authentication": "authentication_error",
          "permission": "permission_error", "not_found": "invalid_request_error",
          "rate_limit": "rate_limit_exceeded", "overloaded": "server_error",
          "timeout": "timeout", "server": "server_error"}


def render_error(status, message, error_type=None, code=None, param=None, *,
                 request_id=None, retry_after=None):
    """``param`` and ``code`` are always present (null when unknown), as in
    OpenAI's own bodies; the request id and retry time travel as headers
    (``x-request-id``, ``retry-after``), not in the body."""
    error_type = _FROM_FOREIGN.get(error_type, error_type)
    if error_type and error_type not in _OWN:
        code, error_type = code or error_type, _KINDS[kind_of(error_type)]
    error_type = error_type or error_type_for(status)
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def parse_error(body):
    """(message, type) from an OpenAI error body; tolerant of odd shapes."""
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return str(err.get("message") or ""), err.get("type") or err.get("code")
    if isinstance(err, str):
        return err, None
    return str(body), None


def stream_error_event(message, error_type=None, code=None, *, request_id=None,
                       after=()):
    """Chat Completions has no error event: an error object is sent as the
    last ``data:`` line (what OpenAI itself does when a stream fails)."""
    return None, render_error(None, message, error_type or "server_error", code)
