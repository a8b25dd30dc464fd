"""Gemini thought signatures of tool calls, kept for clients that cannot.

Gemini 3 requires each ``functionCall`` part of the history to come back
with the ``thoughtSignature`` it was sent with (Gemini API, "Thought
signatures": "function calling ... the signature is required"), else the
next turn is a 400.  OpenAI, Anthropic and Responses clients have no field
to carry it, so the gateway remembers it by tool-call id when a Gemini
answer is translated, and puts it back when the next request for a Gemini
upstream names that tool call.  Nothing is ever invented: a call the
gateway has not seen goes without.
"""
from collections import OrderedDict

_MAX_ENTRIES = 50_000        # ~100 bytes a signature id pair: a few MB at most


class SignatureCache:
    """A bounded, least-recently-used map of tool-call id -> signature.

    Only touched between greenlet switches (no I/O inside), so it needs no
    lock.  ``shared``: a state store (``proxy.state``) through which other
    workers and instances see what this one learnt, and the other way round.
    """

    def __init__(self, max_entries=_MAX_ENTRIES, shared=None):
        self._entries = OrderedDict()
        self._max = max_entries
        self.shared = shared

    def remember(self, call_id, signature):
        if call_id and signature:
            if self.shared is not None and self._entries.get(call_id) != signature:
                self.shared.share_signature(call_id, signature)
            self._entries[call_id] = signature
            self._entries.move_to_end(call_id)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def recall(self, call_id):
        signature = self._entries.get(call_id)
        if signature is not None:
            self._entries.move_to_end(call_id)
        elif call_id and self.shared is not None:
            signature = self.shared.recall_signature(call_id)
            if signature is not None:
                self._entries[call_id] = signature
        return signature

    # --- IR adapters: hooks for translators' prepare / inspect / on_event ---

    def fill_request(self, ir_request):
        """Re-attach known signatures to tool calls in a request's history.
        The history's messages may be shared with other requests
        (``translators.turn_memo``): a message gaining a signature is
        replaced by a copy, never changed in place."""
        messages = ir_request["messages"]
        for at, message in enumerate(messages):
            parts = message["content"]
            for index, part in enumerate(parts):
                if part["type"] == "tool_call" and not part.get("signature"):
                    signature = self.recall(part["id"])
                    if signature:
                        if parts is message["content"]:
                            parts = list(parts)
                            messages[at] = dict(message, content=parts)
                        parts[index] = dict(part, signature=signature)

    def note_response(self, ir_response):
        for part in ir_response["content"]:
            if part["type"] == "tool_call":
                self.remember(part["id"], part.get("signature"))

    def note_event(self, event):
        if event["type"] == "block_start" and event["block"]["type"] == "tool_call":
            self.remember(event["block"]["id"], event["block"].get("signature"))


cache = SignatureCache()
