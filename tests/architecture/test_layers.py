"""Imports only go downward: the layers of ``proxy/`` as ARCHITECTURE.md draws them.

A module may import its own layer and the layers below it, never one above;
``translators`` (pure dialect translation) imports nothing of ``proxy``.
Function-level imports count too: a lazy import is still a dependency.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Top to bottom.  Each entry: the packages / root modules of one layer.
LAYERS = (
    ("proxy.cli", "proxy.__main__"),        # the `switchyard` command
    ("proxy.http",),                        # the serving process: worker, Flask routes, front doors
    ("proxy.admin", "proxy.dashboard"),     # operators: management API, reload, dashboard
    ("proxy.telemetry",),                   # what happened: usage, metrics, access log
    ("proxy.runtime",),                     # the worker's current config + pool + keys
    ("proxy.relay", "proxy.validation"),    # one request: attempts, streams, counting
    ("proxy.routing", "proxy.state"),       # which credential serves: pool, cooldowns, store
    ("proxy.config", "proxy.config_audit"),  # the config schema and its audit
    ("proxy.providers", "proxy.accounts",   # the upstream side: kinds, credentials, transport,
     "proxy.login", "proxy.access"),        # subscription accounts, logins; client keys
    ("proxy.wire", "proxy.errors", "proxy.periodic", "proxy.logs", "proxy"),  # foundation
)


def layer_of(module):
    """Index of the layer owning ``module`` (longest prefix wins), or None."""
    best, best_len = None, -1
    for index, owners in enumerate(LAYERS):
        for owner in owners:
            if (module == owner or module.startswith(owner + ".")) and len(owner) > best_len:
                best, best_len = index, len(owner)
    return best


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts), path.name == "__init__.py"


def imported(path):
    """Every ``proxy`` module ``path`` imports, with line numbers."""
    name, is_package = module_name(path)
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                yield node.lineno, full if _is_module(full) else target


def _is_module(dotted):
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def sources(package):
    return sorted((ROOT / package).rglob("*.py"))


def test_every_proxy_module_has_a_layer():
    missing = [module_name(p)[0] for p in sources("proxy") if layer_of(module_name(p)[0]) is None]
    assert not missing


@pytest.mark.parametrize("path", sources("proxy"), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_only_go_downward(path):
    name = module_name(path)[0]
    own = layer_of(name)
    upward = [f"line {line}: {target} (layer {layer_of(target)} above {own})"
              for line, target in imported(path)
              if target.startswith("proxy") and layer_of(target) is not None
              and layer_of(target) < own]
    assert not upward, f"{name} imports upward:\n" + "\n".join(upward)


def test_translators_import_nothing_of_proxy():
    found = [f"{p.relative_to(ROOT)}:{line} {target}" for p in sources("translators")
             for line, target in imported(p) if target == "proxy" or target.startswith("proxy.")]
    assert not found
