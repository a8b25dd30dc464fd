"""Responses API errors: whole-response errors are OpenAI error bodies;
a failed stream ends with an ``error`` event (OpenAI API reference,
"Streaming events: error")."""
import re

from translators.openai_chat.errors import parse_error, render_error  # noqa: F401  same shape


# An event's own sequence number (inside a JSON string the quotes would be
# escaped, so text that quotes one never matches).
_SEQUENCE = re.compile(rb'"sequence_number":\s*(\d+)')


def stream_error_event(message, error_type=None, code=None, sequence_number=0, *,
                       request_id=None, after=()):
    """The terminal ``error`` event.  It is flat (no nested ``error`` object):
    the openai SDK raises on a top-level ``error`` key instead of yielding
    the event.  ``sequence_number`` continues the stream's count; ``after``:
    the raw events relayed last (a same-dialect stream the gateway ends),
    whose count it continues instead ("Streaming events": every event has
    one, and the SDK's ``responses.stream()`` checks their order)."""
    for raw in reversed(after):
        numbers = _SEQUENCE.findall(raw)
        if numbers:
            sequence_number = max(map(int, numbers)) + 1
            break
    return "error", {"type": "error", "code": code or error_type or "server_error",
                     "message": message, "param": None,
                     "sequence_number": sequence_number}
