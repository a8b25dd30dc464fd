"""What each contender is asked, and how each is configured.

Four targets answer the same client requests: ``direct`` (the mock
upstream itself), ``switchyard``, ``litellm`` and ``portkey``, the last three
proxying to the mock.  Model ``bench-<dialect>`` is served by an upstream
speaking ``<dialect>``, so a client of one dialect asking for another
dialect's model exercises translation.  Pure functions: specs and configs are
plain dicts.
"""
import json

from bench import agent_session, wire

TARGETS = ("direct", "switchyard", "litellm", "portkey")

# (client, upstream) paths Portkey's gateway serves: OpenAI chat to either
# provider, Responses to OpenAI, Anthropic messages to Anthropic only (its
# /v1/messages answers "messages is not supported by openai", /v1/responses
# "createModelResponse is not supported by anthropic"), no Gemini front door.
PORTKEY_PATHS = {("openai", "openai"), ("openai", "claude"), ("responses", "responses"),
                 ("claude", "claude")}
_PORTKEY_PROVIDERS = {"openai": "openai", "responses": "openai", "claude": "anthropic"}
CLIENT_KEY = "sk-bench-client"
UPSTREAM_KEY = "sk-bench-upstream"
PROMPT = "Say hello in twenty tokens."

_PATHS = {"openai": "/v1/chat/completions", "responses": "/v1/responses",
          "claude": "/v1/messages"}


def model_for(dialect):
    return f"bench-{dialect}"


def path(client, model, stream):
    if client == "gemini":
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        return f"/v1beta/models/{model}:{method}"
    return _PATHS[client]


def body(client, model, stream):
    """The client's request body, as its official SDK would send it."""
    if client == "gemini":       # stream-ness is in the URL, not the body
        return {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}
    request = {"model": model, "stream": stream}
    if client == "responses":
        return dict(request, input=PROMPT)
    request["messages"] = [{"role": "user", "content": PROMPT}]
    if client == "claude":
        request["max_tokens"] = 256
    return request


def headers(client):
    """Content type plus the client key where that dialect's SDK puts it."""
    auth = {"claude": {"x-api-key": CLIENT_KEY, "anthropic-version": "2023-06-01"},
            "gemini": {"x-goog-api-key": CLIENT_KEY}}
    return {"Content-Type": "application/json",
            **auth.get(client, {"Authorization": f"Bearer {CLIENT_KEY}"})}


def serves(target, client, upstream):
    """Whether ``target`` can take a ``client`` request to an ``upstream``."""
    if target == "portkey":
        return (client, upstream) in PORTKEY_PATHS
    return True


def spec(port, client, upstream, stream, tokens, size=None, window=None):
    """A load-generator request spec (see ``bench.loadgen``): a ``client``
    dialect request for the model an ``upstream``-dialect upstream serves;
    with ``size``, an agent session's request of that many bytes
    (``bench.agent_session``) instead of a one-line prompt, and with
    ``window`` too, ``bodies``: that session's last ``window`` requests
    (``agent_session.window``), which the load generator sends in turn."""
    model = model_for(upstream)
    expect = wire.TERMINATORS[client] if stream else wire.token(tokens - 1).encode()
    request = {"host": "127.0.0.1", "port": port, "method": "POST",
               "path": path(client, model, stream), "headers": headers(client),
               "expect": expect.decode() if isinstance(expect, bytes) else expect}
    if size and window:
        request["bodies"] = agent_session.window(client, model, size, window, stream)
    elif size:
        request["body"] = agent_session.body(client, model, size, stream)
    else:
        request["body"] = json.dumps(body(client, model, stream))
    return request


def via_portkey(request, client, upstream, mock_port):
    """``request`` (a spec) as sent through Portkey's gateway: Portkey holds
    no credentials of its own, so the client names the provider, the
    upstream's base URL (``x-portkey-custom-host``) and the upstream key
    (Portkey docs, "Headers" and "Custom hosts")."""
    key = {"claude": {"x-api-key": UPSTREAM_KEY}}.get(
        client, {"Authorization": f"Bearer {UPSTREAM_KEY}"})
    extra = {"x-portkey-provider": _PORTKEY_PROVIDERS[upstream],
             "x-portkey-custom-host": f"http://127.0.0.1:{mock_port}/v1"}
    return dict(request, headers={**headers(client), **key, **extra})


def switchyard_config(mock_port, workdir):
    """Switchyard's config: one entry of each upstream kind, all on the mock.

    Defaults everywhere else (usage recording and metrics on), as a user
    would run it; only the usage database is moved into the run directory.
    """
    base = f"http://127.0.0.1:{mock_port}"
    entry = {"api-key": UPSTREAM_KEY}
    return {
        "host": "127.0.0.1",
        "api-keys": [CLIENT_KEY],
        "watch-config": False,
        "usage": {"store-path": f"{workdir}/usage.db"},
        "openai-compatibility": [{"name": "mock", "base-url": f"{base}/v1",
                                  "api-key-entries": [entry],
                                  "models": [{"name": model_for("openai")}]}],
        "codex-api-key": [dict(entry, **{"base-url": f"{base}/v1",
                                         "models": [{"name": model_for("responses")}]})],
        "claude-api-key": [dict(entry, **{"base-url": base,
                                          "models": [{"name": model_for("claude")}]})],
        "gemini-api-key": [dict(entry, **{"base-url": base,
                                          "models": [{"name": model_for("gemini")}]})],
    }


def litellm_config(mock_port):
    """LiteLLM's proxy config for the same four models, no database."""
    base = f"http://127.0.0.1:{mock_port}"
    providers = {"openai": ("openai", f"{base}/v1"), "responses": ("openai", f"{base}/v1"),
                 "claude": ("anthropic", base), "gemini": ("gemini", base)}
    models = [{"model_name": model_for(d),
               "litellm_params": {"model": f"{provider}/{model_for(d)}",
                                  "api_base": api_base, "api_key": UPSTREAM_KEY}}
              for d, (provider, api_base) in providers.items()]
    return {"model_list": models, "general_settings": {"master_key": CLIENT_KEY}}


def to_yaml(config):
    """YAML text of a config: JSON is valid YAML, so no YAML writer needed."""
    return json.dumps(config, indent=2) + "\n"
