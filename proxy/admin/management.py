"""The management API (``/v0/management/*``) and the usage report (``/v0/usage``).

Management is off (404) unless ``remote-management.secret-key`` is set.
The key comes as ``Authorization: Bearer`` or ``X-Management-Key`` and is
checked against the scrypt hash ``proxy.admin.reload.seal`` keeps.  Calls are
accepted from loopback peers only unless ``allow-remote`` (``proxy.access.peers``
decides, trusted proxies honoured).  An address that sends wrong keys
repeatedly is locked out for a while: each try is counted *before* its key
is checked, so concurrent guesses cannot outrun the limit.  Wrong keys sent
to ``/v0/usage`` (where client keys are expected) are counted apart from
wrong management keys, so clients with a stale key cannot lock the
operator out of management.

``/v0/usage`` answers a client key with that client's own usage, and the
management key with everyone's (optionally ``client=<key id>``).  A
dashboard login cookie (``proxy.dashboard.session``) stands in for either
key; writes made with it must carry its CSRF token.

Edits to keys and upstream entries are written back to the YAML file
(comments kept, see ``proxy.admin.config_writer``) and then applied, so the file
stays the single source of truth; listings read the file too, so the index
shown is the one DELETE takes.  Responses never show a raw upstream key.
"""
import re
import time
from collections import OrderedDict
from datetime import datetime, timezone

from flask import Blueprint, jsonify, request

from proxy.admin import api_keys, config_writer, reload
from proxy.access import auth, peers
from proxy.providers import credentials
from proxy.routing import quota_windows
from proxy import runtime, state
from proxy.telemetry import usage_store
from proxy.admin import auth_files_api
from proxy import config as config_mod
from proxy.accounts import view as accounts_view
from proxy.telemetry.access_log import mask_secrets
from proxy.dashboard import session as dashboard_session
from proxy.dashboard import usage_render
from proxy.errors import ApiError, ConfigError, Unauthorized  # noqa: F401  ApiError: the API's refusals


def error_response(exc):
    body = jsonify({"error": {"message": exc.message, "type": exc.error_type}})
    return body, exc.status, exc.headers


class Lockout:
    """Wrong-key counts per address, in bounded memory.

    ``limit`` failures within ``window`` seconds lock the address for
    ``lock_for`` seconds; past ``max_addresses`` the least recently failed
    address is forgotten.
    """

    def __init__(self, *, limit=5, window=600.0, lock_for=600.0, max_addresses=4096,
                 clock=time.monotonic):
        self.limit, self.window, self.lock_for = limit, window, lock_for
        self.max_addresses = max_addresses
        self._clock = clock
        self._entries = OrderedDict()      # address -> [failures, first failure, locked until]

    def locked_for(self, address):
        entry = self._entries.get(address)
        return max(0.0, entry[2] - self._clock()) if entry else 0.0

    def begin(self, address):
        """Count a try before its key is checked: seconds to wait if the
        address is locked (the try is refused), else 0 (go on, and call
        ``succeeded`` if the key is right).  No yield in between, so of
        any number of concurrent tries at most ``limit`` get checked."""
        wait = self.locked_for(address)
        if wait:
            return wait
        self.failed(address)
        return 0.0

    def failed(self, address):
        now = self._clock()
        entry = self._entries.pop(address, None)
        if entry is None or now - entry[1] > self.window:
            entry = [0, now, 0.0]
        entry[0] += 1
        if entry[0] >= self.limit:
            entry = [0, now, now + self.lock_for]
        self._entries[address] = entry
        while len(self._entries) > self.max_addresses:
            self._entries.popitem(last=False)

    def succeeded(self, address):
        self._entries.pop(address, None)


def _presented_management_key():
    header = request.headers.get("X-Management-Key")
    if header:
        return header.strip()
    return auth.bearer_token(request.headers)


def _management_enabled(config):
    return bool(config["remote-management"]["secret-key"])


def _management_session(config):
    """Whether a dashboard cookie logs this request in as the manager."""
    found = dashboard_session.from_request(request, config, ())
    if found is None:
        return False
    if not dashboard_session.csrf_ok(request, found):
        raise ApiError(403, "Missing or wrong X-CSRF-Token for this session.",
                       "permission_error")
    return True


def authorize_management(config, lockout, given=None):
    """Raise ApiError unless this request may use the management API
    (``given``: the key to check instead of the request's header)."""
    if not _management_enabled(config):
        raise ApiError(404, "Not found.", "not_found_error")
    address = peers.request_address(request.environ, config)
    if address is None or not (address.is_loopback or config["remote-management"]["allow-remote"]):
        raise ApiError(403, "Management is allowed from loopback only "
                       "(remote-management.allow-remote).", "permission_error")
    wait = lockout.locked_for(address)
    if wait:
        raise ApiError(429, "Too many wrong management keys from this address; try later.",
                       "rate_limit_error", {"Retry-After": str(int(wait) + 1)})
    given = _presented_management_key() if given is None else given
    if not given and _management_session(config):
        return
    if not given:
        raise ApiError(401, "Missing management key: send 'Authorization: Bearer <key>' "
                       "or 'X-Management-Key'.", "authentication_error")
    wait = lockout.begin(address)        # counted before the (slow, yielding) check
    if wait:
        raise ApiError(429, "Too many wrong management keys from this address; try later.",
                       "rate_limit_error", {"Retry-After": str(int(wait) + 1)})
    secret = reload.seal(config)["remote-management"]["secret-key"]
    if not secret.verify(given):
        raise ApiError(401, "Invalid management key.", "authentication_error")
    lockout.succeeded(address)


# -- usage report ------------------------------------------------------------

_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def parse_instant(value, *, end=False):
    """Unix seconds from unix seconds, an ISO date or an ISO datetime (UTC
    unless it says otherwise).  A bare date as ``end`` means the end of
    that day, so ``to=2025-01-31`` includes the 31st."""
    if _NUMBER.match(value):
        return float(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"Not a date, datetime or unix time: {value!r}.",
                       "invalid_request_error") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    bare_date = len(value) == 10
    return moment.timestamp() + (86400 if end and bare_date else 0)


def usage_report(client_key_id=None, *, for_client=False):
    """The JSON answer of a usage query, from the request's arguments
    (``for_client``: a client asks, so credentials stay ids)."""
    store = usage_store.current()
    if store is None:
        raise ApiError(404, "Usage recording is disabled (usage.enabled).", "not_found_error")
    args = request.args
    since = parse_instant(args["from"]) if args.get("from") else 0.0
    until = parse_instant(args["to"], end=True) if args.get("to") else time.time() + 1
    group_by = _choice("group_by", usage_store.GROUPS, "model")
    bucket = _choice("bucket", usage_store.BUCKETS, None)
    store.flush()                      # a report includes what just finished
    rows = store.aggregate(since, until, group_by, client_key_id=client_key_id)
    labels = {} if for_client and group_by == "credential" else _labels(group_by)
    report = {"from": since, "from_iso": _iso(since), "to": until, "to_iso": _iso(until),
              "group_by": group_by, "client": client_key_id,
              "rows": _labelled(rows, labels), "totals": usage_store.totals(rows)}
    if bucket:
        series = store.aggregate(since, until, group_by, client_key_id=client_key_id,
                                 bucket=bucket)
        for row in _labelled(series, labels):
            row["iso"] = _iso(row["ts"])
        report.update(bucket=bucket, series=series)
    return report


def usage_answer(client_key_id=None, *, for_client=False):
    """``usage_report`` as JSON, or as CSV / an SVG chart of ``metric``
    (``format=csv|svg``)."""
    fmt = _choice("format", usage_render.FORMATS, "json")
    metric = _choice("metric", usage_render.METRICS, "tokens")
    if fmt == "svg" and not request.args.get("bucket"):
        raise ApiError(400, "format=svg draws a time series: add bucket=hour or bucket=day.",
                       "invalid_request_error")
    report = usage_report(client_key_id, for_client=for_client)
    return report if fmt == "json" else usage_render.render(report, fmt, metric)


def _choice(name, allowed, default):
    value = request.args.get(name) or default
    if value is not None and value not in allowed:
        raise ApiError(400, f"{name} must be one of {', '.join(allowed)}.",
                       "invalid_request_error")
    return value


def _iso(epoch):
    try:
        return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):      # a `to` far beyond year 9999
        return None


def _labels(group_by):
    """Readable names of the group keys that are opaque ids."""
    current = runtime.current()
    if group_by == "client":
        return {key.key_id: key.label for key in current.client_keys if key.label}
    if group_by == "credential":
        return {cred.id: cred.label or f"{cred.kind} {cred.key_hint}"
                for cred in current.pool.credentials}
    return {}


def _labelled(rows, labels):
    """``rows`` with a ``label`` each: the id's readable name, else the key
    (``(none)`` for requests without one, e.g. no actor)."""
    for row in rows:
        row["label"] = labels.get(row["key"]) or row["key"] or "(none)"
    return rows


def _client_key(keys):
    """Which of ``keys`` this request presents, or None (not an error here)."""
    if not keys or not auth.presented_key(request.headers, request.args):
        return None
    try:
        return auth.authenticate(keys, request.headers, request.args)
    except Unauthorized:
        return None


def _client_session(config, client_keys):
    """The client key a dashboard cookie logs in with, or None."""
    found = dashboard_session.from_request(request, config, client_keys)
    return found.client_key if found is not None and found.role == "client" else None


def _find(views, ref, id_field):
    """Index of the entry ``ref`` names: its index, or one of its ids."""
    try:
        return api_keys.index_of(views, ref, id_field)
    except api_keys.NoSuchKey as exc:
        raise ApiError(404, str(exc), "not_found_error") from None


# -- upstream entries --------------------------------------------------------

def _entry_credentials(section, entries):
    """The credentials each entry makes, with the ids the pool gives them
    (counted across the section); none for an invalid entry (an edit making
    one is rejected by validation before anything is written)."""
    valid = []
    for entry in entries:
        try:
            config_mod.build({section: [entry], "echo": False})
            valid.append(entry)
        except (ConfigError, TypeError, ValueError, AttributeError):
            valid.append(None)
    built = iter(credentials.by_entry(
        config_mod.build({section: [e for e in valid if e is not None], "echo": False}), section))
    return [next(built) if entry is not None else [] for entry in valid]


def _upstream_view(section, index, entry, creds):
    view = mask_secrets(dict(entry))
    if isinstance(view.get("api-key-entries"), list):
        view["api-key-entries"] = [credentials.mask(e) if isinstance(e, str) else e
                                   for e in view["api-key-entries"]]
        for e in view["api-key-entries"]:
            if isinstance(e, dict) and e.get("proxy-url"):
                e["proxy-url"] = credentials.mask_url(str(e["proxy-url"]))
    if view.get("proxy-url"):
        view["proxy-url"] = credentials.mask_url(str(view["proxy-url"]))
    view.update(index=index, credential_ids=[cred.id for cred in creds])
    return view


def upstream_views(doc, section):
    indexed = [(i, e) for i, e in enumerate(doc.get(section) or []) if isinstance(e, dict)]
    creds = _entry_credentials(section, [e for _, e in indexed])
    return [_upstream_view(section, i, e, c) for (i, e), c in zip(indexed, creds)]


def _duplicates(section, entries, entry):
    """Whether ``entry`` repeats a key at a base URL that ``entries`` already have."""
    *existing, new = _entry_credentials(section, [*entries, entry])
    taken = {(c.base_url, c.api_key) for creds in existing for c in creds}
    return any((c.base_url, c.api_key) in taken for c in new)


def _check_new_upstream(section, entry):
    if not isinstance(entry, dict):
        raise ApiError(400, "The body must be a JSON object (one entry).", "invalid_request_error")
    if section == "openai-compatibility":
        missing = [f for f in ("name", "base-url", "api-key-entries") if not entry.get(f)]
    else:
        missing = [] if entry.get("api-key") else ["api-key"]
    if missing:
        raise ApiError(400, f"Missing {', '.join(missing)}.", "invalid_request_error")


def _section(name):
    if name not in config_mod.ENTRY_FIELDS:
        raise ApiError(404, f"No upstream section {name!r}; one of "
                       f"{', '.join(config_mod.ENTRY_FIELDS)}.", "not_found_error")
    return name


# -- persisting --------------------------------------------------------------

def _edit(change):
    """Apply ``change`` to the config file, then make the file live."""
    path = config_mod.config_path()
    try:
        _, value = config_writer.update(path, change)
        reload.reload_now(path)
    except ConfigError as exc:
        raise ApiError(400, str(exc), "invalid_request_error") from None
    return value


def _json_body(*, optional=False):
    body = request.get_json(silent=True)
    if body is None and optional:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "Expected a JSON object body.", "invalid_request_error")
    return body


# -- routes ------------------------------------------------------------------

def create_blueprints(lockout, usage_lockout=None):
    """The management and usage blueprints.  ``lockout`` counts wrong
    management keys; ``usage_lockout`` wrong keys sent to ``/v0/usage``,
    mostly clients' (a management key checked there counts there too)."""
    usage_lockout = usage_lockout or Lockout()
    mgmt = Blueprint("management", __name__, url_prefix="/v0/management")
    usage = Blueprint("usage_report", __name__)
    mgmt.register_error_handler(ApiError, error_response)
    usage.register_error_handler(ApiError, error_response)

    @mgmt.before_request
    def _guard():
        if request.endpoint == auth_files_api.CALLBACK_ENDPOINT:
            return                  # a browser's login callback: its state authenticates it
        authorize_management(runtime.current().config, lockout)

    @usage.get("/v0/usage")
    def client_usage():
        current = runtime.current()
        config = current.config
        key = _client_key(current.client_keys) or _client_session(config, current.client_keys)
        if key is not None:
            return usage_answer(key.key_id, for_client=True)
        if not _management_enabled(config):
            raise ApiError(401, "A valid client API key is required.", "authentication_error")
        authorize_management(config, usage_lockout)
        return usage_answer(request.args.get("client") or None)

    _pool_routes(mgmt)
    _key_routes(mgmt)
    _upstream_routes(mgmt)
    auth_files_api.register(mgmt, ApiError)

    @mgmt.get("/usage")
    def management_usage():
        return usage_answer(request.args.get("client") or None)

    @mgmt.post("/reload")
    def reload_config():
        try:
            status = reload.reload_now()
        except ConfigError as exc:
            raise ApiError(400, str(exc), "invalid_request_error") from None
        return {"status": status}

    return mgmt, usage


def _pool_routes(bp):
    def credential_state(cred_id):
        for cred in runtime.current().pool.snapshot():
            if cred["id"] == cred_id:
                return cred
        raise ApiError(404, f"No credential {cred_id!r}.", "not_found_error")

    @bp.get("/pool")
    def pool_state():
        current = runtime.current()
        return {"credentials": _with_activity(accounts_view.pool(current)),
                "accounts": accounts_view.files(current), "state": state.current().describe()}

    @bp.post("/credentials/<cred_id>/reset-cooldown")
    def reset_cooldown(cred_id):
        credential_state(cred_id)
        runtime.current().pool.reset_cooldown(cred_id)
        return {"credential": credential_state(cred_id)}

    @bp.post("/credentials/<cred_id>/<any(disable, enable):action>")
    def set_disabled(cred_id, action):
        credential_state(cred_id)
        runtime.current().pool.set_disabled(cred_id, action == "disable")
        return {"credential": credential_state(cred_id)}


ACTIVITY_WINDOWS = {"5m": 300, "24h": 86400}


def _with_activity(snapshot):
    """Each credential's upstream attempts and errors over ``ACTIVITY_WINDOWS``
    (from the usage store; None when usage is off), and the rate-limit
    windows its provider reported last (``quota``; None when it reports none)."""
    store = usage_store.current()
    if store is not None:
        store.flush()
    now = time.time()
    windows = {name: store.credential_activity(now - seconds, now + 1) if store else None
               for name, seconds in ACTIVITY_WINDOWS.items()}
    for cred in snapshot:
        cred["activity"] = {name: None if counts is None else
                            counts.get(cred["id"], {"requests": 0, "errors": 0})
                            for name, counts in windows.items()}
        cred["quota"] = quota_windows.report(cred["id"])
    return snapshot


def _key_routes(bp):
    @bp.get("/api-keys")
    def list_keys():
        _, doc = config_writer.load(config_mod.config_path())
        return {"api-keys": api_keys.views(doc)}

    @bp.post("/api-keys")
    def add_key():
        body = _json_body(optional=True)
        generated = not body.get("key")
        key = api_keys.generate() if generated else str(body["key"])
        label = str(body.get("label") or "")

        def change(doc):
            try:
                return api_keys.add(doc, key, label)
            except api_keys.KeyExists as exc:
                raise ApiError(409, str(exc), "conflict_error") from None

        view = _edit(change)
        if generated:
            view["key"] = key      # shown once: the only way the operator learns it
        return view, 201

    @bp.delete("/api-keys/<ref>")
    def delete_key(ref):
        def change(doc):
            try:
                return api_keys.remove(doc, ref)
            except api_keys.NoSuchKey as exc:
                raise ApiError(404, str(exc), "not_found_error") from None

        return {"deleted": _edit(change)}


def _upstream_routes(bp):
    @bp.get("/upstreams")
    def list_upstreams():
        _, doc = config_writer.load(config_mod.config_path())
        return {section: upstream_views(doc, section) for section in config_mod.ENTRY_FIELDS}

    @bp.post("/upstreams/<name>")
    def add_upstream(name):
        section = _section(name)
        entry = _json_body()
        _check_new_upstream(section, entry)

        def change(doc):
            entries = doc.setdefault(section, [])
            if _duplicates(section, entries, entry):
                raise ApiError(409, "An entry with this key and base URL exists.",
                               "conflict_error")
            entries.append(entry)
            return upstream_views(doc, section)[-1]

        return _edit(change), 201

    @bp.delete("/upstreams/<name>/<ref>")
    def delete_upstream(name, ref):
        section = _section(name)

        def change(doc):
            views = upstream_views(doc, section)
            index = _find(views, ref, "credential_ids")
            doc[section].pop(index)
            return next(view for view in views if view["index"] == index)

        return {"deleted": _edit(change)}


def register(app, *, lockout=None):
    """Serve ``/v0/management/*`` and ``/v0/usage`` from ``app``."""
    lockout = lockout or state.current().lockout(Lockout())
    app.extensions["switchyard.lockout"] = lockout     # the dashboard's login counts too
    mgmt, usage = create_blueprints(lockout, state.current().lockout(Lockout(), kind="usage"))
    app.register_blueprint(mgmt)
    app.register_blueprint(usage)
