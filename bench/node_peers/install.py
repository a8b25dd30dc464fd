"""Install the pinned Node peers (bench/node_peers/package.json) into a
cache folder outside the repo, once per set of pins; ``python -m
bench.node_peers.install`` prints the Portkey gateway's start script.

The folder is ``$SWITCHYARD_BENCH_NPM_CACHE`` (default
``~/.cache/switchyard-bench-npm``) ``/<hash of package.json>``, so bumping a
pin installs afresh and going back finds the old install.  A lock file keeps
two runs from installing at once.  Needs ``node`` and ``npm`` on PATH and the
npm registry the first time; ``PeerUnavailable`` says what was missing.
"""
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PINS = os.path.join(HERE, "package.json")
PORTKEY = "@portkey-ai/gateway"
# The gateway's Node entry point (its package.json "start:node" script).
PORTKEY_SCRIPT = os.path.join("node_modules", PORTKEY, "build", "start-server.js")


class PeerUnavailable(RuntimeError):
    """A Node peer cannot run here; the message says why."""


def cache_dir():
    root = os.environ.get("SWITCHYARD_BENCH_NPM_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "switchyard-bench-npm")
    with open(PINS, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    return os.path.join(root, digest)


def pinned(package):
    with open(PINS) as f:
        return json.load(f)["dependencies"][package]


def node():
    """Path of the ``node`` binary."""
    found = shutil.which("node")
    if not found:
        raise PeerUnavailable("node is not on PATH")
    return found


def portkey_script(install=True):
    """The start script of the pinned Portkey gateway, installing it first
    when ``install`` (else only an existing install is used)."""
    target = cache_dir()
    script = os.path.join(target, PORTKEY_SCRIPT)
    done = os.path.join(target, ".installed")
    if os.path.exists(done):
        return script
    if not install:
        raise PeerUnavailable(f"{PORTKEY} is not installed in {target} "
                              "(python -m bench.node_peers.install)")
    if not shutil.which("npm"):
        raise PeerUnavailable("npm is not on PATH")
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(done):
            shutil.copyfile(PINS, os.path.join(target, "package.json"))
            # exact pins; no lock file to keep (the cache is disposable)
            proc = subprocess.run(["npm", "install", "--no-audit", "--no-fund",
                                   "--no-package-lock", "--loglevel=error"], cwd=target,
                                  stdout=sys.stderr, stderr=subprocess.PIPE, text=True,
                                  timeout=600)
            if proc.returncode != 0 or not os.path.exists(script):
                tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
                raise PeerUnavailable(f"npm install of {PORTKEY}@{pinned(PORTKEY)} failed "
                                      f"(exit {proc.returncode}): {tail[0]}")
            open(done, "w").close()
    return script


if __name__ == "__main__":
    print(portkey_script())
