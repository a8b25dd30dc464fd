"""Reasoning effort <-> thinking budget, one table for every dialect.

OpenAI speaks in efforts (``reasoning_effort`` / ``reasoning.effort``:
minimal, low, medium, high); Anthropic (``thinking.budget_tokens``, at least
1024) and Gemini (``thinkingConfig.thinkingBudget``; -1 = dynamic, 0 = off)
speak in token budgets; Gemini 3 also takes ``thinkingLevel`` (low/high).

    effort   -> budget        budget            -> effort
    none        0 (off)       0                    none
    minimal     1024          1 .. 1024            minimal
    low         4096          1025 .. 4096         low
    medium      8192          4097 .. 8192         medium
    high        24576         > 8192               high
                              -1 (dynamic)         medium
"""

EFFORT_BUDGETS = {"none": 0, "minimal": 1024, "low": 4096, "medium": 8192, "high": 24576}

# Efforts beyond OpenAI's classic four that newer models accept.
_EFFORT_ALIASES = {"xhigh": "high", "max": "high"}

ANTHROPIC_MIN_BUDGET = 1024


def budget_for_effort(effort):
    """Token budget for an OpenAI-style effort; None if the effort is unknown."""
    effort = _EFFORT_ALIASES.get(effort, effort)
    return EFFORT_BUDGETS.get(effort)


def effort_for_budget(budget):
    """OpenAI-style effort for a token budget (Gemini's -1 means dynamic)."""
    if budget is None:
        return None
    if budget < 0:
        return "medium"
    if budget == 0:
        return "none"
    for effort in ("minimal", "low", "medium"):
        if budget <= EFFORT_BUDGETS[effort]:
            return effort
    return "high"


def gemini_level_for_effort(effort):
    """Gemini 3 ``thinkingLevel`` (only ``low`` and ``high`` exist)."""
    return "low" if effort in ("minimal", "low") else "high"
