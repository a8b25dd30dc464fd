"""Configuration schema as data, and loading of the YAML file.

Key names follow CLIProxyAPI's ``config.yaml`` (kebab-case) so its users can
bring their file along.  ``SETTINGS`` is the one place that says each key's
name, type, default and meaning; ``config.example.yaml`` must agree with it
(a test checks).  Provider entry lists are described by ``ENTRY_FIELDS``.

``load(path)`` returns a plain nested dict with every default filled in, so
code reads ``config["routing"]["strategy"]`` without guarding for absence.
Keys outside the schema are reported by ``proxy.config_audit`` (unknown
keys with the closest known one; CLIProxyAPI keys we do not support yet).
"""
import copy
import logging
import os
import re
from dataclasses import dataclass

import yaml

from proxy import config_audit
from proxy.config_audit import ListOf, Node
from proxy.errors import ConfigError
from proxy.providers.kinds import PROVIDERS

DEFAULT_PATH = "./config.yaml"

log = logging.getLogger("switchyard.config")


@dataclass(frozen=True)
class Setting:
    """One config key: dotted ``name``, python ``type``, ``default``, ``doc``."""
    name: str
    type: type
    default: object
    doc: str
    choices: tuple = ()


SETTINGS = [
    # --- server ---
    Setting("host", str, "127.0.0.1", "Address to bind (PORT env or --bind override it)."),
    Setting("port", int, 8317, "Port to bind when PORT is not set."),
    Setting("api-keys", list, [], "Client keys accepted by the gateway (strings, or {key, label, byok}). "
            "Empty: unauthenticated, allowed only on a loopback bind."),
    Setting("request-body-limit-mb", int, 32, "Largest request body accepted; larger gets 413."),
    Setting("response-body-limit-mb", int, 64,
            "Largest whole (non-streamed) upstream answer read into memory; larger gets 502 "
            "naming the upstream. Streams are relayed as they come, whatever their length."),
    Setting("debug", bool, False, "Verbose logs, request/response bodies included (secrets masked)."),
    Setting("log-format", str, "text", "Access log format.", ("text", "json")),
    Setting("echo", bool, True, "Serve the built-in `echo` model (no network)."),
    # --- upstream calls ---
    Setting("proxy-url", str, "", "Default outbound proxy (http/https/socks5 URL) for every entry."),
    Setting("connect-timeout-seconds", float, 10.0, "Connect timeout per upstream call."),
    Setting("read-timeout-seconds", float, 600.0,
            "Idle-read timeout per upstream call (longest silence tolerated)."),
    Setting("first-byte-timeout-seconds", float, 120.0,
            "From a request sent upstream to its response head; then fail over. 0 = off."),
    Setting("request-timeout-seconds", float, 900.0,
            "Overall deadline of one client request, streams included. 0 = none."),
    # --- retries and cooling ---
    Setting("request-retry", int, 3, "Extra rounds over the credentials after 403/408/429/5xx."),
    Setting("max-upstream-attempts", int, 8, "Hard cap on upstream calls for one client request."),
    Setting("max-retry-interval", float, 10.0,
            "When every credential is cooling, wait for the soonest one if within this many seconds."),
    Setting("disable-cooling", bool, False, "Never cool credentials down after failures."),
    Setting("max-cooldown-seconds", float, 1800.0, "Cap on any single cooldown."),
    Setting("transient-error-cooldown-seconds", float, 60.0,
            "Longest cooldown after 408/5xx/3xx/connection errors: 2 s first, doubling "
            "while the credential keeps failing; -1 disables."),
    Setting("auth-error-cooldown-seconds", float, 1800.0,
            "Cooldown after 401/402/403 and billing/quota/permission refusals."),
    Setting("model-not-found-cooldown-seconds", float, 43200.0,
            "Cooldown of a credential for one model after 404 / model not supported."),
    Setting("nonstream-keepalive-interval", float, 0.0,
            "Seconds between blank lines sent while a whole response is awaited; 0 = off."),
    Setting("routing.strategy", str, "round-robin", "How a credential is picked.",
            ("round-robin", "fill-first", "weighted-round-robin")),
    Setting("routing.session-affinity", bool, False, "Stick a session to one credential."),
    Setting("routing.session-affinity-ttl", float, 3600.0, "Seconds a session binding lives."),
    Setting("streaming.keepalive-seconds", float, 15.0,
            "SSE keep-alive comment after this much upstream silence; 0 = off."),
    Setting("streaming.bootstrap-retries", int, 1,
            "Extra credential re-selections for a stream failing before its first byte."),
    # --- usage, metrics, management ---
    Setting("usage.enabled", bool, True, "Record usage to SQLite."),
    Setting("usage.store-path", str, "./usage.db", "SQLite file for usage records."),
    Setting("usage.database-url", str, "",
            "postgresql://user@host/db: usage records in PostgreSQL (shared by every "
            "instance) instead of the SQLite file."),
    Setting("usage.retention-days", int, 30, "Usage records older than this are pruned."),
    Setting("usage.record-prompts", bool, False, "Also store the last user prompt (truncated)."),
    Setting("usage.queue-size", int, 10000, "Pending records kept in memory; beyond, drops are counted."),
    Setting("send-actor-headers", bool, False,
            "Forward the client's X-Switchyard-Actor upstream as X-AI-Bridge-Actor-ID "
            "(+ -Metadata-*)."),
    Setting("metrics.enabled", bool, True, "Serve Prometheus metrics at /metrics."),
    Setting("metrics.key", str, "", "If set, /metrics requires this bearer key."),
    Setting("remote-management.secret-key", str, "",
            "Enables /v0/management/*; hashed in memory, stays in the YAML as written."),
    Setting("remote-management.allow-remote", bool, False,
            "Allow management calls from non-loopback peers."),
    Setting("trusted-proxies", list, [],
            "Peer addresses whose X-Forwarded-For is believed."),
    Setting("watch-config", bool, True, "Reload the config file when it changes."),
    # --- subscription accounts (auth directory) ---
    Setting("auth-dir", str, "~/.switchyard/auth",
            "Folder of account token files (CLIProxyAPI's format); the default falls back "
            "to ~/.cli-proxy-api when only that exists."),
    Setting("auth-dir-poll-seconds", float, 1.0, "How often the auth folder is checked for changes."),
] + [
    Setting(f"oauth.{kind}-{what}", str, default, doc)
    for kind, token_url in (("claude", "https://platform.claude.com/v1/oauth/token"),
                            ("codex", "https://auth.openai.com/oauth/token"),
                            ("gemini", "https://oauth2.googleapis.com/token"),
                            ("vertex", "https://oauth2.googleapis.com/token"))
    for what, default, doc in (
        ("token-url", token_url, f"Token endpoint of {kind} logins and refreshes."),
        ("base-url", "", f"Upstream base URL of {kind} accounts (empty: the provider's); "
                         "logins call it too (Claude's profile, Code Assist project setup)."))
] + [
    setting
    for kind in ("claude", "codex", "gemini")
    for setting in (
        Setting(f"oauth.{kind}-auth-url", str, "",
                f"Origin of {kind}'s sign-in server for logins (authorize page, device codes, "
                "user info; empty: the provider's)."),
        Setting(f"oauth.{kind}-callback-port", int, 0,
                f"Loopback port of {kind} logins' browser callback (0: the provider's CLI's "
                "own, the only one its sign-in accepts; other ports for test servers)."))
] + [
    # --- shared state: many workers and instances as one gateway ---
    Setting("state.redis-url", str, "",
            "Redis (redis://[:password@]host:port/db) shared by every worker and instance; "
            "empty: each process keeps its own state (then run one worker)."),
    Setting("state.key-prefix", str, "switchyard:",
            "Prefix of every Redis key; gateways sharing one prefix act as one pool."),
    Setting("state.refresh-seconds", float, 0.1,
            "How often each process checks Redis for state changed elsewhere."),
    Setting("state.claim-ttl-seconds", float, 5.0,
            "A half-open probe claim of a dead worker expires after this many seconds."),
]

# Provider entry lists: key -> (upstream kind, fields with defaults).
_COMMON = {"api-key": "", "base-url": "", "models": [], "excluded-models": [],
           "prefix": "", "priority": 0, "weight": 1, "proxy-url": "", "headers": {},
           "disable-cooling": False, "disabled": False}

ENTRY_FIELDS = {
    "claude-api-key": dict(_COMMON, **{"base-url": PROVIDERS["claude"].base_url}),
    "gemini-api-key": dict(_COMMON, **{"base-url": PROVIDERS["gemini"].base_url}),
    "codex-api-key": dict(_COMMON, **{"base-url": PROVIDERS["codex"].base_url}),
    "openai-compatibility": {"name": "", "base-url": "", "api-key-entries": [], "models": [],
                             "excluded-models": [], "prefix": "", "priority": 0, "weight": 1,
                             "headers": {}, "disable-cooling": False, "disabled": False,
                             "replay-reasoning-content": False},
}
# Fields of the items of an entry's `models` and `api-key-entries` lists.
MODEL_FIELDS = ("name", "alias")
KEY_ENTRY_FIELDS = ("api-key", "proxy-url")

# CLIProxyAPI config keys Switchyard recognises but does not act on (its
# internal/config package); reported at load as "not supported", never as typos.
CLIPROXYAPI_ONLY = {
    "": ("tls", "credential-concurrency", "credential-in-flight", "plugins",
         "pprof", "commercial-mode", "logging-to-file", "logs-max-total-size-mb",
         "error-logs-max-files", "usage-statistics-enabled",
         "redis-usage-queue-retention-seconds", "save-cooldown-status",
         "auth-auto-refresh-workers", "max-retry-credentials", "quota-exceeded", "ws-auth",
         "antigravity-signature-cache-enabled", "antigravity-signature-bypass-strict",
         "antigravity", "interactions-api-key", "xai-api-key", "xai", "codex",
         "codex-header-defaults", "claude-header-defaults", "disable-claude-cloak-mode",
         "vertex-api-key", "oauth-excluded-models", "oauth-model-alias",
         "oauth-request-scoped-errors", "payload", "disable-image-generation",
         "gpt-image-2-base-model", "video-result-auth-cache-ttl", "force-model-prefix",
         "request-log", "claude-code", "passthrough-headers"),
    "remote-management": ("disable-control-panel", "disable-auto-update-panel",
                          "panel-github-repository"),
    "entry": ("request-retry", "request-scoped-errors", "cloak", "fingerprint-profile",
              "experimental-cch-signing", "rebuild-mid-system-message", "websockets",
              "alpha-search", "support-prompt-cache-key"),
    "model": ("display-name", "max-context-length", "force-mapping", "is-compat", "thinking",
              "image", "input-modalities", "output-modalities", "fork"),
    "key-entry": ("weight",),
}


# A Go ``time.Duration`` string as CLIProxyAPI writes them ("1h", "30m",
# "1h30m", "250ms"); Go's time.ParseDuration grammar.
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0,
                   "m": 60.0, "h": 3600.0}


def parse_duration(text):
    """Seconds from a Go duration string; None when ``text`` is not one."""
    text = text.strip()
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if body == "0":
        return 0.0
    parts = _DURATION_PART.findall(body)
    if not parts or "".join(n + u for n, u in parts) != body:
        return None
    return sign * sum(float(n) * _DURATION_UNITS[u] for n, u in parts)


def _schema_tree():
    """The schema as a ``config_audit.Node`` tree (known and CLIProxyAPI-only keys)."""
    model = Node(dict.fromkeys(MODEL_FIELDS), frozenset(CLIPROXYAPI_ONLY["model"]))
    key_entry = Node(dict.fromkeys(KEY_ENTRY_FIELDS), frozenset(CLIPROXYAPI_ONLY["key-entry"]))
    sections = {}
    for setting in SETTINGS:
        *parents, leaf = setting.name.split(".")
        sections.setdefault(".".join(parents), {})[leaf] = None
    known = dict(sections.pop(""))
    for name, children in sections.items():
        known[name] = Node(children, frozenset(CLIPROXYAPI_ONLY.get(name, ())))
    for section, fields in ENTRY_FIELDS.items():
        entry = dict.fromkeys(fields)
        entry["models"] = ListOf(model)
        if "api-key-entries" in entry:
            entry["api-key-entries"] = ListOf(key_entry)
        known[section] = ListOf(Node(entry, frozenset(CLIPROXYAPI_ONLY["entry"])))
    return Node(known, frozenset(CLIPROXYAPI_ONLY[""]))


SCHEMA = _schema_tree()


# Keys a reload cannot change: the socket is bound, the watcher started and
# the usage store opened when a worker starts.
RESTART_KEYS = ("host", "port", "watch-config", "usage.enabled", "usage.store-path",
                "usage.retention-days", "usage.queue-size")


def _get(tree, dotted):
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None, False
        tree = tree[part]
    return tree, True


def _put(tree, dotted, value):
    *parents, leaf = dotted.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[leaf] = value


def _fresh(default):
    """A default as a built config may hold it: lists and mappings copied, so
    no two built configs (nor a config and the schema) share one object."""
    return copy.deepcopy(default) if isinstance(default, (list, dict)) else default


def _coerce(setting, value):
    if setting.type is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if setting.type is float and isinstance(value, str):
        seconds = parse_duration(value)
        if seconds is None:
            raise ConfigError(f"{setting.name}: expected seconds or a duration like "
                              f"\"90s\", \"30m\", \"1h\"; got {value!r}")
        value = seconds
    if value is None:
        value = _fresh(setting.default)
    if not isinstance(value, setting.type):
        raise ConfigError(f"{setting.name}: expected {setting.type.__name__}, "
                          f"got {type(value).__name__}")
    if setting.choices and value not in setting.choices:
        raise ConfigError(f"{setting.name}: must be one of {', '.join(setting.choices)}")
    return value


def _entries(raw, key):
    entries = raw.get(key) or []
    if not isinstance(entries, list):
        raise ConfigError(f"{key}: expected a list of entries")
    out = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigError(f"{key}[{i}]: expected a mapping")
        filled = {}
        for name, default in ENTRY_FIELDS[key].items():
            value = entry.get(name)
            if value is None:
                value = _fresh(default)
            if not isinstance(value, type(default)) or isinstance(value, bool) != isinstance(default, bool):
                raise ConfigError(f"{key}[{i}].{name}: expected {type(default).__name__}, "
                                  f"got {type(value).__name__}")
            filled[name] = value
        filled.update({k: v for k, v in entry.items() if k not in filled})
        if not filled["disabled"] and not config_audit.is_placeholder(filled.get("api-key")):
            out.append(filled)
    return out


def _real_key_entries(entries):
    """``api-key-entries`` without placeholders (strings or mappings)."""
    return [e for e in entries if not config_audit.is_placeholder(
        e.get("api-key") if isinstance(e, dict) else e)]


def _real_client_keys(keys):
    return [k for k in keys if not config_audit.is_placeholder(
        k.get("key") if isinstance(k, dict) else k)]


def build(raw):
    """Validate a parsed YAML mapping and fill every default."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("config: top level must be a mapping")
    config = {}
    for setting in SETTINGS:
        value, _ = _get(raw, setting.name)          # absent: None, the default
        _put(config, setting.name, _coerce(setting, value))
    for key in ENTRY_FIELDS:
        config[key] = _entries(raw, key)
    for entry in config["openai-compatibility"]:
        entry["api-key-entries"] = _real_key_entries(entry["api-key-entries"])
    config["api-keys"] = _real_client_keys(config["api-keys"])
    _check_schemes(config)
    return config


# Settings that, when set, must be a URL of one of these schemes.
_URL_SCHEMES = {"state.redis-url": ("redis://", "rediss://", "unix://"),
                "usage.database-url": ("postgresql://", "postgres://")}


def _check_schemes(config):
    for name, schemes in _URL_SCHEMES.items():
        value, _ = _get(config, name)
        if value and not value.startswith(schemes):    # the value is not quoted: it may hold a password
            raise ConfigError(f"{name}: must start with {' or '.join(schemes)}")


def yaml_error(path, exc):
    """A YAML parse error as a ConfigError naming the line and column but
    never quoting the file: the offending line may hold a key."""
    where = ""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        where = f" at line {mark.line + 1}, column {mark.column + 1}"
    problem = getattr(exc, "problem", None) or "parse error"
    return ConfigError(f"{path}: not valid YAML{where}: {problem}")


def parse(data, path):
    """``(config, findings)`` from the file's text or bytes; raises
    ConfigError for invalid YAML, wrong types or an error finding."""
    try:
        raw = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise yaml_error(path, exc) from None
    findings = config_audit.audit(raw, SCHEMA, ENTRY_FIELDS)
    if findings.errors:
        raise ConfigError(f"{path}: " + "; ".join(findings.errors))
    return build(raw), findings


def report(findings, path):
    """Log ``findings``' warnings on ``switchyard.config``."""
    for line in findings.messages():
        log.warning("config %s: %s", path, line)


def load(path=None, *, warn=True):
    """Load the config file named by ``path`` / ``SWITCHYARD_CONFIG``.

    Only the default path may be absent: then the built-in default serves
    the local ``echo`` model, so a newcomer gets answers at once.  A file
    named on purpose (``path``, ``SWITCHYARD_CONFIG``) must exist.
    """
    path = path or config_path()
    if not os.path.exists(path):
        if path != DEFAULT_PATH:
            raise ConfigError(f"{path}: no such file (SWITCHYARD_CONFIG names a config "
                              "file that must exist; unset it to run without one)")
        return build({})
    with open(path, encoding="utf-8") as f:
        config, findings = parse(f.read(), path)
    if warn:
        report(findings, path)
    return config


def config_path():
    return os.environ.get("SWITCHYARD_CONFIG") or DEFAULT_PATH
