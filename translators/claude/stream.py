"""Anthropic Messages streams <-> IR stream events.

Event shapes: Messages API "Streaming Messages" and the SDK's
``anthropic.types.raw_*_event`` types.  A stream is ``message_start``,
then per block ``content_block_start`` / ``content_block_delta``* /
``content_block_stop``, then ``message_delta`` (stop reason, cumulative
usage) and ``message_stop``; ``ping`` may come anywhere and ``error`` ends
it early.
"""
from translators import signatures
from translators.ir import call_block

from .content import dump_arguments, message_id, tool_use_id
from .errors import stream_error_event
from .response import stop_reason_from_ir, stop_reason_to_ir
from .usage import usage_from_ir, usage_to_ir

_DELTAS_TO_IR = {
    "text_delta": ("text_delta", "text", "text"),
    "thinking_delta": ("reasoning_delta", "thinking", "text"),
    "signature_delta": ("signature_delta", "signature", "signature"),
    "input_json_delta": ("arguments_delta", "partial_json", "arguments"),
}
_DELTAS_FROM_IR = {ir_type: (delta_type, field, ir_field)
                   for delta_type, (ir_type, field, ir_field) in _DELTAS_TO_IR.items()}


class StreamDecoder:
    """Upstream Anthropic SSE events in, IR stream events out."""

    def __init__(self):
        self._started = False
        self._failed = False        # an error event arrived; only ``end`` is owed
        self._ended = False
        self._blocks = {}           # upstream block index -> IR index
        self._open = None           # IR index of the open block
        self._usage = {}            # Anthropic usage, merged over the stream

    def feed(self, event_name, data):
        if self._ended or self._failed:
            return []
        kind = data.get("type") if isinstance(data, dict) else event_name
        out = [] if self._started else [self._start(data if kind == "message_start" else {})]
        self._started = True
        handler = self._HANDLERS.get(kind)
        if handler:
            out.extend(handler(self, data))
        return out

    def close(self):
        if self._ended:
            return []
        out = [] if self._started else [self._start({})]
        self._started = True
        if not self._failed:
            out.extend(self._close_block())
        return out + self._end()

    def _start(self, event):
        message = event.get("message") or {}
        self._usage.update(message.get("usage") or {})
        return {"type": "start", "id": message.get("id"), "model": message.get("model"),
                # Anthropic messages carry no timestamp.
                "created": None, "usage": usage_to_ir(self._usage) if self._usage else None}

    def _end(self):
        self._ended = True
        return [{"type": "end"}]

    def _close_block(self):
        if self._open is None:
            return []
        index, self._open = self._open, None
        return [{"type": "block_stop", "index": index}]

    def _on_block_start(self, event):
        out = self._close_block()
        opened = _block_to_ir(event.get("content_block") or {})
        if opened is None:
            return out
        block, deltas = opened
        index = self._open = len(self._blocks)
        self._blocks[event.get("index")] = index
        out.append({"type": "block_start", "index": index, "block": block})
        return out + [dict(delta, index=index) for delta in deltas]

    def _on_block_delta(self, event):
        index = self._blocks.get(event.get("index"))
        delta = event.get("delta") or {}
        mapping = _DELTAS_TO_IR.get(delta.get("type"))
        # Deltas of dropped blocks and citations_delta have no IR form.
        if index is None or index != self._open or mapping is None:
            return []
        ir_type, field, ir_field = mapping
        if not delta.get(field):
            return []
        return [_own({"type": ir_type, "index": index, ir_field: delta[field]})]

    def _on_block_stop(self, event):
        if self._open is None or self._blocks.get(event.get("index")) != self._open:
            return []
        return self._close_block()

    def _on_message_delta(self, event):
        out = self._close_block()
        # Counts are cumulative; fields left out keep message_start's values.
        usage = event.get("usage") or {}
        self._usage.update({key: value for key, value in usage.items() if value is not None})
        out.append({"type": "usage", "usage": usage_to_ir(self._usage)})
        delta = event.get("delta") or {}
        if delta.get("stop_reason"):
            out.append({"type": "finish", "stop_reason": stop_reason_to_ir(delta["stop_reason"]),
                        "stop_sequence": delta.get("stop_sequence")})
        return out

    def _on_message_stop(self, event):
        return self._close_block() + self._end()

    def _on_error(self, event):
        self._failed = True
        error = event.get("error") if isinstance(event, dict) else None
        if not isinstance(error, dict):
            return [{"type": "error", "message": str(event), "error_type": None}]
        return [{"type": "error", "message": str(error.get("message") or ""),
                 "error_type": error.get("type")}]

    _HANDLERS = {
        "content_block_start": _on_block_start, "content_block_delta": _on_block_delta,
        "content_block_stop": _on_block_stop, "message_delta": _on_message_delta,
        "message_stop": _on_message_stop, "error": _on_error,
    }


def _block_to_ir(block):
    """(IR block, deltas for content already in the start event), or None
    for server-tool blocks, which no other dialect can carry."""
    kind = block.get("type")
    if kind == "text":
        return {"type": "text"}, _initial("text_delta", "text", block.get("text"))
    if kind == "thinking":
        return {"type": "reasoning"}, (_initial("reasoning_delta", "text", block.get("thinking"))
                                       + _initial("signature_delta", "signature",
                                                  block.get("signature")))
    if kind == "redacted_thinking":
        return {"type": "redacted_reasoning", "data": block.get("data", "")}, []
    if kind == "tool_use":
        arguments = dump_arguments(block["input"]) if block.get("input") else None
        return (call_block(block.get("id"), block.get("name")),
                _initial("arguments_delta", "arguments", arguments))
    return None


def _initial(ir_type, field, value):
    return [_own({"type": ir_type, field: value})] if value else []


def _own(event):
    """An IR delta of this upstream: signatures are Anthropic's own."""
    if event["type"] == "signature_delta":
        event["origin"] = "claude"
    return event


class StreamEncoder:
    """IR stream events in, Anthropic SSE events ``(event name, payload)`` out."""

    def __init__(self, model, request):
        self._model = model
        self._started = False
        self._done = False
        self._indices = {}          # IR block index -> client block index
        self._open = None           # client index of the open block
        self._called_tool = False
        self._usage = None
        self._finish = {}

    def feed(self, event):
        if self._done:
            return []
        handler = getattr(self, "_on_" + event["type"], None)
        return handler(event) if handler else []

    def _on_start(self, event):
        self._started = True
        self._usage = event.get("usage")
        message = {"id": message_id(event.get("id")), "type": "message", "role": "assistant",
                   "content": [], "model": self._model, "stop_reason": None,
                   "stop_sequence": None, "usage": usage_from_ir(self._usage)}
        return [_event("message_start", message=message)]

    def _on_block_start(self, event):
        out = self._close_block()
        index = self._open = self._indices[event["index"]] = len(self._indices)
        block = event["block"]
        self._called_tool |= block["type"] == "tool_call"
        out.append(_event("content_block_start", index=index, content_block=_block_from_ir(block)))
        return out

    def _on_delta(self, event):
        index = self._indices.get(event["index"])
        if index is None:
            return []
        delta_type, field, ir_field = _DELTAS_FROM_IR[event["type"]]
        delta = {"type": delta_type, field: event[ir_field]}
        return [_event("content_block_delta", index=index, delta=delta)]

    _on_text_delta = _on_reasoning_delta = _on_arguments_delta = _on_delta

    def _on_signature_delta(self, event):
        # Another vendor's signature travels tagged (translators/signatures.py).
        signature = signatures.for_client(event["signature"], event.get("origin"), "claude")
        return self._on_delta(dict(event, signature=signature)) if signature else []

    def _on_block_stop(self, event):
        if self._indices.get(event["index"]) != self._open:
            return []
        return self._close_block()

    def _on_usage(self, event):
        self._usage = event["usage"]
        return []

    def _on_finish(self, event):
        self._finish = event
        return []

    def _on_error(self, event):
        self._done = True
        return [stream_error_event(event["message"], event.get("error_type"),
                                   request_id=event.get("request_id"))]

    def _on_end(self, event):
        out = [] if self._started else self._on_start({})
        out.extend(self._close_block())
        self._done = True
        reason = stop_reason_from_ir(self._finish.get("stop_reason"), self._called_tool)
        sequence = self._finish.get("stop_sequence") if reason == "stop_sequence" else None
        out.append(_event("message_delta", delta={"stop_reason": reason, "stop_sequence": sequence},
                          usage=usage_from_ir(self._usage)))
        out.append(_event("message_stop"))
        return out

    def _close_block(self):
        if self._open is None:
            return []
        index, self._open = self._open, None
        return [_event("content_block_stop", index=index)]


def _event(kind, **fields):
    """An Anthropic SSE event: its ``event:`` name is its payload's type."""
    return kind, dict(type=kind, **fields)


def _block_from_ir(block):
    kind = block["type"]
    if kind == "text":
        return {"type": "text", "text": ""}
    if kind == "reasoning":
        return {"type": "thinking", "thinking": "", "signature": ""}
    if kind == "redacted_reasoning":
        return {"type": "redacted_thinking", "data": block["data"]}
    return {"type": "tool_use", "id": tool_use_id(block["id"]), "name": block["name"], "input": {}}
