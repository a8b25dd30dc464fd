"""Reply: what the relay hands back to the Flask layer (status, headers,
body bytes or an iterator of bytes), so the relay never imports Flask."""
from dataclasses import dataclass, field

import orjson


@dataclass
class Reply:
    status: int
    headers: list = field(default_factory=list)
    body: object = b""            # bytes, or an iterator of bytes for streams
    content_type: str = "application/json"
    error_class: str = None       # why an error reply was made (access log, usage record)

    @property
    def streamed(self):
        return not isinstance(self.body, (bytes, bytearray))


def json_reply(status, payload, headers=None):
    return Reply(status, list(headers or []), orjson.dumps(payload))
