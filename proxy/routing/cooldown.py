"""Outcome classification: what one upstream attempt's failure means.

After every failed attempt the relay must know: hand the error to the client
or try another credential, and how long the failed credential should rest.
``classify_status`` / ``classify_exception`` answer with a ``Decision``; the
pool applies it (``CredentialPool.report_failure``).  Pure functions, no I/O.
"""
import re
import time
from dataclasses import dataclass

import orjson
from gevent import GreenletExit

from proxy.errors import UpstreamAnswerTooLarge, UpstreamStatusError
from proxy.routing.ratelimit_headers import parse_duration, reset_delay

# Decision kinds (also the ``outcome`` label of metrics and logs).
AUTH = "auth"
NOT_FOUND = "not_found"
RATE_LIMIT = "rate_limit"
TRANSIENT = "transient"
REQUEST_FAULT = "request_fault"
CANCELLED = "cancelled"

FLOOR_SECONDS = 1.0   # no cooldown is shorter: never hammer a credential that just failed
BACKOFF_BASE = 1.0    # first cooldown after a 429 that names no reset time; doubles per failure
# First cooldown after a transient failure (5xx, connection error, redirect):
# one blip rests a credential briefly; each failed probe after it doubles
# the rest, up to transient-error-cooldown-seconds.
TRANSIENT_FIRST_SECONDS = 2.0

_MESSAGE_LIMIT = 4000  # error text inspected; enough for any provider's message


@dataclass(frozen=True)
class Decision:
    """What to do after a failed attempt.

    ``retry``: try another credential (False: return the error to the client).
    ``scope``: ``"credential"`` or ``"model"`` -- what the cooldown covers.
    ``cooldown``: seconds, or None for no cooldown.
    ``next_round``: the failure allows further rounds over the same credentials.
    ``kind``: short label for logs and metrics (auth, not_found, rate_limit,
    transient, request_fault, cancelled).
    ``exact``: ``cooldown`` is the provider's own reset time, used as is; other
    cooldowns double when the credential fails again after recovering.
    ``status``: the upstream HTTP status, None for connection failures.
    ``ceiling``: the longest the cooldown may grow to by doubling (None:
    ``max-cooldown-seconds``).
    """
    retry: bool
    kind: str
    scope: str = "credential"
    cooldown: float | None = None
    next_round: bool = False
    exact: bool = False
    status: int | None = None
    ceiling: float | None = None


CANCELLED_DECISION = Decision(False, CANCELLED)


def classify_status(status, headers, body, config, *, now=None):
    """Decision for an upstream non-2xx answer.

    ``body`` is the raw error body (bytes, str or parsed JSON); ``now`` the
    wall-clock time (epoch seconds) that reset dates are measured from.
    """
    error = _ErrorBody.parse(body)
    if 300 <= status < 400:
        # An API endpoint never redirects: a captive portal, a moved base
        # URL or a proxy's login page is in the way of this credential.
        return _transient(status, config)
    if error.bad_key() or error.credential_fault():
        return _auth(status, config)
    if error.context_overflow():
        return _request_fault(status)
    if status in (401, 402, 403):
        return _auth(status, config)
    if status == 404:
        return _not_found(status, config)
    if status == 429:
        return _rate_limit(status, headers, error, config, time.time() if now is None else now)
    if error.model_unserved():
        return _not_found(status, config)
    if (status == 408 or status >= 500) and not error.invalid_request():
        return _transient(status, config)
    # 400, 409, 413, 422 and every other 4xx: the request itself is at fault,
    # and another credential would answer the same.
    return _request_fault(status)


def classify_exception(exc, config):
    """Decision for an exception raised by an attempt.

    Client cancellation (the green thread killed, the response generator
    closed) never cools anything; a status error is classified by its status;
    anything else is a connection error, timeout or broken stream.
    """
    if isinstance(exc, (GreenletExit, GeneratorExit)):
        return CANCELLED_DECISION
    if isinstance(exc, UpstreamStatusError):
        return classify_status(exc.status, exc.headers, exc.body, config)
    if isinstance(exc, UpstreamAnswerTooLarge):
        return Decision(False, REQUEST_FAULT)   # another credential would answer as much
    return _transient(None, config)


def request_fault(decision):
    """``decision`` recast as the request's fault: nothing cools."""
    return Decision(False, REQUEST_FAULT, status=decision.status)


def signature(exc, decision):
    """What makes two failures "the same", for a failure that may follow the
    request rather than the credential (an upstream 5xx some input
    triggers), else None.  Status, error type/code and the message with its
    numbers and ids blanked (they differ per call).
    """
    if decision.kind != TRANSIENT or not isinstance(exc, UpstreamStatusError) \
            or exc.status < 500:
        return None
    error = _ErrorBody.parse(exc.body)
    return (exc.status, error.type, error.code, error.status,
            _VARYING.sub("#", error.message)[:200])


# Request ids, hex digests, counts: the parts of an error message that change per call.
_VARYING = re.compile(r"[0-9a-f_-]*\d[0-9a-z_-]*")


def _auth(status, config):
    # Only 403 allows another round over the credentials (``request-retry``):
    # a refusal can be temporary, a bad key (401) or an unpaid account (402) is not.
    return Decision(True, AUTH, "credential", config["auth-error-cooldown-seconds"],
                    next_round=status == 403, status=status)


def _not_found(status, config):
    return Decision(True, NOT_FOUND, "model", config["model-not-found-cooldown-seconds"],
                    status=status)


def _rate_limit(status, headers, error, config, now):
    delay = reset_delay(headers, now)
    if delay is None:
        delay = error.retry_delay()
    if delay is None:
        return Decision(True, RATE_LIMIT, "model", BACKOFF_BASE, next_round=True, status=status)
    # A bogus or huge reset must never strand a credential: floor and cap it.
    seconds = min(max(delay, FLOOR_SECONDS), config["max-cooldown-seconds"])
    return Decision(True, RATE_LIMIT, "model", seconds, next_round=True, exact=True,
                    status=status)


def _transient(status, config):
    ceiling = config["transient-error-cooldown-seconds"]
    if ceiling < 0:
        return Decision(True, TRANSIENT, "credential", None, next_round=True, status=status)
    return Decision(True, TRANSIENT, "credential", min(TRANSIENT_FIRST_SECONDS, ceiling),
                    next_round=True, status=status, ceiling=ceiling)


def _request_fault(status):
    return Decision(False, REQUEST_FAULT, status=status)


# OpenAI: code "context_length_exceeded" / "string_above_max_length".
_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
# Anthropic: "prompt is too long: 215000 tokens > 200000 maximum"; OpenAI
# "maximum context length is ..."; Gemini "The input token count (N) exceeds
# the maximum number of tokens allowed (M)".
_CONTEXT_MESSAGE = re.compile(
    r"context[ _-]?(length|window|limit)|prompt is too long|input token count .*exceeds")
# OpenAI / Anthropic error type, Gemini (google.rpc) status.
_INVALID_REQUEST = frozenset({"invalid_request_error", "invalid_argument"})
# Gemini answers a bad key with 400 INVALID_ARGUMENT, naming the reason in a
# google.rpc.ErrorInfo detail (Gemini API docs, "Troubleshooting"); the
# other reasons say the key's project cannot use the API at all.
_BAD_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED",
                              "SERVICE_DISABLED", "CONSUMER_SUSPENDED", "BILLING_DISABLED",
                              "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
# Failures of the account behind a credential, whatever the HTTP status
# (Anthropic sends some as 400 invalid_request_error, OpenAI as 429): another
# credential may well work, this one will not until someone pays or fixes it.
# OpenAI error types/codes (API reference, "Error codes"), Anthropic types
# ("Errors": 402 billing_error, 403 permission_error), google.rpc statuses.
_CREDENTIAL_TYPES = frozenset({"insufficient_quota", "billing_error", "permission_error",
                               "authentication_error", "permission_denied",
                               "unauthenticated"})
_CREDENTIAL_CODES = frozenset({
    "insufficient_quota", "credit_balance_exhausted", "organization_spend_limit_exceeded",
    "project_spend_limit_exceeded", "organization_usage_limit_exceeded",
    "billing_hard_limit_reached", "billing_not_active", "account_deactivated",
    "organization_deactivated", "invalid_api_key", "invalid_organization",
    "unsupported_country_region_territory", "permission_denied", "unauthenticated"})
# Anthropic: "Your credit balance is too low to access the Anthropic API",
# "You have reached your specified API usage limits", "This organization has
# been disabled."; OpenAI "You have insufficient permissions for this
# operation"; Gemini (400 FAILED_PRECONDITION) "Gemini API free tier is not
# available in your country. Please enable billing ...".
_CREDENTIAL_MESSAGE = re.compile(
    r"credit balance is too low|specified api usage limits|purchase credits"
    r"|(organization|account|workspace|api key) (has been |is )?(disabled|deactivated|suspended)"
    r"|insufficient permissions|enable billing|billing (is )?(not active|disabled)"
    r"|api key not valid|free tier is not available")
# Deliberately narrow: a request fault mistaken for "model not served" would
# cool every credential for that model for hours.  Matches e.g. OpenAI's
# "The model `x` does not exist" and Codex's "The 'x' model is not supported".
_MODEL_UNSERVED = re.compile(
    r"\bmodel[ _](not[ _]found|not[ _]supported|does[ _]not[ _]exist)"
    r"|\b(unknown|unsupported|no such)[ _]model\b"
    r"|\bmodel:? [`'\"]?[\w.:/-]+[`'\"]? (is not found|is not supported|does not exist)"
    r"|[`'\"][\w.:/-]+[`'\"] model (is not supported|does not exist)")


@dataclass(frozen=True)
class _ErrorBody:
    """The fields of an upstream error body that classification reads.

    Shapes: OpenAI ``{"error": {"type", "code", "message"}}``; Anthropic
    ``{"type": "error", "error": {"type", "message"}}``; Gemini ``{"error":
    {"code", "status", "message", "details"}}``, wrapped in a one-element list
    by the streaming endpoint; OpenAI-compatible servers sometimes put
    ``message`` / ``detail`` at the top level.  Text fields are lower-cased.
    """
    type: str = ""
    code: str = ""
    status: str = ""
    message: str = ""
    details: tuple = ()

    @classmethod
    def parse(cls, body):
        data = _json(body)
        if isinstance(data, list) and data:
            data = data[0]
        if isinstance(data, str):
            return cls(message=data[:_MESSAGE_LIMIT].lower())
        if not isinstance(data, dict):
            return cls()
        error = data.get("error")
        if isinstance(error, str):
            error = {"message": error}
        if not isinstance(error, dict):
            error = data
        return cls(type=_text(error.get("type")), code=_text(error.get("code")),
                   status=_text(error.get("status")),
                   message=_text(error.get("message") or data.get("detail")),
                   details=tuple(d for d in error.get("details") or () if isinstance(d, dict)))

    def bad_key(self):
        return any(d.get("reason") in _BAD_KEY_REASONS for d in self.details)

    def credential_fault(self):
        return (bool({self.type, self.status} & _CREDENTIAL_TYPES)
                or self.code in _CREDENTIAL_CODES
                or bool(_CREDENTIAL_MESSAGE.search(self.message)))

    def context_overflow(self):
        return self.code in _CONTEXT_CODES or bool(_CONTEXT_MESSAGE.search(self.message))

    def invalid_request(self):
        return bool({self.type, self.code, self.status} & _INVALID_REQUEST)

    def model_unserved(self):
        return self.code == "model_not_found" or bool(_MODEL_UNSERVED.search(self.message))

    def retry_delay(self):
        """Seconds from a google.rpc.RetryInfo detail (Gemini 429s), or None.

        Its ``retryDelay`` is a protobuf Duration: a string like ``"37s"`` in
        proto3 JSON, or ``{"seconds", "nanos"}`` from some encoders.
        """
        for detail in self.details:
            if not str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
                continue
            return _proto_duration(detail.get("retryDelay"))
        # Code Assist (Gemini CLI accounts) may say it only in its ErrorInfo:
        # metadata.quotaResetDelay, a duration string such as "373.8ms"
        for detail in self.details:
            if str(detail.get("@type", "")).endswith("google.rpc.ErrorInfo") and \
                    isinstance(detail.get("metadata"), dict):
                delay = detail["metadata"].get("quotaResetDelay")
                if isinstance(delay, str):
                    return parse_duration(delay)
        return None


def google_retry_delay(body):
    """Seconds a Google error body's RetryInfo asks to wait, or None."""
    return _ErrorBody.parse(body).retry_delay()


def _proto_duration(delay):
    if isinstance(delay, str):
        return parse_duration(delay)
    if not isinstance(delay, dict):
        return None
    try:
        return float(delay.get("seconds") or 0) + float(delay.get("nanos") or 0) / 1e9
    except (TypeError, ValueError):
        return None


def _json(body):
    if isinstance(body, (dict, list)):
        return body
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        # not JSON (a proxy's HTML page, plain text): its text is the message
        return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)


def _text(value):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    return str(value)[:_MESSAGE_LIMIT].lower()
