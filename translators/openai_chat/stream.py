"""Streamed chat completions: ``chat.completion.chunk`` events <-> IR events.

Chunk shape per the API reference, "The chat completion chunk object".
Chunks have no block boundaries: the decoder opens a block when a delta
of another kind (reasoning, text, a new tool-call ``index``) arrives and
closes it when the next opens or ``finish_reason`` comes.

Parallel tool calls become blocks in ``index`` order whatever order their
deltas arrive in (some compatible servers send indexes 2, 0, 1): a call
streams live when it is the next in order and named, and any other is held
until its turn, at the latest until ``finish_reason``.  A call that never
got a name or an id gets generated ones (``ir.call_block``).  ``finish_reason``
precedes the usage chunk, whereas the IR wants usage first, so the decoder
holds both until ``[DONE]``.
"""
from translators import freeform
from translators.ir import call_block, new_id, now

from . import custom
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
        self._calls = {}           # tool-call index -> {id, name, arguments, block}
        self._next_call = 0        # lowest tool-call index not yet given a block
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
        events = self._start({}) + self._flush_calls() + self._close_block()
        if self._usage:
            events.append({"type": "usage", "usage": self._usage})
        if self._finish_reason:
            reason = stop_reason_of(self._finish_reason, tool_calls=bool(self._calls),
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
            events += self._flush_calls() + self._close_block()
        return events

    def _tool_call(self, position, call):
        state = self._calls.setdefault(position, {"id": None, "name": None, "arguments": "",
                                                  "block": None})
        function = call.get("function") or {}
        state["id"] = state["id"] or call.get("id")
        state["name"] = state["name"] or function.get("name")
        arguments = function.get("arguments") or ""
        if state["block"] is not None:
            # Live, or a late piece of a call already closed (no server
            # interleaves calls; IR blocks cannot reopen): only live ones go on.
            live = self._open == ("tool", position)
            return [self._arguments(state["block"], arguments)] if live and arguments else []
        state["arguments"] += arguments
        events = []
        if self._open_call() is not None and position == self._open_call() + 1:
            events = self._close_block()  # the next call began: the open one is whole
        if self._open_call() is None:
            events += self._open_next_call(require_name=True)
        return events

    def _open_next_call(self, require_name):
        """Open the call next in index order if it is known (and named, when
        ``require_name``), with the arguments held for it."""
        state = self._calls.get(self._next_call)
        if state is None or state["block"] is not None or (require_name and not state["name"]):
            return []
        events = self._enter(("tool", self._next_call), call_block(state["id"], state["name"]))
        state["block"] = self._index
        if state["arguments"]:
            events.append(self._arguments(state["block"], state["arguments"]))
        return events

    def _flush_calls(self):
        """Every call not yet given a block, in index order, each closed."""
        events = []
        for position in sorted(i for i, c in self._calls.items() if c["block"] is None):
            events += self._close_block()
            self._next_call = position
            events += self._open_next_call(require_name=False)
        return events

    def _open_call(self):
        """The tool-call index of the open block, None when it is no call."""
        return self._open[1] if isinstance(self._open, tuple) else None

    def _arguments(self, index, arguments):
        return {"type": "arguments_delta", "index": index, "arguments": arguments}

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
        if self._open_call() is not None:
            self._next_call = self._open_call() + 1
        self._open = None
        return [{"type": "block_stop", "index": self._index}]


class StreamEncoder:
    """IR stream events in, ``(None, chunk)`` client events out."""

    # No chunk of their own: signatures and redacted reasoning have no
    # OpenAI field (and blocks no boundaries in chunks, but a custom call's).
    _SILENT = ("signature_delta",)

    def __init__(self, model, request):
        self._model = model
        options = request.get("stream_options") if isinstance(request, dict) else None
        self._include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
        self._id = new_id("chatcmpl-")
        self._created = now()
        self._tool_positions = {}  # IR block index -> OpenAI tool_calls index
        self._custom_names = custom.names(request)
        self._custom_inputs = {}   # IR block index -> a custom call's arguments so far
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
        if block["name"] in self._custom_names:
            # A custom call's raw input is sent whole when its block stops:
            # the IR streams it as JSON text ({"input": ...}).
            self._custom_inputs[event["index"]] = ""
            call = {"index": position, "id": block["id"], "type": custom.CUSTOM,
                    "custom": {"name": block["name"], "input": ""}}
        else:
            call = {"index": position, "id": block["id"], "type": "function",
                    "function": {"name": block["name"], "arguments": ""}}
        return [self._chunk({"tool_calls": [call]})]

    def _on_block_stop(self, event):
        arguments = self._custom_inputs.pop(event["index"], None)
        if arguments is None:
            return []
        value = freeform.raw_input(arguments or "{}")
        call = {"index": self._tool_positions[event["index"]], "custom": {"input": value}}
        return [self._chunk({"tool_calls": [call]})]

    def _on_text_delta(self, event):
        return [self._chunk({"content": event["text"]})]

    def _on_reasoning_delta(self, event):
        return [self._chunk({"reasoning_content": event["text"]})]

    def _on_arguments_delta(self, event):
        if event["index"] in self._custom_inputs:
            self._custom_inputs[event["index"]] += event["arguments"]
            return []
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
