"""Field access for Gemini request bodies written in either spelling.

The REST API (proto3 JSON mapping) accepts ``inlineData`` and ``inline_data``
alike, and clients send both: the official JS SDK camelCase, hand-written
Python dicts often snake_case.  Only structural keys are looked up this way;
user data (function ``args``, schema property names) is never renamed.
"""
import re

_UPPER = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name):
    """``inlineData`` -> ``inline_data``."""
    return _UPPER.sub("_", name).lower()


def get(obj, name, default=None):
    """``obj[name]`` under its camelCase ``name`` or its snake_case twin."""
    if not isinstance(obj, dict):
        return default
    if name in obj:
        return obj[name]
    return obj.get(snake(name), default)


def enum(obj, name):
    """An enum field upper-cased (``"auto"`` and ``"AUTO"`` both arrive)."""
    value = get(obj, name)
    return value.upper() if isinstance(value, str) else None
