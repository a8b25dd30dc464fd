"""How each coding CLI is pointed at a gateway and run non-interactively.

Every run gets its own HOME (and config dirs inside it), an environment
holding only what is set here (no proxy variables, no real keys), and the
CLI's telemetry, update checks and other network extras switched off, so
nothing it does leaves loopback (``run.sh`` also runs the suite in a network
namespace that has nothing but loopback).

The suite runs as root in CI, where Claude Code refuses its permission
bypass flag: each CLI is given an allow-list naming the tools the fake
upstream makes it call (reading a file, ``cat`` in a shell) instead of a
bypass.  Codex needs none: ``codex exec`` never asks, and its read-only
sandbox lets ``cat`` run.
"""
import json
import os
import subprocess
from dataclasses import dataclass

TIMEOUT = 120            # seconds for one CLI run (a normal run takes 1-5)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def __str__(self):
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def _base_env(home):
    return {"PATH": os.environ["PATH"], "HOME": home, "TERM": "dumb", "NO_COLOR": "1",
            "LANG": "C.UTF-8", "CI": "true"}


def claude(bin_dir, gateway_url, key, model, prompt, home):
    # Claude Code settings: code.claude.com/docs/en/settings (environment variables)
    env = dict(_base_env(home), ANTHROPIC_BASE_URL=gateway_url, ANTHROPIC_AUTH_TOKEN=key,
               CLAUDE_CONFIG_DIR=os.path.join(home, ".claude"),
               # side calls (titles, summaries) go to the same model
               ANTHROPIC_DEFAULT_HAIKU_MODEL=model, ANTHROPIC_DEFAULT_SONNET_MODEL=model,
               ANTHROPIC_DEFAULT_OPUS_MODEL=model,
               CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", DISABLE_TELEMETRY="1",
               DISABLE_ERROR_REPORTING="1", DISABLE_AUTOUPDATER="1", DISABLE_BUG_COMMAND="1")
    argv = [os.path.join(bin_dir, "claude"), "-p", prompt, "--model", model,
            "--output-format", "text", "--allowedTools", "Read", "Bash(cat:*)"]
    return argv, env


def codex(bin_dir, gateway_url, key, model, prompt, home):
    # Codex config.toml: developers.openai.com/codex/config-reference
    codex_home = os.path.join(home, ".codex")
    os.makedirs(codex_home, exist_ok=True)
    with open(os.path.join(codex_home, "config.toml"), "w") as f:
        f.write(f'''model_provider = "switchyard"
approval_policy = "never"
sandbox_mode = "read-only"
# as with OpenAI's own models (the fake ones have no metadata, so Codex would send none)
model_reasoning_effort = "medium"
model_reasoning_summary = "auto"
check_for_update_on_startup = false

[analytics]
enabled = false

[feedback]
enabled = false

[otel]
exporter = "none"

[model_providers.switchyard]
name = "Switchyard"
base_url = "{gateway_url}/v1"
env_key = "SWITCHYARD_KEY"
wire_api = "responses"
''')
    env = dict(_base_env(home), CODEX_HOME=codex_home, SWITCHYARD_KEY=key)
    argv = [os.path.join(bin_dir, "codex"), "exec", "--skip-git-repo-check", "--color", "never",
            "-m", model, prompt]
    return argv, env


def gemini(bin_dir, gateway_url, key, model, prompt, home):
    # Gemini CLI settings: geminicli.com/docs/get-started/configuration
    settings_dir = os.path.join(home, ".gemini")
    os.makedirs(settings_dir, exist_ok=True)
    settings = {"security": {"auth": {"selectedType": "gemini-api-key"}},
                "privacy": {"usageStatisticsEnabled": False},
                "telemetry": {"enabled": False},
                "general": {"disableAutoUpdate": True, "disableUpdateNag": True}}
    with open(os.path.join(settings_dir, "settings.json"), "w") as f:
        json.dump(settings, f)
    env = dict(_base_env(home), GEMINI_API_KEY=key, GOOGLE_GEMINI_BASE_URL=gateway_url,
               GEMINI_CLI_TRUST_WORKSPACE="true", GEMINI_TELEMETRY_ENABLED="false")
    argv = [os.path.join(bin_dir, "gemini"), "-p", prompt, "-m", model,
            "--allowed-tools", "read_file", "--allowed-tools", "run_shell_command(cat)"]
    return argv, env


BUILDERS = {"claude": claude, "codex": codex, "gemini": gemini}

# The dialect each CLI speaks (its own upstream kind).
DIALECTS = {"claude": "claude", "codex": "responses", "gemini": "gemini"}


# The tool turns each CLI is run with.
TOOL_TURNS = {"claude": ("read", "shell"), "codex": ("shell",), "gemini": ("read", "shell")}


def tool_call(cli, turn, note):
    """``{tool name: arguments}`` that make ``cli`` show the file ``note``
    (in its working directory) with its file-reading tool or its shell."""
    cat = f"cat {os.path.basename(note)}"
    if turn == "read":
        return {"Read": {"file_path": note}} if cli == "claude" else {
            "read_file": {"file_path": note}}
    if cli == "claude":
        return {"Bash": {"command": cat, "description": "Show the note"}}
    if cli == "codex":
        return {"exec_command": {"cmd": cat}}
    return {"run_shell_command": {"command": cat, "description": "Show the note"}}


def run(cli, bin_dir, gateway_url, key, model, prompt, tmp_dir):
    """Run ``cli`` once in ``tmp_dir/work`` with ``tmp_dir/home`` as HOME."""
    home, work = os.path.join(tmp_dir, "home"), os.path.join(tmp_dir, "work")
    os.makedirs(home, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    argv, env = BUILDERS[cli](bin_dir, gateway_url, key, model, prompt, home)
    proc = subprocess.run(argv, env=env, cwd=work, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT)
    return Result(proc.returncode, proc.stdout, proc.stderr)
