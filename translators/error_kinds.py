"""What an error type of any dialect means, for types no table names.

Each dialect maps the error types it knows to its own (``errors.py`` of each
package).  Upstreams also send codes no table lists: Responses streams fail
with codes such as ``invalid_prompt`` or ``cyber_policy`` (API reference,
"Streaming events: error" / ``response.failed``), OpenAI-compatible servers
invent their own.  Those are read by what their name says, and a code that
names no server-side trouble is the upstream refusing the request as sent:
an invalid request, never a generic server error.
"""
# Substring of a lower-cased type -> kind; first match wins.
_NEEDLES = (
    ("overload", "overloaded"), ("unavailable", "overloaded"),
    ("rate_limit", "rate_limit"), ("quota", "rate_limit"), ("exhausted", "rate_limit"),
    ("timeout", "timeout"), ("deadline", "timeout"),
    ("unauthenticated", "authentication"), ("authentication", "authentication"),
    ("invalid_api_key", "authentication"),
    ("permission", "permission"), ("not_found", "not_found"),
    ("server", "server"), ("internal", "server"), ("api_error", "server"),
)

KINDS = ("invalid_request", "authentication", "permission", "not_found", "rate_limit",
         "overloaded", "timeout", "server")


def kind_of(error_type):
    """One of ``KINDS`` for a foreign error type or code; None when there is none."""
    if not isinstance(error_type, str) or not error_type:
        return None
    lowered = error_type.lower()
    return next((kind for needle, kind in _NEEDLES if needle in lowered), "invalid_request")
