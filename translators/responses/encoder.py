"""IR stream events -> Responses stream events for a client.

Event names and fields follow the openai SDK's ``ResponseStreamEvent``
union; ``client.responses.stream()`` replays them into a response snapshot
and rejects a content event for an item it was not told about, so every
item is announced (``output_item.added``) before its deltas and closed
(``output_item.done``) before ``response.completed``.  ``sequence_number``
counts every event of the stream from 0.

A call of a custom tool (``calls.py``) is announced when its block starts
but its input is sent in one piece when the block stops: the IR streams it
as JSON text (``{"input": ...}``), and decoding a JSON string piecewise
across arbitrary chunk boundaries would buy the client nothing (the SDK and
Codex act on the done item).  A ``local_shell_call`` has no delta events
and needs the whole exec action, so it is announced and done together.
"""
from translators.ir import new_id, now

from .calls import (CUSTOM, LOCAL_SHELL, call_item, call_kinds, custom_call_item, custom_input,
                    function_call_item)
from .errors import stream_error_event
from .namespaces import as_declared, call_namespaces, declared_name
from .output import message_item, output_text, reasoning_item, status_for
from .response import response_id, response_object
from .usage import render_usage


class StreamEncoder:
    """Feed IR events one at a time; each returns ``[(event_name, payload)]``."""

    def __init__(self, model, request):
        self._model = model
        self._request = request or {}
        self._kinds = call_kinds(request)
        self._namespaces = call_namespaces(request)
        self._seq = 0
        self._id = new_id("resp_")
        self._created = now()
        self._items = []          # finished output items, in output order
        self._block = None        # the open block: kind, item id, accumulated text
        self._usage = None
        self._stop = None
        self._closed = False      # after the terminal event nothing more is sent

    def feed(self, event):
        if self._closed:
            return []
        handler = getattr(self, "_on_" + event["type"], None)
        return handler(event) if handler else []

    def _event(self, kind, **fields):
        payload = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return kind, payload

    def _response(self, status, incomplete_details=None):
        return response_object(self._request, self._model, response_id=self._id,
                               created=self._created, status=status,
                               output=list(self._items), usage=render_usage(self._usage),
                               incomplete_details=incomplete_details)

    # --- lifecycle --------------------------------------------------------

    def _on_start(self, event):
        self._id = response_id(event.get("id"))
        self._created = event.get("created") or self._created
        self._usage = event.get("usage")
        response = self._response("in_progress")
        return [self._event("response.created", response=response),
                self._event("response.in_progress", response=response)]

    def _on_usage(self, event):
        self._usage = event["usage"]
        return []

    def _on_finish(self, event):
        self._stop = event["stop_reason"]
        return []

    def _on_end(self, _event):
        out = self._on_block_stop(None)
        status, incomplete = status_for(self._stop)
        self._closed = True
        name = "response.incomplete" if status == "incomplete" else "response.completed"
        return out + [self._event(name, response=self._response(status, incomplete))]

    def _on_error(self, event):
        self._closed = True
        name, payload = stream_error_event(event["message"], event.get("error_type"),
                                           sequence_number=self._seq)
        self._seq += 1
        return [(name, payload)]

    # --- blocks -----------------------------------------------------------

    def _on_block_start(self, event):
        out = self._on_block_stop(None)  # defensive: decoders close blocks themselves
        block = event["block"]
        kind = block["type"]
        if kind == "redacted_reasoning":
            # Another provider's encrypted reasoning has no Responses form.
            return out
        start = {"text": self._start_text, "reasoning": self._start_reasoning,
                 "tool_call": self._start_call}[kind]
        return out + start(block)

    def _open(self, kind, item, **extra):
        output_index = len(self._items)
        self._block = dict(kind=kind, id=item["id"], output_index=output_index, text="", **extra)
        return self._event("response.output_item.added", output_index=output_index,
                           item=as_declared(item, self._namespaces))

    def _start_text(self, _block):
        added = self._open("text", message_item(new_id("msg_"), [], "in_progress"))
        return [added, self._event("response.content_part.added", **self._where(),
                                   content_index=0, part=output_text(""))]

    def _start_reasoning(self, _block):
        # Announced with its first text: a block with none (another vendor's
        # signature carrier, translators/signatures.py) is no item at all.
        self._block = dict(kind="reasoning", id=new_id("rs_"), output_index=len(self._items),
                           text="", announced=False)
        return []

    def _announce_reasoning(self):
        self._block["announced"] = True
        added = self._event("response.output_item.added", output_index=len(self._items),
                            item=reasoning_item(self._block["id"], []))
        return [added, self._event("response.reasoning_summary_part.added", **self._where(),
                                   summary_index=0, part={"type": "summary_text", "text": ""})]

    def _start_call(self, block):
        call_id, name = block.get("id") or new_id("call_"), block["name"]
        kind = self._kinds.get(name)
        if kind == LOCAL_SHELL:
            self._block = dict(kind="tool_call", id=None, output_index=len(self._items),
                               text="", call_id=call_id, name=name, call=kind)
            return []
        if kind == CUSTOM:
            item = custom_call_item(new_id("ctc_"), call_id, name, "", "in_progress")
        else:
            item = function_call_item(new_id("fc_"), call_id, name, "", "in_progress")
        return [self._open("tool_call", item, call_id=call_id, name=name, call=kind)]

    def _where(self):
        return {"item_id": self._block["id"], "output_index": self._block["output_index"]}

    def _on_text_delta(self, event):
        return self._grow("text", event["text"], lambda delta: self._event(
            "response.output_text.delta", **self._where(), content_index=0,
            delta=delta, logprobs=[]))

    def _on_reasoning_delta(self, event):
        block = self._block or {}
        if block.get("kind") == "reasoning" and not block["announced"] and event["text"]:
            return self._announce_reasoning() + self._on_reasoning_delta(event)
        return self._grow("reasoning", event["text"], lambda delta: self._event(
            "response.reasoning_summary_text.delta", **self._where(), summary_index=0,
            delta=delta))

    def _on_arguments_delta(self, event):
        if self._block and self._block.get("call"):
            return self._grow("tool_call", event["arguments"], None)  # sent at block_stop
        return self._grow("tool_call", event["arguments"], lambda delta: self._event(
            "response.function_call_arguments.delta", **self._where(), delta=delta))

    # signature_delta: Responses has no signature field, and another
    # provider's signature must not pose as encrypted_content; dropped.

    def _grow(self, kind, delta, make_event):
        if not self._block or self._block["kind"] != kind or not delta:
            return []
        self._block["text"] += delta
        return [make_event(delta)] if make_event else []

    def _on_block_stop(self, _event):
        if not self._block:
            return []
        stop = {"text": self._stop_text, "reasoning": self._stop_reasoning,
                "tool_call": self._stop_call}[self._block["kind"]]
        out = stop(self._block)
        self._block = None
        return out

    def _finish_item(self, item):
        item = as_declared(item, self._namespaces)
        self._items.append(item)
        return self._event("response.output_item.done",
                           output_index=len(self._items) - 1, item=item)

    def _stop_text(self, block):
        value, where = block["text"], self._where()
        return [self._event("response.output_text.done", **where, content_index=0,
                            text=value, logprobs=[]),
                self._event("response.content_part.done", **where, content_index=0,
                            part=output_text(value)),
                self._finish_item(message_item(block["id"], [value]))]

    def _stop_reasoning(self, block):
        if not block["announced"]:
            return []
        value, where = block["text"], self._where()
        part = {"type": "summary_text", "text": value}
        return [self._event("response.reasoning_summary_text.done", **where,
                            summary_index=0, text=value),
                self._event("response.reasoning_summary_part.done", **where,
                            summary_index=0, part=part),
                self._finish_item(reasoning_item(block["id"], [value]))]

    def _stop_call(self, block):
        # An empty string is not JSON; a call with no arguments streamed has none.
        arguments = block["text"] or "{}"
        if block["call"] == CUSTOM:
            return self._stop_custom(block, custom_input(arguments))
        if block["call"] == LOCAL_SHELL:
            return self._stop_local_shell(block, arguments)
        return [self._event("response.function_call_arguments.done", **self._where(),
                            name=declared_name(block["name"], self._namespaces),
                            arguments=arguments),
                self._finish_item(function_call_item(block["id"], block["call_id"],
                                                     block["name"], arguments))]

    def _stop_custom(self, block, value):
        where = self._where()
        delta = [self._event("response.custom_tool_call_input.delta", **where,
                             delta=value)] if value else []
        return delta + [
            self._event("response.custom_tool_call_input.done", **where, input=value),
            self._finish_item(custom_call_item(block["id"], block["call_id"],
                                               block["name"], value))]

    def _stop_local_shell(self, block, arguments):
        # call_item falls back to a function_call when the command is unusable.
        item = call_item(block["call_id"], block["name"], arguments, self._kinds)
        added = self._event("response.output_item.added", output_index=block["output_index"],
                            item={**item, "status": "in_progress"})
        return [added, self._finish_item(item)]
