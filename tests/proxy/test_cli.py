"""`switchyard` subcommands that work on files: check-config, keys, usage, --help."""
import os
import subprocess
import sys
import time

import pytest
import yaml

from proxy.access import auth
from proxy.cli import main, parser
from proxy.telemetry.usage_store import UsageStore

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CONFIG = '''\
# team gateway
api-keys:
  - "sk-client-alpha-0001"   # alpha team
claude-api-key:
  - api-key: "sk-ant-api03-verysecretvalue"
    proxy-url: "socks5://user:hunter2@proxy:1080"
remote-management:
  secret-key: "admin-secret-123"
'''


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("SWITCHYARD_CONFIG", str(path))
    return path


@pytest.mark.parametrize("argv", [[], ["serve"], ["check-config"], ["keys"], ["keys", "add"],
                                  ["keys", "list"], ["keys", "remove"], ["usage"], ["pool"],
                                  ["login"], ["import"]])
def test_help_on_each_subcommand(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    assert "usage: switchyard" in capsys.readouterr().out


def test_python_dash_m_proxy_and_the_console_script():
    out = subprocess.run([sys.executable, "-m", "proxy", "--version"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith("switchyard ")
    script = os.path.join(os.path.dirname(sys.executable), "switchyard")
    if os.path.exists(script):         # installed by `make install` / `make install-dev`
        assert subprocess.run([script, "--version"], capture_output=True, text=True,
                              check=True).stdout == out


def test_check_config_prints_the_effective_config_masked(config_file, capsys):
    assert main(["check-config", str(config_file)]) == 0
    out, err = capsys.readouterr()
    effective = yaml.safe_load(out)
    assert effective["routing"]["strategy"] == "round-robin"          # defaults filled in
    assert effective["api-keys"] == ["sk-c…0001"]
    assert effective["claude-api-key"][0]["api-key"] == "sk-a…alue"
    assert effective["claude-api-key"][0]["proxy-url"] == "socks5://user:***@proxy:1080"
    for secret in ("alpha-0001\"", "verysecretvalue", "hunter2", "admin-secret-123"):
        assert secret not in out and secret not in err
    assert "valid" in err


def test_check_config_warns_and_fails_on_errors(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("debgu: true\n")
    assert main(["check-config", str(path)]) == 0
    assert "warning: unknown key debgu ignored (did you mean debug?)" in capsys.readouterr().err
    path.write_text("api-key: [sk-real-0123456789]\n")
    assert main(["check-config", str(path)]) == 1
    assert "did you mean api-keys?" in capsys.readouterr().err
    path.write_text("port: [\n")
    assert main(["check-config", str(path)]) == 1
    assert main(["check-config", str(tmp_path / "none.yaml")]) == 1


def test_keys_add_list_remove_keep_comments(config_file, capsys):
    assert main(["keys", "add", "--label", "beta"]) == 0
    generated = capsys.readouterr().out.strip()
    assert len(generated) >= 40
    assert main(["keys", "add", "sk-given-key-0002", "--config", str(config_file)]) == 0
    capsys.readouterr()
    text = config_file.read_text()
    assert "# team gateway" in text and "# alpha team" in text
    assert yaml.safe_load(text)["api-keys"] == [
        "sk-client-alpha-0001", {"key": generated, "label": "beta"}, "sk-given-key-0002"]

    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    beta_id = auth.load_keys([generated])[0].key_id
    assert beta_id in listing and "beta" in listing and generated not in listing

    assert main(["keys", "remove", beta_id]) == 0
    assert main(["keys", "remove", "0"]) == 0
    assert yaml.safe_load(config_file.read_text())["api-keys"] == ["sk-given-key-0002"]
    assert "# team gateway" in config_file.read_text()
    capsys.readouterr()
    assert main(["keys", "remove", "nope"]) == 1
    assert main(["keys", "add", "sk-given-key-0002"]) == 1
    assert "already configured" in capsys.readouterr().err


@pytest.fixture(params=["sqlite", "postgresql"])
def usage_config(request, tmp_path):
    """``(config file, store)``: usage in SQLite, or in a PostgreSQL schema of this test's own."""
    config = tmp_path / "c.yaml"
    if request.param == "sqlite":
        db = str(tmp_path / "usage.db")
        config.write_text(f"usage:\n  store-path: {db}\n")
        yield config, UsageStore(db)
        return
    from proxy.telemetry.usage_postgres import PostgresUsageStore
    from tests import services
    url = services.postgres_url()
    schema = services.create_schema(url)
    database = services.with_schema(url, schema)
    config.write_text(yaml.safe_dump({"usage": {"database-url": database}}))
    try:
        yield config, PostgresUsageStore(database)
    finally:
        services.drop_schema(url, schema)


def test_usage_table_by_client_and_model(usage_config, capsys):
    config, store = usage_config
    now = int(time.time())
    for i, (client, model) in enumerate([("key-a", "m1"), ("key-a", "m2"), ("key-b", "m1")]):
        store.submit_request({"request_id": str(i), "ts": now - 3600 + i, "model": model,
                              "client_key_id": client, "status": 200 if i else 502,
                              "input_tokens": 1000, "output_tokens": 10})
    store.submit_request({"request_id": "old", "ts": now - 90 * 86400, "model": "m1",
                          "client_key_id": "key-a", "status": 200, "input_tokens": 5})
    store.close()

    assert main(["usage", "--config", str(config), "--by", "client",
                 "--since", str(now - 86400), "--until", str(now)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["client", "requests", "errors", "input", "output", "cached",
                                "cache", "write", "reasoning"]
    assert lines[2].split()[:5] == ["key-a", "2", "1", "2,000", "20"]
    assert lines[3].split()[:5] == ["key-b", "1", "0", "1,000", "10"]
    assert lines[4].split()[:3] == ["total", "3", "1"]

    # reading never prunes: the 90-day-old row is still counted
    assert main(["usage", "--config", str(config), "--by", "model", "--since", "2020-01-01"]) == 0
    out = capsys.readouterr().out
    assert "m1 " in out and out.splitlines()[-1].split()[:2] == ["total", "4"]
    assert main(["usage", "--config", str(config), "--since", "24h"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].split()[:2] == ["total", "3"]


def test_usage_without_a_store_says_so(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text(f"usage:\n  store-path: {tmp_path / 'none.db'}\n")
    assert main(["usage", "--config", str(config)]) == 1
    assert "no usage recorded yet" in capsys.readouterr().err


def test_serve_environment_keeps_the_configured_host_with_port(tmp_path):
    from proxy.cli import serve
    config = tmp_path / "c.yaml"
    config.write_text("host: 10.1.2.3\n")
    args = parser().parse_args(["serve", "--port", "9000", "--config", str(config),
                                "--workers", "3"])
    env = serve.environment(args, {})
    assert env == {"SWITCHYARD_CONFIG": str(config), "PORT": "9000",
                   "SWITCHYARD_HOST": "10.1.2.3", "WEB_CONCURRENCY": "3"}
    args = parser().parse_args(["serve", "--host", "0.0.0.0"])
    assert serve.environment(args, {"PORT": "80"}) == {"PORT": "80", "SWITCHYARD_HOST": "0.0.0.0"}


def test_check_config_without_the_default_file_shows_the_defaults(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SWITCHYARD_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["check-config"]) == 0
    out, err = capsys.readouterr()
    assert "built-in defaults (echo only)" in err and yaml.safe_load(out)["echo"] is True
    monkeypatch.setenv("SWITCHYARD_CONFIG", str(tmp_path / "named.yaml"))
    assert main(["check-config"]) == 1              # a named file must exist, as for the server
