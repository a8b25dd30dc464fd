"""FrontRequest: one client request as the front door understood it."""
import time
from dataclasses import dataclass, field


def path_dialect(path):
    """The dialect a client of ``path`` speaks (and reads errors in), or
    ``None`` for the model lists every dialect shares (``/v1/models``)."""
    if path.startswith("/v1/messages"):
        return "claude"
    if path.startswith("/v1beta/") or (path.startswith("/v1/models/") and ":" in path):
        return "gemini"
    if path.startswith("/v1/responses"):
        return "responses"
    if path.startswith("/v1/models"):
        return None
    return "openai"


@dataclass
class FrontRequest:
    """What the relay needs to serve a request, independent of Flask.

    ``dialect``: the client's dialect (``openai``, ``responses``, ``claude``,
    ``gemini``); ``action``: ``generate`` or ``count_tokens``; ``model``: the
    name the client asked for; ``body``: the parsed JSON; ``raw``: the exact
    bytes received (forwarded untouched on same-dialect paths).
    """
    dialect: str
    action: str
    model: str
    body: dict
    raw: bytes
    stream: bool
    headers: dict                      # client headers, lower-cased names
    request_id: str
    client_key_id: str = ""            # stable label of the client key, never the key
    client_label: str = ""
    actor: str = ""
    query: dict = field(default_factory=dict)
    # Bring your own key: the client's own upstream credential headers
    # (``proxy.providers.byok``); empty for requests the pool serves.
    own_credential: dict = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
