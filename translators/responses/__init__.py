"""OpenAI Responses: parse to and render from the IR (see translators/ir.py)."""
from translators.guard import guard_surface

from .decoder import StreamDecoder  # noqa: F401
from .encoder import StreamEncoder  # noqa: F401
from .errors import parse_error, render_error, stream_error_event  # noqa: F401
from .request import parse_request, render_request  # noqa: F401
from .response import parse_response, render_count_tokens, render_response  # noqa: F401
from .usage import parse_usage  # noqa: F401
from .wire import (HEADER_PREFIXES, KEEPALIVE, STREAM_END, TOOL_CALL_SIGNATURES,  # noqa: F401
                   REQUEST_ID_HEADER,
                   TURN_PARTS_KEY, TURNS_KEY,
                   TOOL_CALL_MARK, count_request, counted_request, is_error_event,
                   parse_count, stream_tool_calls, with_model)

# Malformed input raises TranslationError only (see translators/guard.py).
guard_surface(globals())
