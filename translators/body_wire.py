"""Wire facts several dialects share, for their ``wire.py`` to export.

OpenAI (both APIs) and Anthropic name the model in the request body;
Anthropic's and OpenAI Responses' count endpoints take the generate
request's own fields and answer ``{"input_tokens": n}``.
"""


def with_model(body, model):
    """``body`` naming ``model`` (``body`` itself when it already does)."""
    return body if body.get("model") == model else dict(body, model=model)


def counted_request(body):
    """The generate request a count request counts: the body itself."""
    return body


def parse_input_tokens(body):
    """Input tokens of a count endpoint's answer (``{"input_tokens": n}``)."""
    return int(body.get("input_tokens") or 0)
