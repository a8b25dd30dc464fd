"""Request specs and the two proxies' configs."""
import json

import pytest
import yaml

from bench import agent_session, targets
from proxy import config as config_mod
from proxy.providers.credentials import from_config


def test_switchyard_config_is_valid_and_routes_each_dialect(tmp_path):
    text = targets.to_yaml(targets.switchyard_config(9999, str(tmp_path)))
    config = config_mod.build(yaml.safe_load(text))
    served = {}
    for cred in from_config(config):
        for dialect in ("openai", "responses", "claude", "gemini"):
            if cred.upstream_model(targets.model_for(dialect)):
                served.setdefault(dialect, []).append(cred.dialect)
    assert served == {"openai": ["openai"], "responses": ["responses"],
                      "claude": ["claude"], "gemini": ["gemini"]}
    assert config["api-keys"] == [targets.CLIENT_KEY]


def test_litellm_config_names_every_model_once():
    config = yaml.safe_load(targets.to_yaml(targets.litellm_config(9999)))
    names = [m["model_name"] for m in config["model_list"]]
    assert sorted(names) == sorted(targets.model_for(d) for d in
                                   ("openai", "responses", "claude", "gemini"))
    assert all("127.0.0.1:9999" in m["litellm_params"]["api_base"] for m in config["model_list"])


@pytest.mark.parametrize("client, stream, path, expect", [
    ("openai", False, "/v1/chat/completions", "tok015 "),
    ("openai", True, "/v1/chat/completions", "[DONE]"),
    ("gemini", True, "/v1beta/models/bench-openai:streamGenerateContent?alt=sse",
     '"finishReason"'),
    ("claude", True, "/v1/messages", "message_stop"),
])
def test_spec(client, stream, path, expect):
    spec = targets.spec(1234, client, "openai", stream, 16)
    assert (spec["path"], spec["expect"], spec["port"]) == (path, expect, 1234)
    body = json.loads(spec["body"])
    assert body.get("stream", stream) is stream
    assert "model" not in body if client == "gemini" else body["model"] == "bench-openai"


def test_each_dialect_sends_its_key_its_own_way():
    assert targets.headers("openai")["Authorization"] == f"Bearer {targets.CLIENT_KEY}"
    assert targets.headers("claude")["x-api-key"] == targets.CLIENT_KEY
    assert targets.headers("gemini")["x-goog-api-key"] == targets.CLIENT_KEY


def test_portkey_serves_its_own_paths_and_is_told_the_upstream():
    assert targets.serves("portkey", "openai", "claude")
    assert not targets.serves("portkey", "claude", "openai")
    assert not targets.serves("portkey", "gemini", "gemini")
    assert targets.serves("litellm", "claude", "openai")
    request = targets.via_portkey(targets.spec(1, "claude", "claude", False, 16),
                                  "claude", "claude", mock_port=4321)
    assert request["headers"]["x-portkey-provider"] == "anthropic"
    assert request["headers"]["x-portkey-custom-host"] == "http://127.0.0.1:4321/v1"
    assert request["headers"]["x-api-key"] == targets.UPSTREAM_KEY
    chat = targets.via_portkey(targets.spec(1, "openai", "claude", False, 16),
                               "openai", "claude", mock_port=4321)
    assert chat["headers"]["x-portkey-provider"] == "anthropic"
    assert chat["headers"]["Authorization"] == f"Bearer {targets.UPSTREAM_KEY}"


def test_agent_sized_spec_carries_the_session_body():
    spec = targets.spec(1, "responses", "claude", True, 16, size=50_000)
    body = json.loads(spec["body"])
    assert len(spec["body"]) >= 50_000 and body["model"] == "bench-claude"
    assert body["stream"] is True and spec["expect"] == "response.completed"


def test_agent_window_spec_carries_the_session_and_portkey_keeps_it():
    spec = targets.spec(1, "claude", "claude", False, 16, size=250_000, window=10)
    assert "body" not in spec
    assert spec["bodies"] == agent_session.session("claude", "bench-claude", 250_000, 10)
    assert spec["bodies"][-1] == agent_session.body("claude", "bench-claude", 250_000)
    through = targets.via_portkey(spec, "claude", "claude", mock_port=4321)
    assert through["bodies"] == spec["bodies"] and "body" not in through
