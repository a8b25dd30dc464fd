"""A trailing assistant turn (a prefill) for upstreams that cannot continue one.

Anthropic continues a final assistant message: the answer picks up where
the prefill stops (Messages API, "Prefill Claude's response"), and Gemini
continues a final ``model`` turn.  Chat Completions and Responses treat a
final assistant message as finished history and answer with a new message:
sent as it is, the prefill is silently ignored, so for those two upstreams
it becomes an instruction in its place: an
IR system message saying the reply has begun with that text and must go on
from there without repeating it.  Each renderer then places that message
the way it places any mid-conversation instruction.
"""
CONTINUE = ("Your reply has already begun with the text between the markers below. "
            "Continue it from exactly where it stops, without repeating it.\n"
            "<reply-so-far>\n{text}\n</reply-so-far>")


def as_instruction(messages):
    """``messages`` with a trailing text-only assistant turn turned into an
    IR system message (a new list; a turn holding calls is left as it is)."""
    if not messages or messages[-1]["role"] != "assistant":
        return messages
    parts = messages[-1]["content"]
    if any(part["type"] not in ("text", "reasoning", "redacted_reasoning") for part in parts):
        return messages
    text = "".join(part["text"] for part in parts if part["type"] == "text")
    if not text.strip():
        return messages[:-1]
    return messages[:-1] + [{"role": "system",
                             "content": [{"type": "text", "text": CONTINUE.format(text=text)}]}]
