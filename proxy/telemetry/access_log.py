"""One structured access-log line per client request.

Logger ``switchyard.access``; ``log-format: text`` gives ``key=value``
pairs (logfmt), ``json`` one JSON object per line.  Bodies appear only with
``debug: true``, and every value under a credential-like name is masked
with ``proxy.providers.credentials.mask`` first: a debug log must never hand out a
working key.
"""
import json
import logging
import re

from proxy.logs import LineWriter
from proxy.providers.credentials import mask
from proxy.telemetry.usage_store import REQUEST_FIELDS

log = logging.getLogger("switchyard.access")
_line = LineWriter(log)         # log.info, minus logging's per-line overhead where it can

BODY_LOG_LIMIT = 16 * 1024

# Field and header names whose values are secrets (compared lower-cased,
# with "-" read as "_").
SECRET_NAMES = frozenset({
    "authorization", "proxy_authorization", "api_key", "apikey", "x_api_key",
    "x_goog_api_key", "key", "secret", "secret_key", "client_secret", "password",
    "token", "access_token", "refresh_token", "x_management_key", "cookie",
})

# The order fields appear in; anything else follows alphabetically.
_ORDER = ("request_id", "status", "dialect", "action", "model", "upstream_model",
          "provider", "credential_id", "client_key_id", "client_label", "actor", "stream",
          "latency_ms", "ttft_ms", "attempts", "input_tokens", "output_tokens", "cached_tokens",
          "cache_creation_tokens", "reasoning_tokens", "tool_calls", "error_class")

_ORDER_SET = frozenset(_ORDER)

_BARE = re.compile(r"^[A-Za-z0-9_.:/@+\-]+$")


def is_secret_name(name):
    return name.lower().replace("-", "_") in SECRET_NAMES


def mask_secrets(value):
    """A copy of a JSON-like ``value`` with every secret-named string masked."""
    if isinstance(value, dict):
        return {k: mask(v) if isinstance(v, str) and is_secret_name(str(k)) else mask_secrets(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def _logfmt_value(value):
    kind = type(value)
    if kind is str:
        # Quote anything a log parser could misread (spaces, quotes, newlines
        # smuggled in through a client-chosen actor or model name).
        return value if _BARE.match(value) else json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return str(value)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                            separators=(",", ":"), default=str)
    return text if _BARE.match(text) else json.dumps(text, ensure_ascii=False)


_KEY_ORDERS = {}         # a line's field names as given -> as printed; the few
_KEY_ORDERS_MAX = 64     # sets of names are the code's (observer, rejections, debug)


def _ordered_keys(fields):
    given = tuple(fields)
    keys = _KEY_ORDERS.get(given)
    if keys is None:
        keys = [k for k in _ORDER if k in fields]
        if len(keys) < len(fields):
            keys += sorted(k for k in fields if k not in _ORDER_SET)
        if len(_KEY_ORDERS) >= _KEY_ORDERS_MAX:
            _KEY_ORDERS.clear()
        _KEY_ORDERS[given] = keys
    return keys


def format_line(fields, log_format):
    """Render ``fields`` (a dict) as one log line."""
    keys = _ordered_keys(fields)
    if log_format == "json":
        return json.dumps({k: fields[k] for k in keys}, ensure_ascii=False,
                          separators=(",", ":"), default=str)
    # Text: a field with no value (no client key, no first token) is left out
    # rather than shown as ``key=``; JSON keeps every key for its parsers.
    parts = []
    for k in keys:
        value = fields[k]
        kind = type(value)
        # most values of a line (numbers, ids, model names) print as they are
        if kind is int or kind is float:
            parts.append(f"{k}={value}")
        elif kind is str:
            if value:
                parts.append(f"{k}={value}" if _bare(value) else f"{k}={_logfmt_value(value)}")
        elif value is not None and value != "":
            parts.append(f"{k}={_logfmt_value(value)}")
    return " ".join(parts)


_BARE_SEEN = {}          # string -> whether it prints unquoted; the values of a
_BARE_SEEN_MAX = 4096    # line repeat (dialects, models, credential ids)


def _bare(text):
    bare = _BARE_SEEN.get(text)
    if bare is None:
        bare = _BARE.match(text) is not None
        if len(text) <= 64:
            if len(_BARE_SEEN) >= _BARE_SEEN_MAX:
                _BARE_SEEN.clear()
            _BARE_SEEN[text] = bare
    return bare


def _truncate(text):
    return text if len(text) <= BODY_LOG_LIMIT else text[:BODY_LOG_LIMIT] + "…[truncated]"


def _body_text(body):
    """A body (parsed JSON, or bytes/str that may be JSON) as masked text."""
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return _truncate(body)
    return _truncate(json.dumps(mask_secrets(body), ensure_ascii=False, default=str))


def debug_fields(headers, query, request_body, response_body):
    """The extra fields ``debug: true`` adds, secrets masked (Gemini clients
    may send their key as ``?key=``)."""
    fields = {"request_headers": mask_secrets(dict(headers or {})),
              "query": mask_secrets(dict(query or {})),
              "request_body": _body_text(request_body)}
    if response_body is not None:
        fields["response_body"] = _body_text(response_body)
    return fields


def write(fields, config):
    """Log one request's ``fields`` as ``config`` asks."""
    if log.isEnabledFor(logging.INFO):
        _line.info(format_line(fields, config["log-format"]))


def write_request(row, client_label, tool_calls, config, extra=None):
    """Log a relayed request's line: ``row`` is its usage row (a tuple in
    ``usage_store.REQUEST_FIELDS`` order, as the request observer makes it;
    its ``ts`` and ``prompt`` are not logged), ``tool_calls`` how many it
    made, ``extra`` the ``debug`` fields.  The line is ``format_line``'s,
    character for character; a text line without extras is built from the
    row as it stands (``request_text``)."""
    if not log.isEnabledFor(logging.INFO):
        return
    if extra is None and config["log-format"] == "text":
        _line.info(request_text(row, client_label, tool_calls))
        return
    fields = dict(zip(REQUEST_FIELDS, row))
    del fields["ts"], fields["prompt"]
    fields["client_label"] = client_label
    fields["tool_calls"] = tool_calls
    if extra:
        fields.update(extra)
    _line.info(format_line(fields, config["log-format"]))


# The fields of a request line from ``dialect`` to ``stream`` (ten in a row
# in ``_ORDER``) repeat from request to request -- the same few models,
# credentials and clients -- so their text is kept per combination.  In a
# usage row they are strings or None and (``stream``) a bool, so two equal
# combinations print alike (a 1 and a True would not).
_MIDDLES = {}
_MIDDLES_MAX = 256
_MIDDLE_KEYS = ("dialect", "action", "model", "upstream_model", "provider", "credential_id",
                "client_key_id", "client_label", "actor", "stream")


def _middle(key):
    text = format_line(dict(zip(_MIDDLE_KEYS, key)), "text")
    if len(_MIDDLES) >= _MIDDLES_MAX:
        _MIDDLES.clear()
    _MIDDLES[key] = text
    return text


def _append(parts, key, value):
    """``key=value`` onto ``parts`` as ``format_line`` prints it, if it prints."""
    kind = type(value)
    if kind is int or kind is float:
        parts.append(f"{key}={value}")
    elif kind is str:
        if value:
            parts.append(f"{key}={value}" if _BARE.match(value) else
                         f"{key}={_logfmt_value(value)}")
    elif value is not None:
        parts.append(f"{key}={_logfmt_value(value)}")


def request_text(row, client_label, tool_calls):
    """``format_line(fields, "text")`` of a relayed request's fields (see
    ``write_request``), without making the fields' dict or walking its keys."""
    (request_id, _, client_key_id, actor, dialect, action, provider, credential_id, model,
     upstream_model, stream, status, error_class, latency_ms, ttft_ms, attempts, input_tokens,
     output_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, _, _) = row
    key = (dialect, action, model, upstream_model, provider, credential_id, client_key_id,
           client_label, actor, stream)
    middle = _MIDDLES.get(key)
    if middle is None:
        middle = _middle(key)
    if type(request_id) is str and request_id.isascii() and request_id.isalnum() \
            and type(status) is int and middle and type(latency_ms) is float \
            and (ttft_ms is None or type(ttft_ms) is float) and type(attempts) is int \
            and type(input_tokens) is int and type(output_tokens) is int \
            and type(cached_tokens) is int and type(cache_creation_tokens) is int \
            and type(reasoning_tokens) is int and type(tool_calls) is int:
        # the usual line: an id of letters and digits, every number there
        # but perhaps the first byte's time (a whole answer has none)
        line = (f"request_id={request_id} status={status} {middle} latency_ms={latency_ms} "
                f"{'' if ttft_ms is None else f'ttft_ms={ttft_ms} '}attempts={attempts} "
                f"input_tokens={input_tokens} output_tokens={output_tokens} "
                f"cached_tokens={cached_tokens} cache_creation_tokens={cache_creation_tokens} "
                f"reasoning_tokens={reasoning_tokens} tool_calls={tool_calls}")
        if error_class is None:
            return line
        parts = [line]
    else:
        parts = []
        _append(parts, "request_id", request_id)
        _append(parts, "status", status)
        if middle:
            parts.append(middle)
        _append(parts, "latency_ms", latency_ms)
        _append(parts, "ttft_ms", ttft_ms)
        _append(parts, "attempts", attempts)
        _append(parts, "input_tokens", input_tokens)
        _append(parts, "output_tokens", output_tokens)
        _append(parts, "cached_tokens", cached_tokens)
        _append(parts, "cache_creation_tokens", cache_creation_tokens)
        _append(parts, "reasoning_tokens", reasoning_tokens)
        _append(parts, "tool_calls", tool_calls)
    _append(parts, "error_class", error_class)
    return " ".join(parts)
