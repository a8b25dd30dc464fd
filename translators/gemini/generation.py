"""``generationConfig`` <-> the IR's sampling, output-format and reasoning keys."""
from translators import ir
from translators.dropped import dropped
from translators.reasoning import (budget_for_effort, effort_for_budget,
                                   gemini_level_for_effort)

from .keys import enum, get
from .schema import clean_schema, to_json_schema

# (IR key, generationConfig key) pairs copied as they are.
_SAMPLING = (("temperature", "temperature"), ("top_p", "topP"), ("top_k", "topK"),
             ("max_tokens", "maxOutputTokens"), ("n", "candidateCount"))


def parse_generation_config(config, request):
    """Fill ``request`` (an IR request) from a Gemini ``generationConfig``.

    Dropped as harmless: seed, presence/frequency penalties, logprobs and
    media resolution (no IR field; the answer stays valid without them).
    """
    for key, name in _SAMPLING:
        request[key] = get(config, name)
    request["stop"] = list(get(config, "stopSequences") or [])
    modalities = [m.upper() for m in get(config, "responseModalities") or []]
    if set(modalities) - {"TEXT"}:
        raise ir.TranslationError("only TEXT responseModalities can be translated")
    request["response_format"] = _parse_response_format(config)
    request["reasoning"] = _parse_thinking(get(config, "thinkingConfig"))


def _parse_response_format(config):
    mime = get(config, "responseMimeType")
    if mime in (None, "text/plain"):
        return None
    if mime != "application/json":
        raise ir.TranslationError(f"responseMimeType {mime} cannot be translated")
    if get(config, "responseJsonSchema") is not None:
        schema = get(config, "responseJsonSchema")
    elif get(config, "responseSchema") is not None:
        schema = to_json_schema(get(config, "responseSchema"))
    else:
        return {"type": "json_object"}
    # Gemini schemas are nameless; the other dialects require a name.
    return {"type": "json_schema", "name": "response", "schema": schema, "strict": None}


def _parse_thinking(thinking):
    if not thinking:
        return None
    level = enum(thinking, "thinkingLevel")
    budget = get(thinking, "thinkingBudget")
    if level:
        effort = level.lower()
        budget = budget_for_effort(effort)
    else:
        effort = effort_for_budget(budget)
    if budget is not None and budget < 0:
        budget = None  # -1: dynamic, the model decides
    include = get(thinking, "includeThoughts")
    return {"effort": effort, "budget_tokens": budget,
            "summary": "auto" if include else None, "enabled": budget != 0}


def render_generation_config(request, model):
    """The ``generationConfig`` for an IR request to ``model`` (None if empty)."""
    config = {name: request[key] for key, name in _SAMPLING if request.get(key) is not None}
    if request.get("stop"):
        # Gemini takes at most five (API reference, GenerationConfig.stopSequences).
        config["stopSequences"] = list(request["stop"][:5])
        if len(request["stop"]) > 5:
            dropped("gemini", f"stop sequences beyond the first five: {request['stop'][5:]!r}")
    config.update(_render_response_format(request.get("response_format")))
    thinking = _render_thinking(request.get("reasoning"), model)
    if thinking:
        config["thinkingConfig"] = thinking
    return config or None


def _render_response_format(fmt):
    kind = (fmt or {}).get("type")
    if kind == "json_object":
        return {"responseMimeType": "application/json"}
    if kind == "json_schema":
        # The schema's name and OpenAI ``strict`` flag have no Gemini field;
        # Gemini always constrains decoding to the schema.
        return {"responseMimeType": "application/json",
                "responseSchema": clean_schema(fmt.get("schema") or {})}
    return {}


def _render_thinking(reasoning, model):
    """``thinkingConfig``: a level for Gemini 3 models, a budget before them
    (Gemini API "Thinking": 3.x takes ``thinkingLevel``, 2.5 ``thinkingBudget``)."""
    if not reasoning:
        return None
    enabled = reasoning.get("enabled", True)
    budget = reasoning.get("budget_tokens")
    effort = reasoning.get("effort") or effort_for_budget(budget)
    if not enabled:
        effort, budget = "none", 0
    if "gemini-3" in (model or ""):
        if effort is None:  # no level asked for: the model's default
            return {"includeThoughts": enabled}
        # Gemini 3 cannot switch thinking off; "low" is the least it does.
        level = gemini_level_for_effort("minimal" if effort == "none" else effort)
        return {"thinkingLevel": level, "includeThoughts": enabled}
    if budget is None:
        known = budget_for_effort(effort or "")
        budget = -1 if known is None else known  # -1: dynamic
    return {"thinkingBudget": budget, "includeThoughts": budget != 0}
