"""Findings about a parsed config file beyond value types: keys we do not
know, CLIProxyAPI keys we recognise but do not support, placeholder keys.

Unknown keys are the dangerous mistake: ``api-key:`` instead of
``api-keys:`` used to start an unauthenticated gateway.  Every unknown key
is named with the closest known one; a near-miss of ``api-keys`` while
``api-keys`` itself is absent is an error, not a warning.

Pure functions over the parsed YAML and a schema tree (``proxy.config``
builds it from its data); nothing here logs or reads files.
"""
import difflib
import re
from dataclasses import dataclass, field

# Strings that are documentation, not keys: "sk-ant-...", "AIza…",
# "your-api-key-1", "sk-switchyard-change-me", "<your key>".
_PLACEHOLDER = re.compile(r"\.\.\.|…|change[-_]?me|replace[-_]?me|^your[-_]|<[^<>]*>", re.I)

# Keys whose absence turns client authentication off.
_AUTH_KEYS = ("api-keys",)


def is_placeholder(value):
    return isinstance(value, str) and bool(_PLACEHOLDER.search(value))


@dataclass
class Findings:
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    unsupported: list = field(default_factory=list)    # dotted key paths

    def messages(self):
        """Warnings as lines, the unsupported keys folded into one line."""
        lines = list(self.warnings)
        if self.unsupported:
            lines.append("recognised CLIProxyAPI keys, not supported yet (ignored): "
                         + ", ".join(sorted(set(self.unsupported))))
        return lines


@dataclass(frozen=True)
class Node:
    """What the schema knows under one mapping: ``known`` child names (each
    a Node, a ListOf or None for a leaf) and CLIProxyAPI names we ignore."""
    known: dict
    unsupported: frozenset = frozenset()


@dataclass(frozen=True)
class ListOf:
    """A list whose mapping items follow ``item``."""
    item: Node


def _closest(name, candidates):
    match = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.6)
    return match[0] if match else None


def _walk(value, node, where, findings):
    if isinstance(node, ListOf):
        if isinstance(value, list):
            for i, item in enumerate(value):
                _walk(item, node.item, f"{where}[{i}]", findings)
        return
    if not isinstance(node, Node) or not isinstance(value, dict):
        return
    for key, child in value.items():
        path = f"{where}.{key}" if where else str(key)
        if key in node.known:
            _walk(child, node.known[key], path, findings)
        elif key in node.unsupported:
            findings.unsupported.append(re.sub(r"\[\d+\]", "[]", path))
        else:
            _unknown(key, path, value, node, findings)


def _unknown(key, path, mapping, node, findings):
    guess = _closest(key, [*node.known, *node.unsupported])
    hint = f" (did you mean {guess}?)" if guess else ""
    if guess in _AUTH_KEYS and guess not in mapping:
        findings.errors.append(
            f"unknown key {path}{hint}: without {guess} the gateway would accept any "
            f"client; rename it to {guess}")
    else:
        findings.warnings.append(f"unknown key {path} ignored{hint}")


def _placeholders(raw, entry_lists, findings):
    for i, entry in enumerate(raw.get("api-keys") or []):
        key = entry.get("key") if isinstance(entry, dict) else entry
        if is_placeholder(key):
            findings.warnings.append(f"api-keys[{i}]: placeholder key {key!r} not loaded")
    for section in entry_lists:
        entries = raw.get(section)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                continue
            if is_placeholder(entry.get("api-key")):
                findings.warnings.append(
                    f"{section}[{i}]: placeholder key {entry['api-key']!r} not loaded")
            for j, sub in enumerate(entry.get("api-key-entries") or []):
                key = sub.get("api-key") if isinstance(sub, dict) else sub
                if is_placeholder(key):
                    findings.warnings.append(f"{section}[{i}].api-key-entries[{j}]: "
                                             f"placeholder key {key!r} not loaded")


def audit(raw, schema, entry_lists):
    """Findings for the parsed YAML mapping ``raw`` against ``schema`` (a
    Node); ``entry_lists`` names the provider sections (placeholder check)."""
    findings = Findings()
    if isinstance(raw, dict):
        _walk(raw, schema, "", findings)
        _placeholders(raw, entry_lists, findings)
    return findings
