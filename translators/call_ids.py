"""Tool-call ids fitted to what a target dialect accepts.

Each provider mints ids in its own alphabet and length, and some reject
others' ids: Anthropic's ``tool_use.id`` must match ``^[a-zA-Z0-9_-]+$``;
OpenAI refuses a Responses ``call_id`` over 64 characters
("string_above_max_length") and a Chat Completions ``tool_calls[].id`` over
40 on some models.  A call and the result that answers it must carry the
same id, so the fitting is a pure function of the id: the same input gives
the same output on the call, on its result, and on every later request of
the conversation (which keeps prompt caches warm).  Ids that already fit
are left alone.
"""
import hashlib
import re

ANTHROPIC_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")
RESPONSES_MAX = 64
CHAT_MAX = 40

_DIGEST = 16    # hex characters of the hash that keeps shortened ids distinct


def fit(call_id, max_length=None, unsafe=None):
    """``call_id`` with ``unsafe`` characters replaced by ``_`` and, when
    longer than ``max_length``, cut to a prefix plus a hash of the whole id."""
    if not isinstance(call_id, str) or not call_id:
        return call_id
    fitted = unsafe.sub("_", call_id) if unsafe is not None else call_id
    if max_length is not None and len(fitted) > max_length:
        digest = hashlib.sha256(call_id.encode("utf-8", "replace")).hexdigest()[:_DIGEST]
        fitted = fitted[:max_length - _DIGEST - 1] + "_" + digest
    return fitted
