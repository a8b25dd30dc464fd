"""Reasoning signatures tagged with the vendor that issued them.

Anthropic signs every thinking block and verifies the signature when the
block comes back ("Extended thinking", preserving thinking blocks); Gemini
attaches ``thoughtSignature`` to parts and requires it back on function
calls ("Thought signatures").  Each vendor rejects the other's signatures,
so a signature may only be replayed to the vendor that issued it.  The IR
keeps it with ``origin`` (``"claude"`` / ``"gemini"``) beside it.

A conversation may visit another dialect's client between turns (a Claude
Code session served by Gemini).  That client stores the signature in its
own field (a thinking block's ``signature``, a Gemini part's
``thoughtSignature``) and sends it back unchanged, so a foreign signature
travels there with a tag naming its issuer, and parsing that client's next
request reads the tag back: the signature is restored when the
conversation returns to the issuing vendor, and never sent to another.
Tags are base64 of whole 3-byte groups, so a tagged base64 signature is
still base64 (google-genai decodes ``thoughtSignature`` as bytes).
"""
import base64

ISSUERS = ("claude", "gemini")
_TAGS = {issuer: base64.b64encode(f"swyd:{issuer}:".encode()).decode() for issuer in ISSUERS}


def for_client(signature, origin, dialect):
    """``signature`` as a ``dialect`` client stores it: tagged when another
    vendor issued it (None when it has no known issuer to tag)."""
    if not signature or origin in (None, dialect):
        return signature
    return _TAGS[origin] + signature if origin in _TAGS else None


def from_client(signature, dialect):
    """``(signature, origin)`` of a signature a ``dialect`` client sent back."""
    if not isinstance(signature, str) or not signature:
        return None, None
    for origin, tag in _TAGS.items():
        if signature.startswith(tag) and origin != dialect:
            return signature[len(tag):], origin
    return signature, dialect


def replayable(part, dialect):
    """The part's signature when ``dialect``'s vendor issued it, else None.
    (No origin: put back by the gateway's own Gemini signature cache.)"""
    if part.get("origin") in (None, dialect):
        return part.get("signature") or None
    return None
