"""The in-process translation cost harness: its cases run the real path and
report a number per step."""
import orjson
import pytest

import translators
from bench import translate_cost


@pytest.mark.parametrize("client,upstream", translate_cost.REQUEST_CASES)
def test_request_path_is_the_translated_body(client, upstream):
    steps, path = translate_cost.request_steps(client, upstream, 40_000)
    assert [name for name, _ in steps] == ["parse", "validate", "translate", "serialise",
                                           "roundtrip", "short", "before", "next"]
    translated = orjson.loads(path())
    assert translated["model"] == f"bench-{upstream}"
    assert translated == orjson.loads(orjson.dumps(dict(steps)["translate"]()))
    assert len(translated["messages"]) > 4      # the conversation, not an empty shell


@pytest.mark.parametrize("client,upstream", translate_cost.ANSWER_CASES)
def test_answer_path_reaches_the_client_dialect(client, upstream):
    _, path = translate_cost.answer_steps(client, upstream)
    answer = orjson.loads(path())
    assert translators.dialect(client).parse_response(answer)["content"]


def test_measure_reports_each_step_and_the_path():
    result = translate_cost.measure(translate_cost.request_steps("claude", "openai", 25_000),
                                    runs=1)
    assert list(result) == ["parse", "validate", "translate", "serialise", "roundtrip",
                            "short", "next", "path"]
    # ``next`` is a difference of two timings: only the others must be positive
    assert all(us > 0 for name, us in result.items() if name != "next")


def test_short_is_the_body_with_its_long_strings_cut():
    body = {"a": "x" * 100, "b": [{"c": "y" * 64, "d": 1}], "e": "z" * 65}
    assert translate_cost._cut(body) == {"a": "x" * 8, "b": [{"c": "y" * 64, "d": 1}],
                                         "e": "z" * 8}
