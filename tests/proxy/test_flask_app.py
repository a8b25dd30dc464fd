"""The Flask app class: what it leaves out per request."""
import flask
import pytest

from proxy.http import server


def test_requests_share_one_null_session_that_refuses_writes():
    app = server._App("t")
    with app.test_request_context():
        first = flask.session._get_current_object()
    with app.test_request_context():
        assert flask.session._get_current_object() is first
        with pytest.raises(RuntimeError):
            flask.session["user"] = "x"
    assert not first
