"""The config schema, its loader, and config.example.yaml's agreement."""
import os

import pytest
import yaml

from proxy import config as config_mod
from proxy.errors import ConfigError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _example():
    with open(os.path.join(ROOT, "config.example.yaml")) as f:
        return yaml.safe_load(f)


def test_defaults_filled_when_empty():
    built = config_mod.build({})
    assert built["routing"]["strategy"] == "round-robin"
    assert built["streaming"]["keepalive-seconds"] == 15.0
    assert built["claude-api-key"] == []


def test_example_documents_every_setting():
    example = _example()
    for setting in config_mod.SETTINGS:
        node = example
        for part in setting.name.split("."):
            assert part in node, f"config.example.yaml lacks {setting.name}"
            node = node[part]


def test_example_defaults_agree_with_schema():
    example = config_mod.build(_example())
    for setting in config_mod.SETTINGS:
        if setting.name == "api-keys":
            continue    # the example shows one on purpose
        value = example
        for part in setting.name.split("."):
            value = value[part]
        assert value == setting.default, setting.name


def test_example_entries_show_every_field():
    example = _example()
    for section in ("claude-api-key",):
        assert set(config_mod.ENTRY_FIELDS[section]) <= set(example[section][0])
    compat = example["openai-compatibility"][0]
    assert {"name", "base-url", "api-key-entries", "models"} <= set(compat)


@pytest.mark.parametrize("raw,message", [
    ({"port": "eighty"}, "port"),
    ({"routing": {"strategy": "random"}}, "routing.strategy"),
    ({"claude-api-key": {"api-key": "x"}}, "claude-api-key"),
    ({"claude-api-key": [{"api-key": "x", "priority": "high"}]}, r"claude-api-key\[0\]\.priority"),
    ({"gemini-api-key": [{"api-key": "x", "disable-cooling": 1}]}, "disable-cooling"),
    ({"openai-compatibility": [{"name": "n", "headers": ["x"]}]}, "headers"),
    ([1, 2], "mapping"),
])
def test_invalid_values_rejected_with_the_key_named(raw, message):
    with pytest.raises(ConfigError, match=message):
        config_mod.build(raw)


def test_ints_accepted_for_floats():
    assert config_mod.build({"max-retry-interval": 3})["max-retry-interval"] == 3.0


def test_missing_default_file_gives_builtin_default(tmp_path, monkeypatch):
    monkeypatch.delenv("SWITCHYARD_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    built = config_mod.load()
    assert built["echo"] is True and built["api-keys"] == []


def test_bad_yaml_is_a_config_error(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("api-keys: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        config_mod.load(str(path))


def test_built_configs_share_no_list_or_mapping_with_each_other_or_the_schema():
    first, second = config_mod.build({}), config_mod.build({})
    assert first["api-keys"] is not second["api-keys"]
    first["api-keys"].append("sk-added-at-runtime")
    first["trusted-proxies"].append("10.0.0.1")
    assert second["api-keys"] == [] and second["trusted-proxies"] == []
    assert config_mod.build({})["api-keys"] == []
    defaults = {s.name: s.default for s in config_mod.SETTINGS}
    assert defaults["api-keys"] == [] and defaults["trusted-proxies"] == []


def test_entries_get_their_own_default_lists_and_mappings():
    raw = {"claude-api-key": [{"api-key": "sk-ant-one"}, {"api-key": "sk-ant-two"}]}
    one, two = config_mod.build(raw)["claude-api-key"]
    one["models"].append({"name": "claude-x"})
    one["headers"]["X-Team"] = "a"
    assert two["models"] == [] and two["headers"] == {}
    assert config_mod.ENTRY_FIELDS["claude-api-key"]["models"] == []
    assert config_mod.ENTRY_FIELDS["claude-api-key"]["headers"] == {}
    assert config_mod.build(raw)["claude-api-key"][0]["models"] == []
