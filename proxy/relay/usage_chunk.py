"""OpenAI Chat Completions streams carry usage only when asked for.

A Chat Completions stream ends with a usage-only chunk (``"choices": []``)
only if the request says ``stream_options.include_usage`` (OpenAI API
reference, "Create chat completion", ``stream_options``).  Accounting needs
that chunk, so a same-dialect stream whose client did not ask for it is
asked for it here, and the chunk is hidden from that client again here:
both halves of the trick in one place.
"""
_ASKED = b'"stream_options":{"include_usage":true},'


def client_wants_usage(top):
    """Whether the client's request (its top-level fields) asked for usage."""
    return bool((top.get("stream_options") or {}).get("include_usage"))


def must_ask(front, cred):
    """Whether the request to ``cred`` must ask for usage the client did not."""
    return front.stream and cred.dialect == "openai" and not client_wants_usage(front.top)


def asked_raw(front, raw):
    """``raw`` (the client's bytes, maybe renamed) with ``include_usage``
    asked for, without parsing or re-serialising them: the field goes in
    first, right after the top-level ``{``.  ``None`` when the client sent
    ``stream_options`` of its own (then the parsed body is amended instead,
    ``asked_body``)."""
    if "stream_options" in front.top:
        return None
    opening = raw.index(b"{") + 1     # the top level is an object: its first '{' is it
    return b"".join((raw[:opening], _ASKED, raw[opening:]))


def asked_body(body):
    """``body`` (parsed) with ``include_usage`` asked for: a new dict."""
    return dict(body, stream_options=dict(body.get("stream_options") or {},
                                          include_usage=True))


def hides_usage(front):
    """Whether a same-dialect stream for ``front`` must hide the usage chunk."""
    return front.dialect == "openai" and not client_wants_usage(front.top)


def is_usage_only(data):
    """Whether a decoded Chat Completions chunk is the usage-only one."""
    return isinstance(data, dict) and data.get("choices") == [] and bool(data.get("usage"))
