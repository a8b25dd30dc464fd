"""Upstream Responses stream events -> IR stream events.

A Responses stream (API reference, "Streaming events") nests content two
levels deep: output items (message, function_call, reasoning) hold content
parts or summary parts.  Each ``output_text`` / ``refusal`` part, each
function call and each reasoning item becomes one IR block.  A custom
tool call becomes a block when its item is done: its input deltas are raw
text, while IR arguments are JSON (``{"input": ...}``, see ``calls.py``).
"""
from translators.ir import call_block

from .calls import custom_arguments
from .output import reasoning_text, stop_reason
from .usage import parse_usage

_HANDLERS = {
    "response.output_item.added": "_item_added",
    "response.content_part.added": "_part_added",
    "response.output_text.delta": "_text_delta",
    "response.refusal.delta": "_refusal_delta",
    "response.function_call_arguments.delta": "_arguments_delta",
    "response.reasoning_summary_part.added": "_summary_part_added",
    "response.reasoning_summary_text.delta": "_reasoning_delta",
    "response.reasoning_text.delta": "_reasoning_delta",
    "response.content_part.done": "_part_done",
    "response.output_item.done": "_item_done",
    "response.completed": "_finished",
    "response.incomplete": "_finished",
    "response.failed": "_failed",
    "error": "_error",
}
# Everything else (created, in_progress, *.done twins of deltas, annotations,
# built-in tool progress) carries nothing the IR needs.

_TEXT_PARTS = ("output_text", "refusal")


class StreamDecoder:
    """Feed one upstream event at a time; see ``translators.ir`` for the output."""

    def __init__(self):
        self._started = False
        self._done = False        # finish or error emitted: the rest is ignored
        self._ended = False
        self._index = -1          # IR index of the latest block
        self._open = None         # key of the open block, see _open_block
        self._seen = set()        # output indexes that produced a block
        self._arguments = {}      # output index -> arguments streamed so far
        self._tool_calls = False
        self._refused = False

    def feed(self, event_name, data):
        if self._ended or not isinstance(data, dict):
            return []  # "[DONE]" (some compatible servers send it) carries nothing
        out = [] if self._started else [self._start(data)]
        handler = _HANDLERS.get(data.get("type") or event_name)
        if handler and not self._done:
            out.extend(getattr(self, handler)(data))
        return out

    def close(self):
        if self._ended:
            return []
        out = [] if self._started else [self._start({})]
        out.extend(self._close_block())
        if not self._done:
            # No response.completed / incomplete / failed: the answer was cut
            # short (a stream of only "[DONE]", reasoning and no answer, a call
            # whose arguments stop mid-way).  It ends as incomplete, never as a
            # finished turn the client would act on (running a half-made call).
            out.append({"type": "finish", "stop_reason": "length", "stop_sequence": None})
        self._ended = True
        return out + [{"type": "end"}]

    def _start(self, data):
        self._started = True
        response = data.get("response") or {}
        created = response.get("created_at")
        return {"type": "start", "id": response.get("id"), "model": response.get("model"),
                "created": int(created) if created is not None else None, "usage": None}

    # --- blocks -----------------------------------------------------------

    def _open_block(self, key, block):
        """Events making ``key`` the open block.  Keys are ``("text", output,
        content)``, ``("reasoning", output)`` or ``("tool", output)``."""
        if self._open == key:
            return []
        out = self._close_block()
        self._index += 1
        self._open = key
        self._seen.add(key[1])
        return out + [{"type": "block_start", "index": self._index, "block": block}]

    def _close_block(self):
        if self._open is None:
            return []
        self._open = None
        return [{"type": "block_stop", "index": self._index}]

    def _delta(self, kind, field, value):
        return [{"type": kind, "index": self._index, field: value}] if value else []

    # --- handlers ---------------------------------------------------------

    def _item_added(self, data):
        item = data.get("item") or {}
        if item.get("type") != "function_call":
            return []  # messages and reasoning open a block with their first part
        return self._open_call(data.get("output_index"), item)

    def _open_call(self, output, item):
        self._tool_calls = True
        block = call_block(item.get("call_id"), item.get("name"))
        out = self._open_block(("tool", output), block)
        # Some servers send the whole arguments in the added item.
        self._arguments[output] = item.get("arguments") or ""
        return out + self._delta("arguments_delta", "arguments", self._arguments[output])

    def _part_added(self, data):
        part = data.get("part") or {}
        if part.get("type") not in _TEXT_PARTS:
            return []
        self._refused = self._refused or part["type"] == "refusal"
        return self._text(data, part.get("text") or part.get("refusal") or "")

    def _text_delta(self, data):
        return self._text(data, data.get("delta"))

    def _refusal_delta(self, data):
        self._refused = True
        return self._text(data, data.get("delta"))

    def _text(self, data, value):
        key = ("text", data.get("output_index"), data.get("content_index"))
        return self._open_block(key, {"type": "text"}) + self._delta("text_delta", "text", value)

    def _arguments_delta(self, data):
        output = data.get("output_index")
        if self._open != ("tool", output):
            return []  # arguments of a call never announced: nothing to attach them to
        self._arguments[output] += data.get("delta") or ""
        return self._delta("arguments_delta", "arguments", data.get("delta"))

    def _summary_part_added(self, data):
        # Summary parts of one reasoning item are paragraphs of one IR block.
        if data.get("summary_index") and self._open == ("reasoning", data.get("output_index")):
            return self._delta("reasoning_delta", "text", "\n\n")
        return []

    def _reasoning_delta(self, data):
        key = ("reasoning", data.get("output_index"))
        return (self._open_block(key, {"type": "reasoning"})
                + self._delta("reasoning_delta", "text", data.get("delta")))

    def _part_done(self, data):
        if self._open == ("text", data.get("output_index"), data.get("content_index")):
            return self._close_block()
        return []

    def _item_done(self, data):
        output, item = data.get("output_index"), data.get("item") or {}
        if output not in self._seen:
            return self._whole_item(output, item)
        out = []
        if self._open == ("tool", output) and not self._arguments.get(output):
            out += self._delta("arguments_delta", "arguments", item.get("arguments"))
        if self._open and self._open[1] == output:
            out += self._close_block()
        return out

    def _whole_item(self, output, item):
        """Blocks for an item that arrived only in ``output_item.done``."""
        kind, out = item.get("type"), []
        if kind == "function_call":
            out = self._open_call(output, item)
        elif kind == "custom_tool_call":
            arguments = custom_arguments(item.get("input"))
            out = self._open_call(output, {**item, "arguments": arguments})
        elif kind == "reasoning" and reasoning_text(item):
            out = (self._open_block(("reasoning", output), {"type": "reasoning"})
                   + self._delta("reasoning_delta", "text", reasoning_text(item)))
        elif kind == "message":
            for index, part in enumerate(item.get("content") or []):
                self._refused = self._refused or part.get("type") == "refusal"
                out += self._text(
                    {"output_index": output, "content_index": index},
                    part.get("text") or part.get("refusal") or "")
        return out + self._close_block()

    def _finished(self, data):
        self._done = True
        response = data.get("response") or {}
        status = response.get("status") or data["type"].split(".")[-1]
        out = self._close_block()
        usage = parse_usage(data)
        if usage:
            out.append({"type": "usage", "usage": usage})
        stop = stop_reason(status, response.get("incomplete_details"),
                           tool_calls=self._tool_calls, refused=self._refused)
        return out + [{"type": "finish", "stop_reason": stop or "stop", "stop_sequence": None}]

    def _failed(self, data):
        error = (data.get("response") or {}).get("error") or {}
        return self._fail(error.get("message") or "the upstream response failed",
                          error.get("code"))

    def _error(self, data):
        # The documented event is flat; some servers nest it under "error".
        nested = data.get("error")
        if isinstance(nested, dict):
            return self._fail(nested.get("message") or "upstream stream error",
                              nested.get("code") or nested.get("type"))
        return self._fail(data.get("message") or "upstream stream error", data.get("code"))

    def _fail(self, message, error_type):
        # An error is terminal: only ``end`` may follow, not the open block's stop.
        self._done = True
        self._open = None
        return [{"type": "error", "message": message, "error_type": error_type}]
