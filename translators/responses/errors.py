"""Responses API errors: whole-response errors are OpenAI error bodies;
a failed stream ends with an ``error`` event (OpenAI API reference,
"Streaming events: error")."""
from translators.openai_chat.errors import parse_error, render_error  # noqa: F401  same shape


def stream_error_event(message, error_type=None, code=None, sequence_number=0):
    """The terminal ``error`` event.  It is flat (no nested ``error`` object):
    the openai SDK raises on a top-level ``error`` key instead of yielding
    the event.  ``sequence_number`` continues the stream's count."""
    return "error", {"type": "error", "code": code or error_type or "server_error",
                     "message": message, "param": None,
                     "sequence_number": sequence_number}
