"""The Code Assist project a Google account serves through, found or
provisioned the way Gemini CLI's ``setupUser`` does it
(``packages/core/src/code_assist/setup.ts``), at login and, for a file
that has none, before the account serves (``gemini_project``):

1. ``POST /v1internal:loadCodeAssist`` ``{cloudaicompanionProject, metadata}``.
   An account with a ``currentTier`` is set up: its ``cloudaicompanionProject``
   (else the project the user named) is the answer.
2. Otherwise it is onboarded to the tier ``allowedTiers`` marks ``isDefault``
   (else ``legacy-tier``): ``POST /v1internal:onboardUser`` ``{tierId,
   metadata[, cloudaicompanionProject]}`` -- the free tier uses a project
   Google manages, so none is sent for it (sending one fails the
   precondition).  The answer is a long-running operation: while not
   ``done``, ``GET /v1internal/<operation name>`` every 5 s (an answer
   without a name is asked again with the same ``onboardUser``, as Gemini
   CLI releases before operations did).  Its
   ``response.cloudaicompanionProject.id`` is the project.

No project in the end (a Workspace account without one named) is a
``SetupError`` saying what to do, with the ineligibility reasons Google gave.
"""
import time

from proxy.accounts import token_client
from proxy.errors import SetupError

METADATA = {"ideType": "IDE_UNSPECIFIED", "platform": "PLATFORM_UNSPECIFIED",
            "pluginType": "GEMINI"}
FREE_TIER, LEGACY_TIER, STANDARD_TIER = "free-tier", "legacy-tier", "standard-tier"
POLL_SECONDS = 5.0               # Gemini CLI's pause between operation polls
POLL_LIMIT_SECONDS = 300.0
_sleep = time.sleep              # tests stand in for the pause


def project_for(base_url, access_token, project=""):
    """The account's Code Assist project id (``project``: the one the user
    named, if any); ``SetupError`` when there is none to be had."""
    base = base_url.rstrip("/")
    request = {"metadata": dict(METADATA, duetProject=project) if project else METADATA}
    if project:
        request["cloudaicompanionProject"] = project
    loaded = _call("POST", f"{base}/v1internal:loadCodeAssist", access_token, request)
    if loaded.get("currentTier"):
        found = _project_id(loaded.get("cloudaicompanionProject")) or project
        if not found:
            raise _no_project(loaded)
        return found
    tier = next((t for t in loaded.get("allowedTiers") or () if t.get("isDefault")),
                {"id": LEGACY_TIER})
    onboard = {"tierId": tier.get("id"), "metadata": METADATA}
    if tier.get("id") != FREE_TIER and project:
        onboard.update(cloudaicompanionProject=project,
                       metadata=dict(METADATA, duetProject=project))
    operation = _call("POST", f"{base}/v1internal:onboardUser", access_token, onboard)
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while not operation.get("done"):
        if time.monotonic() > deadline:
            raise SetupError("Code Assist onboarding did not finish within 5 minutes; "
                             "log in again later")
        _sleep(POLL_SECONDS)
        if operation.get("name"):
            operation = _call("GET", f"{base}/v1internal/{operation['name']}", access_token)
        else:
            operation = _call("POST", f"{base}/v1internal:onboardUser", access_token, onboard)
    response = operation.get("response") if isinstance(operation.get("response"), dict) else {}
    found = _project_id(response.get("cloudaicompanionProject")) or project
    if not found:
        raise _no_project(loaded)
    return found


def _call(method, url, access_token, body=None):
    try:
        if method == "GET":
            status, answer = token_client.get(url, bearer=access_token)
        else:
            status, answer = token_client.post(url, body, as_json=True, bearer=access_token)
    except token_client.EndpointUnreachable as exc:
        raise SetupError(f"Code Assist: {exc}") from None
    if status != 200:
        error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
        if url.endswith(":loadCodeAssist") and _vpc_sc(error):
            # a project behind VPC Service Controls cannot be looked up; Gemini
            # CLI (server.ts, isVpcScAffectedUser) takes it as on the standard tier
            return {"currentTier": {"id": STANDARD_TIER}}
        raise SetupError(f"Code Assist answered {status} "
                         f"{error.get('message') or error.get('status') or ''}".strip(),
                         status=status)
    return answer


def _vpc_sc(error):
    details = error.get("details") if isinstance(error.get("details"), list) else []
    return any(isinstance(d, dict) and d.get("reason") == "SECURITY_POLICY_VIOLATED"
               for d in details)


def _project_id(value):
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _no_project(loaded):
    reasons = [t.get("reasonMessage") for t in loaded.get("ineligibleTiers") or ()
               if isinstance(t, dict) and t.get("reasonMessage")]
    if reasons:
        return SetupError("Code Assist refused this account: " + "; ".join(reasons))
    return SetupError("this Google account needs a Google Cloud project for Code Assist: "
                      "name one (--project at login, or project_id in its auth file)")
