"""Run deploy/Dockerfile's steps on this machine, without Docker.

Docker is not available everywhere the tests run, so this script does what
the image build and ``docker run`` would, as far as a plain machine allows:
each absolute path of the image (``/app``, ``/data``) becomes a folder under
a temporary root, ``COPY`` copies, ``RUN`` runs in a fresh virtualenv (its
``bin`` first on PATH stands in for the image's Python), ``ENV`` applies, then
``CMD`` starts in the last ``WORKDIR`` with a config that has api-keys, the
``HEALTHCHECK`` command must pass, an echo request is answered and recorded
in ``/data/usage.db``, and SIGTERM stops it cleanly.

Not run, and said so: ``FROM`` (this machine's python3 instead of the base
image), ``useradd``/``chown`` (need root and change the system), ``USER``
(runs as the current user), ``VOLUME``/``EXPOSE`` (Docker metadata).
Usage: ``python3 deploy/check_dockerfile.py`` (``make test-deploy``).
"""
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKERFILE = os.path.join(REPO, "deploy", "Dockerfile")
SYSTEM_STEPS = ("useradd", "groupadd", "chown")      # need root; change the machine
CLIENT_KEY = "sk-dockerfile-check-0123456789"


def instructions(path):
    """``(KEYWORD, argument text)`` pairs, continuation lines joined."""
    text = open(path, encoding="utf-8").read()
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def exec_form(text):
    """A Dockerfile exec-form (JSON array) or shell-form command as argv."""
    return json.loads(text) if text.startswith("[") else ["/bin/sh", "-c", text]


def env_pairs(text):
    return dict(pair.split("=", 1) for pair in shlex.split(text))


class Image:
    """The image as folders under ``root``; absolute image paths mapped into it."""

    def __init__(self, root, tops):
        self.root = root
        self.tops = sorted(tops, key=len, reverse=True)    # /app, /data
        self.env = {}
        self.workdir = "/"
        self.ran, self.skipped = [], []

    def path(self, image_path):
        return os.path.join(self.root, image_path.lstrip("/"))

    def mapped(self, text):
        """``text`` with the image's own absolute paths mapped under root."""
        for top in self.tops:
            text = re.sub(rf"(?<![\w/.]){re.escape(top)}(?=[/\s'\"]|$)", self.path(top), text)
        return text

    def cwd(self):
        return self.path(self.workdir)

    def run(self, command):
        for part in (p.strip() for p in command.split("&&")):
            if part.split()[0] in SYSTEM_STEPS:
                self.skipped.append(f"RUN {part}")
                continue
            subprocess.run(self.mapped(part), shell=True, check=True, cwd=self.cwd(),
                           env=self.env)
            self.ran.append(f"RUN {part}")

    def copy(self, args):
        *sources, dest = shlex.split(args)
        target = os.path.join(self.cwd(), dest) if not dest.startswith("/") else self.path(dest)
        for source in sources:
            src = os.path.join(REPO, source)
            if os.path.isdir(src):
                shutil.copytree(src, target, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                os.makedirs(target, exist_ok=True)
                shutil.copy2(src, os.path.join(target, os.path.basename(source)))
        self.ran.append(f"COPY {args}")


def build(steps, image, venv):
    image.env = dict(os.environ, PATH=f"{venv}/bin:{os.environ['PATH']}", VIRTUAL_ENV=venv)
    healthcheck, cmd = None, None
    for keyword, arg in steps:
        if keyword == "ENV":
            image.env.update(env_pairs(arg))
        elif keyword == "WORKDIR":
            image.workdir = arg
            os.makedirs(image.cwd(), exist_ok=True)
        elif keyword == "COPY":
            image.copy(arg)
        elif keyword == "RUN":
            image.run(arg)
        elif keyword == "HEALTHCHECK":
            healthcheck = exec_form(arg[arg.index("CMD ") + 4:].strip())
        elif keyword == "CMD":
            cmd = exec_form(arg)
        else:
            image.skipped.append(f"{keyword} {arg}")
    return healthcheck, cmd


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(healthcheck, image, proc, deadline):
    while time.monotonic() < deadline and proc.poll() is None:
        if subprocess.run([image.mapped(a) for a in healthcheck], env=image.env,
                          capture_output=True).returncode == 0:
            return True
        time.sleep(0.5)        # the Docker HEALTHCHECK polls too
    return False


def start(image, healthcheck, cmd, log_path):
    port = free_port()
    with open(os.path.join(image.cwd(), "config.yaml"), "w") as f:
        f.write(f'port: {port}\napi-keys: ["{CLIENT_KEY}"]\n')
    image.env["PORT"] = str(port)          # the HEALTHCHECK reads it
    log = open(log_path, "w")
    proc = subprocess.Popen([image.mapped(a) for a in cmd], cwd=image.cwd(), env=image.env,
                            stdout=log, stderr=subprocess.STDOUT)
    if not healthy(healthcheck, image, proc, time.monotonic() + 60):
        proc.kill()
        raise SystemExit("HEALTHCHECK never passed:\n" + open(log_path).read())
    return proc, port


def exercise(port):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/chat/completions", method="POST",
        data=json.dumps({"model": "echo", "messages": [{"role": "user", "content": "hi"}]}).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {CLIENT_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert json.load(resp)["choices"][0]["message"]["content"] == "echo: hi"


def main():
    steps = instructions(DOCKERFILE)
    with tempfile.TemporaryDirectory(prefix="switchyard-image-") as tmp:
        tops = {"/" + arg.strip('[]" ').lstrip("/").split("/")[0] for kw, arg in steps
                if kw in ("WORKDIR", "VOLUME")}
        image = Image(os.path.join(tmp, "root"), tops)
        os.makedirs(image.root)
        venv = os.path.join(tmp, "venv")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        healthcheck, cmd = build(steps, image, venv)
        log_path = os.path.join(tmp, "server.log")
        proc, port = start(image, healthcheck, cmd, log_path)
        try:
            exercise(port)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        log = open(log_path).read()
        problems = []
        if proc.returncode != 0 or "Traceback" in log:
            problems.append(f"unclean exit {proc.returncode}:\n{log}")
        if not os.path.exists(os.path.join(image.cwd(), "usage.db")):
            problems.append(f"no usage.db in {image.workdir} (the volume)")
        print("ran:", *image.ran, "HEALTHCHECK (passed)", "CMD (served echo, stopped cleanly)",
              sep="\n  ")
        print("not run:", *image.skipped, f"(FROM: this machine's {sys.version.split()[0]})",
              sep="\n  ")
        if problems:
            raise SystemExit("\n".join(problems))
        print("check_dockerfile: OK")


if __name__ == "__main__":
    main()
