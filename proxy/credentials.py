"""Upstream credentials, built from the provider sections of the config.

A ``Credential`` is one key at one provider: where to send (``base_url``,
``dialect``), how to authenticate, and which client model names it serves.
Its ``id`` is stable across restarts and reloads and never contains the key.
"""
import fnmatch
import hashlib
from dataclasses import dataclass, field

# Upstream kind -> dialect it speaks.
KIND_DIALECTS = {
    "claude": "claude", "gemini": "gemini", "codex": "responses",
    "openai-compat": "openai", "echo": "echo",
}

# With no `models` list an entry serves the names its provider uses.
DEFAULT_MODEL_PATTERNS = {
    "claude": ("claude-*",),
    "gemini": ("gemini-*", "gemma-*", "learnlm-*"),
    "codex": ("gpt-*", "o1*", "o3*", "o4*", "codex-*"),
    "openai-compat": ("*",),
}

_SECTIONS = {"claude-api-key": "claude", "gemini-api-key": "gemini", "codex-api-key": "codex"}


@dataclass(eq=False)
class Credential:
    id: str
    kind: str                      # claude | gemini | codex | openai-compat | echo
    dialect: str                   # translators dialect of the upstream
    base_url: str
    api_key: str = field(repr=False)
    models: dict = field(default_factory=dict)   # client name -> upstream name
    patterns: tuple = ()           # wildcard client names served as-is
    excluded: tuple = ()           # wildcard names never served
    prefix: str = ""
    priority: int = 0
    weight: int = 1
    proxy_url: str = ""
    headers: dict = field(default_factory=dict)
    disable_cooling: bool = False
    label: str = ""                # e.g. the openai-compatibility entry name

    def upstream_model(self, name):
        """Upstream model name for client model ``name``, or None if not served."""
        if any(fnmatch.fnmatchcase(name, pat) for pat in self.excluded):
            return None
        if name in self.models:
            return self.models[name]
        if any(fnmatch.fnmatchcase(name, pat) for pat in self.patterns):
            return name
        return None

    @property
    def key_hint(self):
        return mask(self.api_key)


def mask(secret):
    """``sk-a…wxyz``: enough to recognise a key, never enough to use it."""
    if not secret:
        return ""
    if len(secret) <= 12:
        return "…" + secret[-2:]
    return f"{secret[:4]}…{secret[-4:]}"


def _stable_id(kind, *parts):
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:10]
    return f"{kind}:{digest}"


def _model_map(models):
    """`models: [{name, alias}]` (or plain names) -> {client name: upstream name}."""
    mapping = {}
    for item in models or []:
        if isinstance(item, str):
            mapping[item] = item
        elif isinstance(item, dict) and item.get("name"):
            mapping[item.get("alias") or item["name"]] = item["name"]
            mapping.setdefault(item["name"], item["name"])
    return mapping


def _make(kind, entry, api_key, proxy_url, default_proxy, label=""):
    models = _model_map(entry.get("models"))
    return Credential(
        id=_stable_id(kind, label, entry.get("base-url", ""), api_key),
        kind=kind, dialect=KIND_DIALECTS[kind],
        base_url=(entry.get("base-url") or "").rstrip("/"), api_key=api_key,
        models=models, patterns=() if models else DEFAULT_MODEL_PATTERNS[kind],
        excluded=tuple(entry.get("excluded-models") or ()),
        prefix=(entry.get("prefix") or "").strip("/"),
        priority=int(entry.get("priority") or 0),
        weight=int(entry.get("weight") if entry.get("weight") is not None else 1),
        proxy_url=proxy_url or default_proxy, headers=dict(entry.get("headers") or {}),
        disable_cooling=bool(entry.get("disable-cooling")), label=label)


def echo_credential():
    return Credential(id="echo:local", kind="echo", dialect="echo", base_url="",
                      api_key="", models={"echo": "echo"}, label="echo")


def from_config(config):
    """Every credential the config declares, in config order."""
    creds = []
    default_proxy = config.get("proxy-url", "")
    for section, kind in _SECTIONS.items():
        for entry in config.get(section, []):
            creds.append(_make(kind, entry, entry.get("api-key", ""),
                               entry.get("proxy-url"), default_proxy))
    for entry in config.get("openai-compatibility", []):
        for key_entry in entry.get("api-key-entries") or []:
            if isinstance(key_entry, str):
                key_entry = {"api-key": key_entry}
            creds.append(_make("openai-compat", entry, key_entry.get("api-key", ""),
                               key_entry.get("proxy-url"), default_proxy,
                               label=entry.get("name", "")))
    if config.get("echo", True):
        creds.append(echo_credential())
    return creds
