"""Config mistakes caught at load: unknown keys, near-misses of api-keys,
CLIProxyAPI keys not supported, placeholders, durations, YAML errors."""
import logging
import os
import re

import pytest
import yaml

from proxy import config as config_mod, config_audit
from proxy.admin import config_writer
from proxy.providers import credentials
from proxy.errors import ConfigError

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
CLIPROXYAPI_EXAMPLE = os.path.join(FIXTURES, "cliproxyapi", "config.example.yaml")


def parse(text):
    return config_mod.parse(text, "c.yaml")


def uncomment_sections(text):
    """CLIProxyAPI's example with its commented-out sections (``# gemini-api-key:``
    at column 0 and the comment lines under it) turned into YAML."""
    out, inside = [], False
    for line in text.splitlines():
        if re.match(r"^# [a-z0-9-]+:( |$)", line):
            inside = True
        elif not line.startswith("#"):
            inside = False
        if inside:
            line = line[2:] if line.startswith("# ") else line[1:]
        out.append(line)
    return "\n".join(out) + "\n"


def schema_paths(node=config_mod.SCHEMA, prefix=""):
    """Dotted paths the schema applies (a leaf applies everything under it, e.g. headers)."""
    if isinstance(node, config_audit.ListOf):
        yield from schema_paths(node.item, prefix + "[]")
    elif isinstance(node, config_audit.Node):
        for key, child in node.known.items():
            path = f"{prefix}.{key}" if prefix else key
            yield path
            yield from schema_paths(child, path)


def keys_in(tree, prefix=""):
    """Dotted paths of every mapping key in a parsed YAML tree ([] for list items)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from keys_in(value, path)
    elif isinstance(tree, list):
        for item in tree:
            yield from keys_in(item, prefix + "[]")


@pytest.mark.parametrize("text,warning", [
    ("debgu: true\n", "unknown key debgu ignored (did you mean debug?)"),
    ("routing:\n  strategi: fill-first\n", "unknown key routing.strategi ignored (did you mean strategy?)"),
    ("claude-api-key:\n  - api-key: k\n    base_url: http://x\n",
     "unknown key claude-api-key[0].base_url ignored (did you mean base-url?)"),
    ("openai-compatibility:\n  - name: n\n    api-key-entries:\n      - {api-key: k, proxyurl: x}\n",
     "unknown key openai-compatibility[0].api-key-entries[0].proxyurl ignored (did you mean proxy-url?)"),
    ("codex-api-key:\n  - api-key: k\n    models:\n      - {name: m, alais: a}\n",
     "unknown key codex-api-key[0].models[0].alais ignored (did you mean alias?)"),
    ("zzz: 1\n", "unknown key zzz ignored"),
])
def test_unknown_keys_warn_with_the_closest_known_one(text, warning):
    _, findings = parse(text)
    assert findings.warnings == [warning]
    assert not findings.errors


@pytest.mark.parametrize("typo", ["api-key", "api_keys", "apikeys", "api-keys-list"])
def test_near_miss_of_api_keys_is_an_error(typo):
    with pytest.raises(ConfigError, match=f"unknown key {typo} .*did you mean api-keys.*any client"):
        parse(f"{typo}:\n  - sk-real-key-0123456789\n")


def test_near_miss_beside_real_api_keys_only_warns():
    built, findings = parse("api-keys: [k1]\napi-key: [k2]\n")
    assert built["api-keys"] == ["k1"]
    assert findings.warnings == ["unknown key api-key ignored (did you mean api-keys?)"]


def test_cliproxyapi_keys_are_reported_not_supported():
    _, findings = parse("tls: {enable: false}\nclaude-api-key:\n  - api-key: k\n    cloak: {mode: auto}\n")
    assert findings.unsupported == ["tls", "claude-api-key[].cloak"]
    assert findings.messages() == ["recognised CLIProxyAPI keys, not supported yet (ignored): "
                                   "claude-api-key[].cloak, tls"]


@pytest.mark.parametrize("uncomment", [False, True], ids=["as-is", "sections-uncommented"])
def test_cliproxyapi_example_loads_and_every_key_is_applied_or_reported(uncomment):
    with open(CLIPROXYAPI_EXAMPLE, encoding="utf-8") as f:
        text = f.read()
    if uncomment:
        text = uncomment_sections(text)
    built, findings = parse(text)
    assert not findings.errors
    assert not [w for w in findings.warnings if w.startswith("unknown key")]
    covered = set(findings.unsupported) | set(schema_paths())
    for path in set(keys_in(yaml.safe_load(text))):
        assert any(path == c or path.startswith((c + ".", c + "[")) for c in covered), path
    assert built["routing"]["session-affinity-ttl"] == 3600.0       # "1h"
    assert built["api-keys"] == []                                  # "your-api-key-1": placeholders
    if uncomment:
        assert built["streaming"]["keepalive-seconds"] == 15.0
        assert [c.id for c in credentials.from_config(built)] == ["echo:local"]


@pytest.mark.parametrize("text,seconds", [
    ("1h", 3600.0), ("30m", 1800.0), ("1h30m", 5400.0), ("90s", 90.0), ("250ms", 0.25),
    ("1.5h", 5400.0), ("0", 0.0), ("-1s", -1.0),
])
def test_durations_accepted_for_every_seconds_setting(text, seconds):
    built = config_mod.build({"routing": {"session-affinity-ttl": text},
                          "transient-error-cooldown-seconds": text, "max-retry-interval": text})
    assert built["routing"]["session-affinity-ttl"] == seconds
    assert built["transient-error-cooldown-seconds"] == seconds
    assert built["max-retry-interval"] == seconds


@pytest.mark.parametrize("text", ["1 hour", "h", "10", "1x", ""])
def test_bad_durations_name_the_key(text):
    with pytest.raises(ConfigError, match=r"routing.session-affinity-ttl: expected seconds or a duration"):
        config_mod.build({"routing": {"session-affinity-ttl": text}})


def test_placeholders_are_not_loaded():
    built, findings = parse(
        'api-keys: ["your-api-key-1", "sk-real-0123456789", {key: "<paste here>"}]\n'
        'claude-api-key:\n  - api-key: "sk-ant-..."\n  - api-key: "sk-ant-real-0123456789"\n'
        'openai-compatibility:\n  - name: o\n    api-key-entries: ["sk-or-…", {api-key: "or-real-1"}]\n')
    assert built["api-keys"] == ["sk-real-0123456789"]
    assert [e["api-key"] for e in built["claude-api-key"]] == ["sk-ant-real-0123456789"]
    assert built["openai-compatibility"][0]["api-key-entries"] == [{"api-key": "or-real-1"}]
    assert findings.warnings == [
        "api-keys[0]: placeholder key 'your-api-key-1' not loaded",
        "api-keys[2]: placeholder key '<paste here>' not loaded",
        "claude-api-key[0]: placeholder key 'sk-ant-...' not loaded",
        "openai-compatibility[0].api-key-entries[0]: placeholder key 'sk-or-…' not loaded",
    ]


def test_our_example_loads_no_live_credentials_and_no_warning_but_placeholders():
    with open(os.path.join(os.path.dirname(os.path.dirname(FIXTURES)), "config.example.yaml"),
              encoding="utf-8") as f:
        built, findings = parse(f.read())
    assert built["api-keys"] == []
    assert [c.id for c in credentials.from_config(built)] == ["echo:local"]
    assert findings.warnings and all("placeholder key" in w for w in findings.warnings)
    assert not findings.unsupported


def test_disabled_entries_are_skipped():
    built, _ = parse("claude-api-key:\n  - {api-key: k1, disabled: true}\n  - {api-key: k2}\n")
    assert [e["api-key"] for e in built["claude-api-key"]] == ["k2"]


def test_missing_file_named_on_purpose_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SWITCHYARD_CONFIG", str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError, match="nope.yaml: no such file"):
        config_mod.load()


def test_missing_default_file_runs_the_builtin_default(tmp_path, monkeypatch):
    monkeypatch.delenv("SWITCHYARD_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert config_mod.load()["echo"] is True


def test_load_logs_the_warnings(tmp_path, caplog):
    path = tmp_path / "c.yaml"
    path.write_text("debgu: true\n")
    with caplog.at_level(logging.WARNING, "switchyard.config"):
        config_mod.load(str(path))
    assert "unknown key debgu ignored (did you mean debug?)" in caplog.text


SECRET_LINE = 'a: 1\napi-keys: [sk-secret-0123456789\nb: 2\n'


def test_yaml_errors_name_the_line_never_quote_it(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(SECRET_LINE)
    with pytest.raises(ConfigError) as exc:
        config_mod.load(str(path))
    assert "line 3, column 2" in str(exc.value)
    assert "sk-secret" not in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        config_writer.load(str(path))           # ruamel's errors too
    assert "line 3" in str(exc.value) and "sk-secret" not in str(exc.value)


def test_writer_leaves_no_lock_file_and_keeps_new_keys_out_of_comments(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("port: 8317\n# --- credentials ---\n# claude-api-key:\n#   - api-key: x\n")
    config_writer.update(str(path), lambda doc: doc.update({"api-keys": ["k1"]}))
    assert sorted(os.listdir(tmp_path)) == ["config.yaml"]
    text = path.read_text()
    assert yaml.safe_load(text)["api-keys"] == ["k1"]
    assert text.index("api-keys") < text.index("# --- credentials ---")


def test_reload_endpoint_and_log_never_quote_a_yaml_error_line(tmp_path, monkeypatch, caplog):
    """A syntax error on a key's line: the error names line and column, and
    neither the management answer nor the log repeats the line."""
    from flask import Flask
    from proxy.admin import management, reload
    from proxy import runtime
    monkeypatch.setitem(reload.SCRYPT, "n", 2 ** 4)
    saved = runtime.current()
    path = tmp_path / "config.yaml"
    path.write_text('remote-management:\n  secret-key: "admin-secret-123"\n')
    monkeypatch.setenv("SWITCHYARD_CONFIG", str(path))
    reload.apply(config_mod.load(str(path)))
    app = Flask(__name__)
    management.register(app)
    try:
        path.write_text(path.read_text() + SECRET_LINE)
        with caplog.at_level(logging.ERROR, "switchyard.config"):
            resp = app.test_client().post("/v0/management/reload",
                                          headers={"Authorization": "Bearer admin-secret-123"})
        message = resp.get_json()["error"]["message"]
        assert resp.status_code == 400 and "not valid YAML at line 5, column 2" in message
        assert "sk-secret" not in message and "sk-secret" not in caplog.text
        assert "not valid YAML" in caplog.text
    finally:
        runtime.install(saved)


def test_appended_entries_land_after_the_last_entry_not_in_the_next_block(tmp_path):
    """Adding to a list whose last entry is followed by comments (the next
    section's commented-out example) keeps those comments after the new entry."""
    path = tmp_path / "config.yaml"
    path.write_text("claude-api-key:\n  - api-key: sk-ant-real-0001   # main\n"
                    "\n# --- Gemini ---\n# gemini-api-key:\n#   - api-key: x\nport: 8317\n")
    config_writer.update(str(path), lambda doc: doc["claude-api-key"].append(
        {"api-key": "sk-ant-real-0002"}))
    text = path.read_text()
    assert text.index("sk-ant-real-0002") < text.index("# --- Gemini ---")
    assert "sk-ant-real-0001   # main\n" in text
    assert [e["api-key"] for e in yaml.safe_load(text)["claude-api-key"]] == [
        "sk-ant-real-0001", "sk-ant-real-0002"]
