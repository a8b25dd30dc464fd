"""Mid-conversation instructions for a dialect with no place for them.

Anthropic takes ``role: "system"`` messages only on some models (Messages
API, "Mid-conversation system messages") and Gemini has no such role, so IR
``system`` messages reach them as text on the user side, tagged the way
Claude Code itself sends reminders in user turns: the model can tell them
from what the user typed.
"""
OPEN, CLOSE = "<system-reminder>", "</system-reminder>"


def as_user_text(part):
    """An IR system text part as the user-side text part that carries it
    (already-tagged text is left as it is)."""
    text = part["text"]
    if text and not text.lstrip().startswith(OPEN):
        text = f"{OPEN}\n{text}\n{CLOSE}"
    return dict(part, text=text)
