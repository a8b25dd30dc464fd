"""Upstream credentials, built from the provider sections of the config.

A ``Credential`` is one key at one provider: where to send (``base_url``,
``dialect``), how to authenticate, and which client model names it serves.
What each provider kind is lives in ``proxy.providers.kinds``.

A credential's ``id`` names its place in the config, never its secret:
``<kind>:<entry name or base-url host>:<n>``, ``n`` counting the credentials
of that kind and name from 1 in config order. Rotating a key in place keeps
the id, so cooldowns, session bindings and usage history stay with it.
"""
import fnmatch
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from proxy.providers.kinds import PROVIDERS, SECTIONS


@dataclass(eq=False)
class Credential:
    id: str
    kind: str                      # a proxy.providers.kinds.PROVIDERS key
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
    # Bring your own key: the client's own credential headers, sent as they
    # came instead of ``api_key`` in the provider's scheme (``proxy.providers.byok``).
    passthrough: dict = field(default_factory=dict, repr=False)
    replay_reasoning: bool = False  # history reasoning sent back as reasoning_content
    # auth-dir accounts (proxy.accounts): non-secret facts the upstream
    # needs (account id, project), the file's path and the token's expiry
    account: dict = field(default_factory=dict, repr=False)

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
    def display_name(self):
        """How errors name this upstream: entry name (or provider kind) and
        host, never the key: ``'fakeoai' (127.0.0.1:9)``."""
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"'{self.label or self.kind}' ({host})" if host else f"'{self.label or self.kind}'"

    @property
    def short_name(self):
        """The name alone (for events sent mid-stream)."""
        return f"'{self.label or self.kind}'"

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


class _Ids:
    """Hands out ``<kind>:<name>:<n>`` ids in config order."""

    def __init__(self):
        self._seen = {}

    def next(self, kind, name):
        n = self._seen[(kind, name)] = self._seen.get((kind, name), 0) + 1
        return f"{kind}:{name}:{n}"


def _id_name(label, base_url):
    """The readable part of an id: the entry's name, else its base URL's host."""
    return label or urlsplit(base_url).hostname or "default"


def mask_url(url):
    """A URL with its password hidden (``socks5://user:***@host``)."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def mask_key(text, secret):
    """``text`` (str or bytes) with every occurrence of ``secret`` masked:
    an upstream error quoting the key we sent must not hand it on."""
    if not secret or len(secret) < 8:
        return text
    if isinstance(text, bytes):
        return text.replace(secret.encode(), mask(secret).encode()) \
            if secret.encode() in text else text
    return text.replace(secret, mask(secret)) if secret in text else text


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


def _make(ids, kind, entry, api_key, proxy_url, default_proxy, label=""):
    models = _model_map(entry.get("models"))
    provider = PROVIDERS[kind]
    base_url = (entry.get("base-url") or provider.base_url).rstrip("/")
    return Credential(
        id=ids.next(kind, _id_name(label, base_url)),
        kind=kind, dialect=provider.dialect, base_url=base_url, api_key=api_key,
        models=models, patterns=() if models else provider.model_patterns,
        excluded=tuple(entry.get("excluded-models") or ()),
        prefix=(entry.get("prefix") or "").strip("/"),
        priority=int(entry.get("priority") or 0),
        weight=int(entry.get("weight") if entry.get("weight") is not None else 1),
        proxy_url=proxy_url or default_proxy, headers=dict(entry.get("headers") or {}),
        disable_cooling=bool(entry.get("disable-cooling")), label=label,
        replay_reasoning=bool(entry.get("replay-reasoning-content")))


def _compat_credentials(ids, entry, default_proxy):
    """An openai-compatibility entry: one credential per key entry."""
    for key_entry in entry.get("api-key-entries") or []:
        if isinstance(key_entry, str):
            key_entry = {"api-key": key_entry}
        yield _make(ids, "openai-compat", entry, key_entry.get("api-key", ""),
                    key_entry.get("proxy-url"), default_proxy, label=entry.get("name", ""))


def echo_credential():
    return Credential(id="echo:local", kind="echo", dialect="echo", base_url="",
                      api_key="", models={"echo": "echo"}, label="echo")


def by_entry(config, section):
    """The credentials of each entry of ``section``, in config order, with the
    ids ``from_config`` gives them."""
    ids, default_proxy, kind = _Ids(), config.get("proxy-url", ""), SECTIONS[section]
    if kind == "openai-compat":
        return [list(_compat_credentials(ids, entry, default_proxy))
                for entry in config.get(section, [])]
    return [[_make(ids, kind, entry, entry.get("api-key", ""), entry.get("proxy-url"),
                   default_proxy)] for entry in config.get(section, [])]


def from_config(config):
    """Every credential the config declares, in config order."""
    creds = [cred for section in SECTIONS for entry in by_entry(config, section)
             for cred in entry]
    if config.get("echo", True):
        creds.append(echo_credential())
    return creds
