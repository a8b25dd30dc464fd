"""Install the pinned CLIs (tests/clis/package.json) into a cache folder
outside the repo, once per set of pins; prints the folder of their binaries.

The folder is ``$SWITCHYARD_CLIS_CACHE`` (default ``~/.cache/switchyard-clis``)
``/<hash of package.json>``, so bumping a pin installs afresh and going back
finds the old install.  A lock file keeps parallel test workers from
installing twice.
"""
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PINS = os.path.join(HERE, "package.json")
CLIS = ("claude", "codex", "gemini")


def cache_dir():
    root = os.environ.get("SWITCHYARD_CLIS_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "switchyard-clis")
    with open(PINS, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    return os.path.join(root, digest)


def install():
    """The bin folder of the pinned CLIs, installing them first if needed."""
    target = cache_dir()
    bin_dir = os.path.join(target, "node_modules", ".bin")
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = os.path.join(target, ".installed")
        if not os.path.exists(done):
            shutil.copyfile(PINS, os.path.join(target, "package.json"))
            # the pins are exact versions; no lock file to keep (the cache is disposable)
            subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock",
                            "--loglevel=error"], cwd=target, check=True,
                           stdout=sys.stderr)
            missing = [c for c in CLIS if not os.path.exists(os.path.join(bin_dir, c))]
            if missing:
                raise SystemExit(f"npm installed no {', '.join(missing)} in {bin_dir}")
            open(done, "w").close()
    return bin_dir


if __name__ == "__main__":
    print(install())
