"""``switchyard login claude|codex|gemini`` and ``switchyard import ...``:
sign a subscription account in (or take over the vendor CLI's own login)
and write its auth file into ``auth-dir``, where the gateway picks it up.

Only what the user must act on goes to stdout (the URL to open, the device
code); progress and the result go to stderr; tokens are never printed.
"""
import json
import os
import sys
import time
import webbrowser

from proxy import config as config_mod
from proxy.cli import options
from proxy.accounts import authfile
from proxy.accounts.authfile import resolve_dir
from proxy.errors import ConfigError
from proxy.login import callback, flow, imports, providers, records

CALLBACK_TIMEOUT_S = 300


def register(commands):
    login = commands.add_parser(
        "login", help="log a subscription account in (writes an auth file)",
        description="Log in to Claude, Codex (ChatGPT) or Gemini (Google) and write the "
                    "account's auth file into auth-dir.")
    login.add_argument("provider", choices=providers.TYPES)
    login.add_argument("--no-browser", action="store_true",
                       help="print the URL and read the pasted redirect URL (headless servers)")
    login.add_argument("--device", action="store_true", help="device-code login (codex)")
    login.add_argument("--callback-port", type=int, default=None, metavar="PORT",
                       help="loopback port of the callback (default: the provider's)")
    login.add_argument("--project", default="", help="Google Cloud project (gemini)")
    _common(login)
    login.set_defaults(func=run_login)

    take = commands.add_parser(
        "import", help="import a vendor CLI's existing login as an auth file",
        description="Convert ~/.codex/auth.json, ~/.claude/.credentials.json or "
                    "~/.gemini/oauth_creds.json into an auth file, or a Google Cloud "
                    "service-account key into a vertex one.")
    take.add_argument("provider", choices=imports.KINDS)
    take.add_argument("path", nargs="?", help="the CLI's file (default: its usual place); "
                                              "for vertex, the service-account key")
    take.add_argument("--prefix", default="",
                      help="vertex: the credential's model prefix (one path segment)")
    _common(take)
    take.set_defaults(func=run_import)


def _common(parser):
    parser.add_argument("--auth-dir", metavar="DIR",
                        help="where auth files go (default: the config's auth-dir, "
                             "~/.cli-proxy-api if present, else ~/.switchyard/auth)")
    options.add_config(parser)


def _settings(args):
    """The config file's settings ({} without a readable one)."""
    try:
        return config_mod.load(options.config_file(args), warn=False)
    except (ConfigError, OSError):
        return {}


def auth_dir(args):
    if args.auth_dir:
        return os.path.abspath(os.path.expanduser(args.auth_dir))
    return os.path.abspath(resolve_dir(_settings(args)))


def _say(text):
    print(text, file=sys.stderr, flush=True)


def _save(args, record):
    path = authfile.save(auth_dir(args), records.file_name(record), record)
    view = records.summary(record)
    plan = f", plan {view['plan']}" if view["plan"] else ""
    project = f", project {view['project_id']}" if view["project_id"] else ""
    _say(f"logged in {view['type']} account {view['email'] or '(email unknown)'}"
         f"{plan}{project}; wrote {path}")
    return 0


def _code_login(args, provider):
    if args.no_browser:
        session = flow.Session(provider, provider.redirect_uri(args.callback_port))
        print(f"Open this URL in a browser and sign in:\n{session.url}", flush=True)
        _say("Then paste the URL your browser was redirected to (or code#state):")
        code, state = flow.parse_redirect(sys.stdin.readline())
        return session, code, state
    port = provider.callback_port if args.callback_port is None else args.callback_port
    listener = callback.CallbackServer(provider.callback_path, port)
    try:
        session = flow.Session(provider, provider.redirect_uri(listener.port))
        print(f"Opening your browser; if it does not open, visit:\n{session.url}", flush=True)
        webbrowser.open(session.url)
        query = listener.wait(CALLBACK_TIMEOUT_S)
    finally:
        listener.close()
    if query is None:
        raise flow.LoginError("no callback within 5 minutes; retry with --no-browser "
                              "to paste the redirect URL")
    code, state = flow.parse_redirect("?" + query)
    return session, code, state


def run_login(args):
    provider = providers.get(args.provider, _settings(args).get("oauth"))
    try:
        if args.device:
            start = flow.device_start(provider)
            print(f"Open {start['verify_url']} and enter the code {start['user_code']}",
                  flush=True)
            tokens = flow.device_wait(provider, start)
        else:
            session, code, state = _code_login(args, provider)
            if state and state != session.state:   # a bare pasted code has none
                raise flow.LoginError("state mismatch: the redirect belongs to another login")
            tokens = flow.exchange(session, code, state)
        record = flow.to_record(provider, tokens, project_id=args.project)
    except (flow.LoginError, OSError) as exc:
        _say(f"switchyard: login failed: {exc}")
        return 1
    return _save(args, record)


def run_import(args):
    options = {"prefix": args.prefix} if args.provider == "vertex" else {}
    path = args.path or ""
    try:
        path = path or imports.default_path(args.provider)
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        record = imports.convert(args.provider, data, time.time(), **options)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        _say(f"switchyard: cannot import {os.path.basename(path) or args.provider}: {reason}")
        return 1
    return _save(args, record)
