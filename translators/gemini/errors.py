"""Gemini error bodies: ``{"error": {"code", "message", "status", "details"}}``
with a google.rpc status name (Gemini API "Troubleshooting" / AIP-193); a
429 says when to come back in a ``google.rpc.RetryInfo`` detail."""
import re

from translators.error_kinds import kind_of

_STATUSES = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
    404: "NOT_FOUND", 405: "INVALID_ARGUMENT", 408: "DEADLINE_EXCEEDED",
    409: "ABORTED", 413: "INVALID_ARGUMENT", 422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED", 499: "CANCELLED", 500: "INTERNAL",
    501: "UNIMPLEMENTED", 502: "UNAVAILABLE", 503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_CODES = {status: code for code, status in _STATUSES.items() if code not in (405, 413, 422, 408, 502)}

# Other dialects' error types mapped to google.rpc status names.
_FROM_FOREIGN = {
    "invalid_request_error": "INVALID_ARGUMENT", "authentication_error": "UNAUTHENTICATED",
    "permission_error": "PERMISSION_DENIED", "not_found_error": "NOT_FOUND",
    "rate_limit_error": "RESOURCE_EXHAUSTED", "rate_limit_exceeded": "RESOURCE_EXHAUSTED",
    "overloaded_error": "UNAVAILABLE", "api_error": "INTERNAL", "server_error": "INTERNAL",
    "timeout_error": "DEADLINE_EXCEEDED", "request_too_large": "INVALID_ARGUMENT",
}


_KINDS = {"invalid_request": "INVALID_ARGUMENT", "authentication": "UNAUTHENTICATED",
          "permission": "PERMISSION_DENIED", "not_found": "NOT_FOUND",
          "rate_limit": "RESOURCE_EXHAUSTED", "overloaded": "UNAVAILABLE",
          "timeout": "DEADLINE_EXCEEDED", "server": "INTERNAL"}


# HTTP statuses that name one google.rpc status whatever the body says
# (AIP-193's mapping): an OpenAI 404 says ``invalid_request_error``, a
# Gemini client expects NOT_FOUND with it.
_STATUS_DECIDES = (401, 403, 404, 429, 504)


def status_for(code, foreign_type=None):
    if code in _STATUS_DECIDES:
        return _STATUSES[code]
    if foreign_type in _CODES:
        return foreign_type
    if foreign_type in _FROM_FOREIGN:
        return _FROM_FOREIGN[foreign_type]
    if kind_of(foreign_type):
        return _KINDS[kind_of(foreign_type)]
    if code is None:
        return "INTERNAL"
    return _STATUSES.get(code, "INTERNAL" if code >= 500 else "INVALID_ARGUMENT")


# google.rpc.RetryInfo, the detail a 429's client waits by (Gemini API
# "Rate limits"; Gemini CLI reads its ``retryDelay``, a Duration in JSON:
# "37s").
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?)s\s*$")


def render_error(status, message, error_type=None, code=None, param=None, *,
                 request_id=None, retry_after=None):
    """``retry_after``: whole seconds to wait, as a RetryInfo detail;
    ``request_id``: not part of Google's shape (it travels as a header)."""
    rpc_status = status_for(status, error_type)
    http_code = status if status is not None else _CODES.get(rpc_status, 500)
    error = {"code": http_code, "message": message, "status": rpc_status}
    if retry_after is not None:
        error["details"] = [{"@type": RETRY_INFO, "retryDelay": f"{int(retry_after)}s"}]
    return {"error": error}


def retry_delay(body):
    """Seconds a Gemini error body's RetryInfo asks the client to wait, or None."""
    err = body.get("error") if isinstance(body, dict) else None
    details = err.get("details") if isinstance(err, dict) else None
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, dict) and detail.get("@type") == RETRY_INFO:
            found = _DURATION.match(str(detail.get("retryDelay") or ""))
            if found:
                return float(found.group(1))
    return None


def parse_error(body):
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return str(err.get("message") or ""), err.get("status")
    return str(body), None


def stream_error_event(message, error_type=None, code=None, *, request_id=None,
                       after=()):
    """Gemini's SSE has no error event; the error object is the last chunk."""
    return None, render_error(None, message, error_type or "INTERNAL")
