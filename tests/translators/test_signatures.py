"""Signature tags (translators/signatures.py): a foreign signature survives
a client of another dialect and comes back to its issuer only."""
import base64

import pytest

from translators import signatures

GEMINI_SIG = "CiQBVKhc7hQ="
CLAUDE_SIG = "EqQBCkYIBxgCKkBA"


@pytest.mark.parametrize("signature,origin,client", [
    (GEMINI_SIG, "gemini", "claude"), (CLAUDE_SIG, "claude", "gemini"),
])
def test_foreign_signature_round_trips_through_a_client(signature, origin, client):
    stored = signatures.for_client(signature, origin, client)
    assert stored != signature
    base64.b64decode(stored, validate=True)  # still base64 (google-genai decodes it)
    assert signatures.from_client(stored, client) == (signature, origin)


def test_own_signature_is_left_alone():
    assert signatures.for_client(CLAUDE_SIG, "claude", "claude") == CLAUDE_SIG
    assert signatures.from_client(CLAUDE_SIG, "claude") == (CLAUDE_SIG, "claude")


def test_replayable_only_to_its_issuer():
    part = {"type": "reasoning", "text": "t", "signature": GEMINI_SIG, "origin": "gemini"}
    assert signatures.replayable(part, "gemini") == GEMINI_SIG
    assert signatures.replayable(part, "claude") is None
    unsigned = {"type": "reasoning", "text": "t", "signature": None}
    assert signatures.replayable(unsigned, "claude") is None


def test_no_signature_stays_none():
    assert signatures.for_client(None, "gemini", "claude") is None
    assert signatures.from_client("", "claude") == (None, None)
