"""Byte-level wire codecs shared by both sides of the gateway.

``http1`` parses HTTP/1.1 heads (client requests in the worker, upstream
responses in the transport), ``sse`` splits, parses and encodes Server-Sent
Events, ``json_array`` frames Gemini's non-SSE stream (one JSON array).
Foundation layer: imports nothing of ``proxy``; everything may import it.
"""
