"""Whole responses: the Responses ``response`` object <-> the IR response.

Shape per the API reference ("The response object") and the openai SDK's
``Response`` model, which also validates what we render (tests).
"""
from translators.ir import new_id, new_response, now

from .calls import call_kinds
from .namespaces import call_namespaces
from .output import parse_output, render_output, status_for, stop_reason
from .usage import parse_usage, render_usage


def parse_response(body):
    """The IR of an upstream Responses response body."""
    ir = new_response(body.get("model"))
    ir["id"] = body.get("id")
    created = body.get("created_at")
    ir["created"] = int(created) if created is not None else None
    ir["content"], refused = parse_output(body.get("output") or [])
    tool_calls = any(part["type"] == "tool_call" for part in ir["content"])
    ir["stop_reason"] = stop_reason(body.get("status"), body.get("incomplete_details"),
                                    tool_calls=tool_calls, refused=refused)
    ir["usage"] = parse_usage(body)
    return ir


def render_response(ir, model, request):
    """The response object a Responses client gets for an IR response;
    ``model`` is the name it asked for, ``request`` its original body."""
    status, incomplete = status_for(ir["stop_reason"])
    return response_object(
        request or {}, model, response_id=response_id(ir["id"]),
        created=ir["created"] or now(), status=status,
        output=render_output(ir["content"], status, call_kinds(request),
                             call_namespaces(request)),
        usage=render_usage(ir["usage"]), incomplete_details=incomplete)


def response_id(upstream_id):
    """A ``resp_`` id: kept when the upstream spoke Responses, new otherwise."""
    if upstream_id and upstream_id.startswith("resp_"):
        return upstream_id
    return new_id("resp_")


def response_object(request, model, *, response_id, created, status, output,
                    usage=None, incomplete_details=None):
    """A full response object.  The API echoes the request's settings back,
    with its documented defaults for those the client left out."""
    reasoning = request.get("reasoning") or {}
    return {
        "id": response_id, "object": "response", "created_at": created,
        "status": status, "background": False, "error": None,
        "incomplete_details": incomplete_details,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"),
        "model": model, "output": output,
        "parallel_tool_calls": _given(request, "parallel_tool_calls", True),
        "previous_response_id": None,
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        # Nothing was stored: the gateway cannot serve it back later.
        "store": False,
        "temperature": _given(request, "temperature", 1.0),
        "text": request.get("text") or {"format": {"type": "text"}},
        "tool_choice": _given(request, "tool_choice", "auto"),
        "tools": request.get("tools") or [],
        "top_p": _given(request, "top_p", 1.0),
        "truncation": request.get("truncation") or "disabled",
        "usage": usage, "user": request.get("user"),
        "metadata": request.get("metadata") or {},
    }


def _given(request, key, default):
    value = request.get(key)
    return default if value is None else value


def render_count_tokens(n):
    """The answer of ``POST /v1/responses/input_tokens`` (API reference,
    "Responses > Input token counts")."""
    return {"object": "response.input_tokens", "input_tokens": n}
