"""No translator path raises anything but ``TranslationError`` on malformed
input: random JSON values, shaped like the dialects' own (their field names
and type tags, wrong types and missing fields), are fed to every parse and
render function and every stream decoder and encoder of every dialect.

Derandomized and bounded, so the run is the same every time and takes
seconds; a counterexample hypothesis finds is printed as a plain dict.
"""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import translators
from translators import ir

# Field names and type tags of the four dialects (and the IR), so random
# bodies reach deep into the parsers instead of stopping at the first lookup.
KEYS = (
    "model", "messages", "role", "content", "type", "text", "tool_calls", "function", "name",
    "arguments", "id", "input", "output", "parts", "contents", "functionCall",
    "functionResponse", "candidates", "choices", "delta", "index", "tools", "tool_choice",
    "system", "thinking", "signature", "source", "data", "media_type", "image_url", "url",
    "tool_use_id", "call_id", "item", "response", "error", "message", "usage", "status",
    "finishReason", "finish_reason", "thoughtSignature", "thought", "generationConfig",
    "thinkingConfig", "max_tokens", "stream", "reasoning", "summary", "incomplete_details",
    "output_index", "content_index", "content_block", "partial_json", "stop_reason",
    "instructions", "systemInstruction", "toolConfig", "functionDeclarations", "parameters",
    "input_schema", "args", "inlineData", "mimeType", "cache_control", "tool_call_id",
    "stop_sequences", "stop", "response_format", "json_schema", "schema", "format", "code",
    "usageMetadata", "promptFeedback", "refusal", "reasoning_content", "is_error", "block",
    "arguments_delta", "file", "file_data", "filename", "action", "command", "namespace",
    "redacted_thinking", "output_text", "metadata", "stream_options", "n", "effort",
)
TAGS = (
    "text", "tool_use", "tool_result", "thinking", "redacted_thinking", "image", "document",
    "function", "message", "function_call", "function_call_output", "reasoning", "user",
    "assistant", "tool", "system", "developer", "model", "input_text", "output_text",
    "input_image", "input_file", "custom", "custom_tool_call", "local_shell", "base64", "url",
    "auto", "any", "none", "required", "enabled", "disabled", "json_schema", "json_object",
    "start", "block_start", "block_stop", "text_delta", "reasoning_delta", "signature_delta",
    "arguments_delta", "usage", "finish", "error", "end", "tool_call", "message_start",
    "content_block_start", "content_block_delta", "content_block_stop", "message_delta",
    "message_stop", "response.created", "response.output_item.added",
    "response.output_text.delta", "response.function_call_arguments.delta",
    "response.output_item.done", "response.completed", "response.incomplete",
    "response.failed", "input_json_delta", "STOP", "MAX_TOKENS", "SAFETY", "[DONE]",
)
SCALARS = (st.none() | st.booleans() | st.integers(-3, 10 ** 6)
           | st.floats(allow_nan=False, allow_infinity=True) | st.sampled_from(TAGS)
           | st.text(max_size=8))
VALUES = st.recursive(
    SCALARS,
    lambda inner: (st.lists(inner, max_size=4)
                   | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner,
                                     max_size=6)),
    max_leaves=12)
BODIES = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8)
# A request body's IR-shaped twin: what a renderer might be handed.
IR_REQUESTS = st.builds(lambda extra: dict(ir.new_request(), **extra), BODIES)

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def only_translation_errors(call):
    try:
        call()
    except ir.TranslationError:
        pass


@pytest.mark.parametrize("name", translators.DIALECTS)
@SETTINGS
@given(body=BODIES, ir_request=IR_REQUESTS, value=VALUES)
def test_requests(name, body, ir_request, value):
    package = translators.dialect(name)
    only_translation_errors(lambda: package.parse_request(body))
    only_translation_errors(lambda: package.parse_request(value))
    only_translation_errors(lambda: package.render_request(ir_request, "m"))
    only_translation_errors(lambda: package.render_request(body, "m"))


@pytest.mark.parametrize("name", translators.DIALECTS)
@SETTINGS
@given(body=BODIES, value=VALUES)
def test_responses_usage_and_errors(name, body, value):
    package = translators.dialect(name)
    for candidate in (body, value):
        only_translation_errors(lambda: package.parse_response(candidate))
        only_translation_errors(lambda: package.parse_usage(candidate))
        only_translation_errors(lambda: package.parse_error(candidate))
    response = dict(ir.new_response(), **body)
    only_translation_errors(lambda: package.render_response(response, "m", body))
    only_translation_errors(lambda: package.render_response(body, "m", value))
    only_translation_errors(lambda: package.render_error(None, value, body.get("type")))


@pytest.mark.parametrize("name", translators.DIALECTS)
@SETTINGS
@given(events=st.lists(st.tuples(st.none() | st.sampled_from(TAGS), VALUES | BODIES),
                       max_size=4),
       ir_events=st.lists(BODIES, max_size=4), request=BODIES)
def test_streams(name, events, ir_events, request):
    package = translators.dialect(name)
    decoder = package.StreamDecoder()
    for event_name, data in events:
        only_translation_errors(lambda: decoder.feed(event_name, data))
    only_translation_errors(decoder.close)
    encoder = package.StreamEncoder("m", request)
    for event in ir_events:
        only_translation_errors(lambda: encoder.feed(event))


@pytest.mark.parametrize("src", translators.DIALECTS)
@pytest.mark.parametrize("dst", translators.DIALECTS)
@settings(SETTINGS, max_examples=10)
@given(body=BODIES)
def test_composed_translation(src, dst, body):
    """The composed paths the proxy calls, for every pair."""
    only_translation_errors(lambda: translators.translate_request(
        src, dst, body, model="m", stream=bool(body.get("stream"))))
    only_translation_errors(lambda: translators.translate_response(
        src, dst, body, model="m", request=body))
    only_translation_errors(lambda: translators.translate_error(src, dst, body))
