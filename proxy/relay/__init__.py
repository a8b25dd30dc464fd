"""One request's way through the gateway once it is accepted and parsed.

``attempts`` is the attempt loop (pick a credential, call, classify, fail
over before the first byte); ``streaming`` bootstraps and relays or
translates streams with keep-alives and terminal error events; ``accept``
sends keep-alives while a request waits; ``counting`` answers count_tokens;
``echo`` is the built-in upstream; ``signatures`` keeps Gemini thought
signatures; ``stream_scan`` reads usage, tool calls, error and end markers
off streams in passing; ``reply`` is what the relay hands back;
``draining`` is the SIGTERM flag.
May import routing, providers, validation, translators and below.
"""
