"""Streamed chat completions: ``chat.completion.chunk`` events <-> IR events.

Chunk shape per the API reference, "The chat completion chunk object".
Chunks have no block boundaries: the decoder opens a block when a delta
of another kind (reasoning, text, a new tool-call ``index``) arrives and
closes it when the next opens or ``finish_reason`` comes.  ``finish_reason``
precedes the usage chunk, whereas the IR wants usage first, so the decoder
holds both until ``[DONE]``.
"""
from translators.ir import new_id, now

from .errors import parse_error, stream_error_event
from .response import completion_id, finish_reason_for, stop_reason_of
from .usage import parse_usage, render_usage

_END = {"type": "end"}


class StreamDecoder:
    """Upstream chunks in, IR stream events out."""

    def __init__(self):
        self._started = False
        self._failed = False
        self._ended = False
        self._open = None          # key of the open block: "reasoning", "text", ("tool", n)
        self._index = -1           # IR index of the latest block
        self._tool_blocks = {}     # ("tool", n) -> IR index
        self._usage = None
        self._finish_reason = None
        self._refusal = False

    def feed(self, event_name, data):
        if self._failed or self._ended:
            return []
        if data == "[DONE]":
            return self.close()
        if not isinstance(data, dict):
            return []
        events = self._start(data)
        if data.get("error"):
            self._failed = True
            message, error_type = parse_error(data)
            return events + [{"type": "error", "message": message, "error_type": error_type}]
        self._usage = parse_usage(data) or self._usage
        for choice in data.get("choices") or []:
            # The IR carries one answer; other choices (n > 1) are dropped.
            if choice.get("index", 0) == 0:
                events += self._choice(choice)
        return events

    def close(self):
        if self._ended:
            return []
        self._ended = True
        if self._failed:
            return [_END]
        events = self._start({}) + self._close_block()
        if self._usage:
            events.append({"type": "usage", "usage": self._usage})
        if self._finish_reason:
            reason = stop_reason_of(self._finish_reason, tool_calls=bool(self._tool_blocks),
                                    refusal=self._refusal)
            events.append({"type": "finish", "stop_reason": reason, "stop_sequence": None})
        return events + [_END]

    def _start(self, chunk):
        if self._started:
            return []
        self._started = True
        return [{"type": "start", "id": chunk.get("id"), "model": chunk.get("model"),
                 "created": chunk.get("created"), "usage": None}]

    def _choice(self, choice):
        delta = choice.get("delta") or {}
        events = []
        # Reasoning arrives as ``reasoning_content`` (DeepSeek, vLLM) or
        # ``reasoning`` (OpenRouter, newer vLLM).
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            events += self._enter("reasoning", {"type": "reasoning"})
            events.append({"type": "reasoning_delta", "index": self._index, "text": reasoning})
        for key in ("content", "refusal"):
            if delta.get(key):
                self._refusal = self._refusal or key == "refusal"
                events += self._enter("text", {"type": "text"})
                events.append({"type": "text_delta", "index": self._index, "text": delta[key]})
        for position, call in enumerate(delta.get("tool_calls") or []):
            events += self._tool_call(call.get("index", position), call)
        if choice.get("finish_reason"):
            self._finish_reason = choice["finish_reason"]
            events += self._close_block()
        return events

    def _tool_call(self, position, call):
        key = ("tool", position)
        function = call.get("function") or {}
        events = []
        if key not in self._tool_blocks:
            block = {"type": "tool_call", "id": call.get("id") or new_id("call_"),
                     "name": function.get("name") or ""}
            events = self._enter(key, block)
            self._tool_blocks[key] = self._index
        # OpenAI sends one call's deltas before the next call's; a server
        # that interleaved would get its late pieces on the call's own index.
        if function.get("arguments"):
            events.append({"type": "arguments_delta", "index": self._tool_blocks[key],
                           "arguments": function["arguments"]})
        return events

    def _enter(self, key, block):
        if self._open == key:
            return []
        events = self._close_block()
        self._open = key
        self._index += 1
        return events + [{"type": "block_start", "index": self._index, "block": block}]

    def _close_block(self):
        if self._open is None:
            return []
        self._open = None
        return [{"type": "block_stop", "index": self._index}]


class StreamEncoder:
    """IR stream events in, ``(None, chunk)`` client events out."""

    # No chunk of their own: blocks have no boundaries in chunks, and
    # signatures and redacted reasoning have no OpenAI field.
    _SILENT = ("block_stop", "signature_delta")

    def __init__(self, model, request):
        self._model = model
        self._include_usage = bool(((request or {}).get("stream_options") or {})
                                   .get("include_usage"))
        self._id = new_id("chatcmpl-")
        self._created = now()
        self._tool_positions = {}  # IR block index -> OpenAI tool_calls index
        self._usage = None
        self._stop_reason = None
        self._done = False

    def feed(self, event):
        if self._done or event["type"] in self._SILENT:
            return []
        return getattr(self, "_on_" + event["type"])(event)

    def _on_start(self, event):
        self._id = completion_id(event.get("id"))
        self._created = event.get("created") or self._created
        self._usage = event.get("usage") or self._usage
        return [self._chunk({"role": "assistant", "content": ""})]

    def _on_block_start(self, event):
        block = event["block"]
        if block["type"] != "tool_call":
            return []
        position = len(self._tool_positions)
        self._tool_positions[event["index"]] = position
        call = {"index": position, "id": block["id"], "type": "function",
                "function": {"name": block["name"], "arguments": ""}}
        return [self._chunk({"tool_calls": [call]})]

    def _on_text_delta(self, event):
        return [self._chunk({"content": event["text"]})]

    def _on_reasoning_delta(self, event):
        return [self._chunk({"reasoning_content": event["text"]})]

    def _on_arguments_delta(self, event):
        call = {"index": self._tool_positions[event["index"]],
                "function": {"arguments": event["arguments"]}}
        return [self._chunk({"tool_calls": [call]})]

    def _on_usage(self, event):
        self._usage = event["usage"]
        return []

    def _on_finish(self, event):
        self._stop_reason = event["stop_reason"]
        return []

    def _on_error(self, event):
        self._done = True
        return [stream_error_event(event["message"], event.get("error_type"))]

    def _on_end(self, event):
        self._done = True
        reason = finish_reason_for(self._stop_reason, tool_calls=bool(self._tool_positions))
        events = [self._chunk({}, finish_reason=reason)]
        if self._include_usage and self._usage:
            # The usage chunk has no choices (API reference, stream_options).
            events.append((None, dict(self._envelope([]), usage=render_usage(self._usage))))
        return events + [(None, "[DONE]")]

    def _chunk(self, delta, finish_reason=None):
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        chunk = self._envelope([choice])
        if self._include_usage:
            chunk["usage"] = None
        return None, chunk

    def _envelope(self, choices):
        return {"id": self._id, "object": "chat.completion.chunk", "created": self._created,
                "model": self._model, "choices": choices}
