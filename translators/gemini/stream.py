"""Gemini ``streamGenerateContent?alt=sse`` streams <-> IR stream events.

Every SSE event is ``data: <GenerateContentResponse>`` with no event name:
text arrives in pieces, a ``functionCall`` whole in one part, and the chunk
with ``finishReason`` is the last and carries the final (cumulative)
``usageMetadata``.
"""

from translators import ir, signatures
from translators.ir import call_block

from .errors import parse_error, stream_error_event
from .keys import enum, get
from .parts import parse_function_call, render_part, signed
from .response import (first_candidate, new_response_id, parse_stop_reason, parse_usage,
                       prompt_blocked, render_finish_reason, render_usage)


class StreamDecoder:
    """Gemini chunks in, a well-formed IR event sequence out (see ``ir``).

    Usage is held back until the finishReason chunk (IR usage follows the
    blocks) and ``finish`` until ``close``, so a late usage-only chunk still
    fits the IR order; encoders close their streams on ``end`` anyway.
    """

    def __init__(self):
        self._started = self._failed = self._closed = False
        self._open = None  # (index, "text"|"reasoning") of the open text-like block
        self._next_index = 0
        self._has_calls = False
        self._stop_reason = None
        self._usage = self._usage_sent = None

    def feed(self, event_name, data):
        if self._failed or self._closed:
            return []
        events = [] if self._started else [self._start(data)]
        if not isinstance(data, dict):
            return events  # Gemini sends only JSON; anything else carries nothing
        if isinstance(data.get("error"), dict):
            self._failed = True
            message, status = parse_error(data)
            return events + [{"type": "error", "message": message, "error_type": status}]
        if self._stop_reason is None:
            # Parts after the finishReason chunk would break the IR order;
            # Gemini sends none.
            events += self._content(data)
        self._usage = parse_usage(data) or self._usage
        if self._stop_reason is not None:
            events += self._flush_usage()
        return events

    def close(self):
        if self._closed:
            return []
        self._closed = True
        events = [] if self._started else [self._start(None)]
        if not self._failed:
            events += self._close_block() + self._flush_usage()
            if self._stop_reason:
                events.append({"type": "finish", "stop_reason": self._stop_reason,
                               "stop_sequence": None})
        return events + [{"type": "end"}]

    def _start(self, data):
        self._started = True
        return {"type": "start", "id": get(data, "responseId"), "model": get(data, "modelVersion"),
                "created": None, "usage": parse_usage(data) if isinstance(data, dict) else None}

    def _content(self, data):
        candidate = first_candidate(data)
        events = []
        for part in get(get(candidate, "content"), "parts") or []:
            events += self._part(part)
        reason = enum(candidate, "finishReason")
        if prompt_blocked(data):
            self._stop_reason = "content_filter"
        elif reason:
            self._stop_reason = parse_stop_reason(reason, self._has_calls)
        if self._stop_reason:
            events += self._close_block()
        return events

    def _part(self, part):
        call = get(part, "functionCall")
        if call:
            return self._function_call(parse_function_call(call, get(part, "thoughtSignature")))
        if not isinstance(part.get("text"), str):
            return []  # inline media: IR streams have no media blocks
        kind = "reasoning" if part.get("thought") else "text"
        signature = get(part, "thoughtSignature")
        events = []
        if signature and kind == "text" and part["text"]:
            # On the first answer part: its carrier, an empty reasoning block, goes first.
            events += self._signature(signature)
            signature = None
        if part["text"]:
            events += self._ensure_open(kind)
            events.append({"type": f"{kind}_delta", "index": self._open[0], "text": part["text"]})
        if signature:
            # On a thought, or alone in an empty part (as streams end): the
            # reasoning block's signature, and no empty text block opened.
            events += self._signature(signature)
        return events

    def _signature(self, signature):
        events = self._ensure_open("reasoning")
        return events + [{"type": "signature_delta", "index": self._open[0],
                          "signature": signature, "origin": "gemini"}]

    def _function_call(self, call):
        """A whole call as one block.  Its ``thoughtSignature`` rides on the
        block (Gemini-only key): no other dialect has a place for it."""
        self._has_calls = True
        # Its carrier first, for clients that keep reasoning signatures (Claude's).
        events = self._signature(call["signature"]) if call.get("signature") else []
        events += self._close_block()
        index = self._take_index()
        block = call_block(call["id"], call["name"])
        if call.get("signature"):
            block["signature"], block["origin"] = call["signature"], "gemini"
        arguments = {"type": "arguments_delta", "index": index, "arguments": call["arguments"]}
        return events + [{"type": "block_start", "index": index, "block": block}, arguments,
                         {"type": "block_stop", "index": index}]

    def _ensure_open(self, kind):
        if self._open and self._open[1] == kind:
            return []
        events = self._close_block()
        self._open = (self._take_index(), kind)
        return events + [{"type": "block_start", "index": self._open[0], "block": {"type": kind}}]

    def _close_block(self):
        if self._open is None:
            return []
        index, self._open = self._open[0], None
        return [{"type": "block_stop", "index": index}]

    def _take_index(self):
        self._next_index += 1
        return self._next_index - 1

    def _flush_usage(self):
        if self._usage is None or self._usage == self._usage_sent:
            return []
        self._usage_sent = self._usage
        return [{"type": "usage", "usage": self._usage}]


class StreamEncoder:
    """IR events in, Gemini SSE chunks out (``(None, chunk)`` pairs).

    Gemini has no lifecycle events: ``start`` emits nothing, each delta is a
    chunk at once, a tool call is one chunk at its ``block_stop`` (Gemini
    sends calls whole), and ``end`` sends the chunk with ``finishReason``
    and ``usageMetadata``.  ``request`` is unused: chunks echo nothing of it.
    """

    def __init__(self, model, request):
        self._model = model
        self._id = new_response_id()
        self._blocks = {}
        self._usage = None
        self._stop_reason = None
        self._done = False

    def feed(self, event):
        if self._done:
            return []
        handler = getattr(self, "_on_" + event["type"], None)
        return handler(event) if handler else []

    def _chunk(self, parts, **candidate):
        # Every chunk keeps a non-empty ``parts``: google-genai's chat marks a
        # turn invalid (and drops it from history) on any chunk without one.
        return None, {"candidates": [{"content": {"role": "model", "parts": parts},
                                      **candidate, "index": 0}],
                      "modelVersion": self._model, "responseId": self._id}

    def _on_start(self, event):
        self._usage = event.get("usage")
        return []

    def _on_block_start(self, event):
        self._blocks[event["index"]] = dict(event["block"], arguments="")
        return []

    def _on_text_delta(self, event):
        return [self._chunk([{"text": event["text"]}])] if event["text"] else []

    def _on_reasoning_delta(self, event):
        return [self._chunk([{"text": event["text"], "thought": True}])] if event["text"] else []

    def _on_signature_delta(self, event):
        block = self._blocks.get(event["index"], {})
        if block.get("type") == "tool_call":
            block["signature"], block["origin"] = event["signature"], event.get("origin")
            return []
        # Another vendor's signature travels tagged (translators/signatures.py).
        signature = signatures.for_client(event["signature"], event.get("origin"), "gemini")
        part = signed({"text": "", "thought": True}, signature)
        if block.get("type") != "reasoning" or "thoughtSignature" not in part:
            return []
        return [self._chunk([part])]

    def _on_arguments_delta(self, event):
        self._blocks[event["index"]]["arguments"] += event["arguments"]
        return []

    def _on_block_stop(self, event):
        block = self._blocks.pop(event["index"], {})
        if block.get("type") != "tool_call":
            return []
        try:
            part = render_part(dict(block, type="tool_call"), {}, client=True)
        except ir.TranslationError as exc:
            return self._on_error({"message": f"upstream sent a bad tool call: {exc}",
                                   "error_type": "INTERNAL"})
        return [self._chunk([part])]

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
        name, chunk = self._chunk([{"text": ""}],
                                  finishReason=render_finish_reason(self._stop_reason))
        if self._usage:
            chunk["usageMetadata"] = render_usage(self._usage)
        return [(name, chunk)]
