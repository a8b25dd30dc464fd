"""Gemini generateContent: parse to and render from the IR (see translators/ir.py)."""
from translators.guard import guard_surface

from .errors import parse_error, render_error, stream_error_event  # noqa: F401
from .request import parse_request, render_request  # noqa: F401
from .response import parse_response, parse_usage, render_count_tokens, render_response  # noqa: F401
from .stream import StreamDecoder, StreamEncoder  # noqa: F401

# Malformed input raises TranslationError only (see translators/guard.py).
guard_surface(globals())
