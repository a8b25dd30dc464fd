"""Anthropic ``thinking`` / ``output_config.effort`` <-> IR reasoning.

Efforts and budgets convert only through ``translators.reasoning``'s table.
"""
from translators.ir import TranslationError
from translators.reasoning import ANTHROPIC_MIN_BUDGET, budget_for_effort, effort_for_budget

# max_tokens is required by Anthropic; used when the source dialect had none.
DEFAULT_MAX_TOKENS = 8192

# Room left for the visible answer when max_tokens must be raised above a
# thinking budget (Anthropic: budget_tokens must be less than max_tokens).
# Kept small so budget + room stays within every thinking model's output cap.
ANSWER_ROOM = 4096

# Sampling knobs Anthropic rejects while thinking is enabled
# ("Extended thinking", feature compatibility).
_SAMPLING = ("temperature", "top_p", "top_k")


def _reasoning(effort, budget, enabled):
    return {"effort": effort, "budget_tokens": budget, "summary": None, "enabled": enabled}


def parse_thinking(thinking, effort=None):
    """IR reasoning from a request's ``thinking`` and ``output_config.effort``."""
    kind = (thinking or {}).get("type")
    if kind == "enabled":
        budget = thinking.get("budget_tokens")
        return _reasoning(effort or effort_for_budget(budget), budget, True)
    if kind == "disabled":
        return _reasoning(None, None, False)
    if kind == "adaptive" or effort:
        # adaptive: the model picks its own budget; effort alone also implies it.
        return _reasoning(effort, None, True)
    return None


def thinking_budget(reasoning):
    """The budget to send: None leaves thinking unset, 0 disables it."""
    if not reasoning:
        return None
    if reasoning.get("enabled") is False:
        return 0
    budget = reasoning.get("budget_tokens")
    if budget is None or budget < 0:
        # No budget, or Gemini's -1 ("dynamic"): go through the effort.
        effort = reasoning.get("effort") or effort_for_budget(budget) or "medium"
        budget = budget_for_effort(effort)
        if budget is None:
            raise TranslationError(f"unknown reasoning effort {effort!r}")
    return 0 if budget == 0 else max(budget, ANTHROPIC_MIN_BUDGET)


def apply_thinking(body, reasoning):
    """Set ``thinking`` on a rendered request body and adjust what it constrains."""
    budget = thinking_budget(reasoning)
    if budget is None:
        return
    if budget == 0:
        body["thinking"] = {"type": "disabled"}
        return
    if body.get("tool_choice", {}).get("type") in ("any", "tool") \
            or _unsigned_tool_turn(body["messages"]):
        # Both make Anthropic reject thinking ("Extended thinking", tool
        # use); the tool calls are the request's meaning, thinking a
        # quality knob, so thinking gives way.
        return
    body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    if body["max_tokens"] <= budget:
        body["max_tokens"] = budget + ANSWER_ROOM
    for key in _SAMPLING:
        body.pop(key, None)


def _unsigned_tool_turn(messages):
    """With thinking on, the last assistant turn, when it called tools, must
    open with its thinking block; history from a dialect without signatures
    has none to give."""
    last = next((turn for turn in reversed(messages) if turn["role"] == "assistant"), None)
    if last is None:
        return False
    kinds = [block["type"] for block in last["content"]]
    return "tool_use" in kinds and kinds[0] not in ("thinking", "redacted_thinking")
