"""proxy.relay.streaming: the upstream response is released however the stream ends."""
from types import SimpleNamespace

from proxy import config as config_mod
from proxy.relay import streaming
from proxy.http.front import FrontRequest
from tests.fakes.transport import Response

EVENTS = (b'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n'
          b'data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\n'
          b"data: [DONE]\n\n")
CRED = SimpleNamespace(id="c1", dialect="openai", kind="openai-compat", api_key="sk-test-key-123",
                       display_name="'fake' (127.0.0.1:1)", short_name="'fake'")


def FakeResponse(body):
    return Response(200, {"x-request-id": "up-1"}, stream=[body])


class Observer:
    def __init__(self):
        self.settled = None

    def first_byte(self):
        pass

    def usage(self, usage):
        pass

    def tool_call(self, name, call_id):
        pass

    def settle(self, status, *, error_class=None):
        self.settled = (status, error_class)


def _open(resp, observer):
    front = FrontRequest(dialect="openai", action="generate", model="m",
                         body={"model": "m", "stream": True}, raw=b"", stream=True,
                         headers={}, request_id="r1")
    config = config_mod.build({})
    return streaming.from_upstream(front, CRED, resp, config, observer, same=True)


def test_a_stream_read_to_the_end_settles_200_and_releases_the_response():
    resp, observer = FakeResponse(EVENTS), Observer()
    reply = _open(resp, observer)
    body = b"".join(reply.body)
    assert b"[DONE]" in body and b'"usage"' not in body     # usage chunk asked for by us, hidden
    reply.body.close()
    assert resp.closed and observer.settled == (200, None)


def test_a_stream_closed_before_its_first_write_still_releases_the_response():
    resp, observer = FakeResponse(EVENTS), Observer()
    reply = _open(resp, observer)
    reply.body.close()   # the client left before the body began: the unstarted relay
    # generator runs no finally, but releasing it closes the upstream reader chain
    assert resp.closed
