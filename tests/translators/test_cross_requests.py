"""Client requests translated for an upstream of another dialect, end to end
(``translators.translate_request``), table-driven from
tests/fixtures/translators/cross_request/.

Each case names ``from`` (the client's dialect) and ``to`` (the upstream's),
and either ``expected`` (the keys of the upstream body it pins, compared
whole) with optional ``absent`` (keys that must not be sent), or ``error``
(a TranslationError the client gets as a 400 in its own dialect).  These are
the shapes current clients send (Claude Code, Codex CLI, OpenAI-format
clients of Anthropic models) and the rules translators/README.md states.
"""
import pytest

import translators
from translators.ir import TranslationError
from tests.translators.cases import cases


def translate(case):
    return translators.translate_request(case["from"], case["to"], case["input"],
                                         model=case.get("model", "upstream-model"),
                                         stream=bool(case["input"].get("stream")))


@pytest.mark.parametrize("case", cases("cross_request"))
def test_cross_request(case):
    if "error" in case:
        with pytest.raises(TranslationError, match=case["error"]):
            translate(case)
        return
    body = translate(case)
    assert {key: body.get(key) for key in case["expected"]} == case["expected"]
    assert not set(case.get("absent", ())) & set(body)


def test_dropped_fields_are_named_in_one_debug_line_each(caplog):
    body = {"model": "claude-sonnet-4-5", "max_tokens": 64,
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "hi"}, {"type": "brand_new_block", "x": 1}]}],
            "tools": [{"type": "web_search_20250305", "name": "web_search"}],
            "context_management": {"edits": []}}
    with caplog.at_level("DEBUG", logger="switchyard.translators"):
        translators.translate_request("claude", "openai", body, model="m", stream=False)
    lines = [record.getMessage() for record in caplog.records]
    for name in ("'context_management'", "'brand_new_block'", "'web_search_20250305'"):
        assert sum(name in line for line in lines) == 1, (name, lines)
