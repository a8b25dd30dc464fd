"""config_writer: comment-preserving, validated, atomic YAML edits."""
import os
import stat

import pytest

from proxy.admin import config_writer
from proxy.errors import ConfigError

INDENTED = '''\
# Switchyard gateway
port: 8317  # keep in sync with the load balancer
api-keys:
  - "sk-first"   # the CI robot
claude-api-key:
  # primary account
  - api-key: 'sk-ant-primary'
    models:
      - name: claude-x
        alias: cx
'''

FLUSH = '''\
api-keys:
- sk-first
debug: false # verbose
'''


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_edit_keeps_comments_quotes_and_indentation(tmp_path):
    path = write(tmp_path / "config.yaml", INDENTED)
    config, value = config_writer.update(path, lambda doc: doc["api-keys"].append("sk-second")
                                         or "done")
    assert value == "done"
    assert config["api-keys"] == ["sk-first", "sk-second"]
    assert open(path, encoding="utf-8").read() == INDENTED.replace(
        '  - "sk-first"   # the CI robot\n',
        '  - "sk-first"   # the CI robot\n  - sk-second\n')


def test_flush_left_lists_stay_flush_left(tmp_path):
    path = write(tmp_path / "config.yaml", FLUSH)
    config_writer.update(path, lambda doc: doc["api-keys"].append({"key": "k2", "label": "b"}))
    assert open(path, encoding="utf-8").read() == (
        "api-keys:\n- sk-first\n- key: k2\n  label: b\ndebug: false # verbose\n")


def test_invalid_result_is_not_written(tmp_path):
    path = write(tmp_path / "config.yaml", INDENTED)

    def break_it(doc):
        doc["port"] = "not a number"

    with pytest.raises(ConfigError, match="port"):
        config_writer.update(path, break_it)
    assert open(path, encoding="utf-8").read() == INDENTED
    assert sorted(os.listdir(tmp_path)) == ["config.yaml"]


def test_missing_file_is_created_private(tmp_path):
    path = str(tmp_path / "new.yaml")
    config, _ = config_writer.update(path, lambda doc: doc.update({"api-keys": ["k1"]}))
    assert config["api-keys"] == ["k1"]
    assert open(path, encoding="utf-8").read() == "api-keys:\n- k1\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_existing_mode_is_kept(tmp_path):
    path = write(tmp_path / "config.yaml", FLUSH)
    os.chmod(path, 0o640)
    config_writer.update(path, lambda doc: doc.update({"debug": True}))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_not_yaml_is_a_config_error(tmp_path):
    path = write(tmp_path / "config.yaml", "api-keys: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        config_writer.load(path)
