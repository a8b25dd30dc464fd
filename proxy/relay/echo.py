"""The built-in ``echo`` upstream: answers every dialect with no network.

It repeats the last user text back ("echo: ..."), word by word when
streamed, through the client dialect's own renderer and stream encoder, so
a config-less start answers any SDK at once and the whole relay path
(encoders included) is exercised without a network.
"""
import translators
from translators import ir as IR
from translators.count import estimate_tokens


def _last_user_text(request):
    for message in reversed(request["messages"]):
        if message["role"] == "user":
            texts = [p["text"] for p in message["content"] if p["type"] == "text"]
            if texts:
                return " ".join(texts)
    return ""


def _answer(ir_request):
    text = "echo: " + (_last_user_text(ir_request) or "(nothing to echo)")
    limit = ir_request.get("max_tokens")
    words = text.split(" ")
    stop = "stop"
    if limit is not None and len(words) > limit:
        words, stop = words[:max(1, limit)], "length"
    input_tokens = estimate_tokens(ir_request)
    return words, stop, IR.usage(input_tokens=input_tokens, output_tokens=len(words))


def response(dialect, body, model):
    """``(whole response body in dialect, IR usage)``."""
    ir_request = translators.dialect(dialect).parse_request(body)
    words, stop, usage = _answer(ir_request)
    resp = IR.new_response(model)
    resp.update(id=IR.new_id("echo-"), created=IR.now(), content=[IR.text(" ".join(words))],
                stop_reason=stop, usage=usage)
    return translators.dialect(dialect).render_response(resp, model, body), usage


def stream(dialect, body, model):
    """``(client events of a streamed answer as (event, payload), IR usage)``."""
    ir_request = translators.dialect(dialect).parse_request(body)
    words, stop, usage = _answer(ir_request)
    return _stream_events(dialect, body, model, words, stop, usage), usage


def _stream_events(dialect, body, model, words, stop, usage):
    encoder = translators.dialect(dialect).StreamEncoder(model, body)
    usage_at_start = IR.usage(input_tokens=usage["input_tokens"])
    ir_events = [{"type": "start", "id": IR.new_id("echo-"), "model": model,
                  "created": IR.now(), "usage": usage_at_start},
                 {"type": "block_start", "index": 0, "block": {"type": "text"}}]
    ir_events += [{"type": "text_delta", "index": 0, "text": w if i == 0 else " " + w}
                  for i, w in enumerate(words)]
    ir_events += [{"type": "block_stop", "index": 0}, {"type": "usage", "usage": usage},
                  {"type": "finish", "stop_reason": stop, "stop_sequence": None},
                  {"type": "end"}]
    for event in ir_events:
        yield from encoder.feed(event)


def count_tokens(dialect, body):
    return estimate_tokens(translators.dialect(dialect).parse_request(body))
