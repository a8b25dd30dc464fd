"""The shape checker and the dialect shapes, without a server."""
import json

import pytest

from bench import agent_session
from proxy import validation
from proxy.validation import known_tools, openai_chat
from proxy.errors import BadRequest
from proxy.validation.shape import INTEGER, STRING, Arr, Either, Obj, ShapeError


def _error(dialect, body, deep=True):
    with pytest.raises(BadRequest) as info:
        (validation.check_deep if deep else validation.check)(dialect, body)
    return info.value


def test_names_the_field_by_path():
    exc = _error("openai", {"messages": [{"role": "user", "content": [
        {"type": "text", "text": 3}]}]})
    assert exc.param == "messages[0].content[0].text"
    assert "expected a string, but got an integer" in exc.message


def test_shallow_check_reads_only_the_top_level():
    body = {"messages": [{"role": 5}], "max_tokens": 10}
    validation.check("openai", body)                    # same-dialect pass-through: upstream's call
    assert _error("openai", body).param == "messages[0].role"
    assert _error("openai", {"max_tokens": True}, deep=False).param == "max_tokens"


def test_null_is_absent_but_not_inside_arrays():
    validation.check_deep("claude", {"max_tokens": None, "system": None, "messages": []})
    assert _error("claude", {"messages": [None]}).param == "messages[0]"


def test_required_fields_by_variant():
    exc = _error("claude", {"messages": [{"role": "assistant", "content": [
        {"type": "tool_use", "id": "t", "input": {}}]}]})
    assert exc.param == "messages[0].content[0].name" and exc.code == "missing_required_parameter"
    assert _error("openai", {"messages": [{"role": "tool", "content": "x"}]}).param \
        == "messages[0].tool_call_id"


def test_gemini_takes_either_spelling():
    validation.check_deep("gemini", {"contents": [{"parts": [
        {"inline_data": {"mime_type": "image/png", "data": "eA=="}}]}],
        "generation_config": {"max_output_tokens": 5}})
    assert _error("gemini", {"generation_config": {"max_output_tokens": "5"}}).param \
        == "generation_config.max_output_tokens"


def test_json_schemas_are_walked_recursively():
    tool = {"name": "t", "input_schema": {"type": "object", "properties": {
        "a": {"type": "object", "properties": {"b": {"type": 3}}}}}}
    exc = _error("claude", {"tools": [tool]})
    assert exc.param == "tools[0].input_schema.properties.a.properties.b.type"


def test_either_and_booleans_are_no_integers():
    shape = Obj({"n": INTEGER, "stop": Either(STRING, Arr(STRING))})
    shape.check_fields({"n": 1, "stop": ["a"]}, True)
    for body in ({"n": True}, {"stop": [1]}, {"stop": 1}):
        with pytest.raises(ShapeError):
            shape.check_fields(body, True)


def test_deep_nesting_is_a_400_not_a_crash():
    schema = {}
    inner = schema
    for _ in range(3000):
        inner["items"] = {}
        inner = inner["items"]
    exc = _error("openai", {"tools": [{"type": "function", "function": {
        "name": "f", "parameters": schema}}]})
    assert "nested too deeply" in exc.message


def _tools(maximum):
    return [{"type": "function", "function": {"name": "f", "parameters": {
        "type": "object", "properties": {"n": {"type": "integer", "maxItems": maximum}}}}}]


@pytest.fixture
def fresh_memo():
    known_tools.forget()
    yield
    known_tools.forget()


def test_a_tool_list_found_valid_is_not_walked_again(fresh_memo, monkeypatch):
    body = {"tools": _tools(3), "messages": [{"role": "user", "content": "hi"}]}
    validation.check_deep("openai", body)
    walked = []

    class Recorder:
        def check(self, value, deep):
            walked.append(value)
    monkeypatch.setitem(openai_chat.REQUEST.fields, "tools", Recorder())
    validation.check_deep("openai", {"messages": [], "tools": _tools(3)})   # same bytes
    assert walked == []
    validation.check_deep("openai", {"messages": [], "tools": _tools(4)})   # new bytes
    assert walked == [_tools(4)]
    # the rest of the body is still checked, and names its field as before
    assert _error("openai", {"tools": _tools(3), "messages": [{"role": 5}]}).param \
        == "messages[0].role"


def test_equal_but_not_the_same_json_is_walked(fresh_memo):
    validation.check_deep("openai", {"tools": _tools(3)})
    assert _tools(3.0) == _tools(3)                    # equal in Python, not as JSON
    assert _error("openai", {"tools": _tools(3.0)}).param \
        == "tools[0].function.parameters.properties.n.maxItems"


def test_a_bad_tool_list_is_reported_every_time(fresh_memo):
    for _ in range(2):
        assert _error("claude", {"tools": [{"name": 3}]}).param == "tools[0].name"
    assert not known_tools.known(known_tools.key("claude", [{"name": 3}]))


def test_the_memo_is_bounded(fresh_memo, monkeypatch):
    monkeypatch.setattr(known_tools, "LIMIT", 200)     # room for one list
    first, second = _tools(1), _tools(2)
    validation.check_deep("openai", {"tools": first})
    validation.check_deep("openai", {"tools": second})   # over the limit: starts afresh
    assert known_tools.known(known_tools.key("openai", second))
    assert not known_tools.known(known_tools.key("openai", first))
    assert known_tools.key("openai", []) is None and known_tools.key("openai", "x") is None


def test_a_shape_completed_after_first_use_checks_its_new_fields():
    # leaf fields are checked inline from a split made on first use: a field
    # added or replaced later (a JSON Schema completes itself) still counts
    shape = Obj({"n": INTEGER})
    shape.check_fields({"n": 1, "s": 5}, True)
    shape.fields["s"] = STRING
    with pytest.raises(ShapeError) as info:
        shape.check_fields({"n": None, "s": 5}, True)
    assert info.value.field() == "s" and info.value.expected == "a string"
    shape.fields.update({"s": Either(STRING, Arr(STRING))})
    shape.check_fields({"s": ["a"]}, True)
    with pytest.raises(ShapeError):
        shape.check_fields({"s": [1]}, True)


# --- remembered layouts ------------------------------------------------------

def _forget_layouts(shape, seen=None):
    """Make every object shape reachable from ``shape`` forget its layouts."""
    seen = set() if seen is None else seen
    if id(shape) in seen:
        return
    seen.add(id(shape))
    if isinstance(shape, Obj):
        shape._split = None
        children = list(shape.fields.values())
    elif isinstance(shape, Either):
        children = list(shape.by_type.values())
    else:
        children = [getattr(shape, "item", None)]
    for child in children:
        if child is not None:
            _forget_layouts(child, seen)


def _outcome(dialect, body):
    try:
        validation.check_deep(dialect, body)
    except BadRequest as exc:
        return exc.param, exc.message, exc.code
    return "valid"


def _bent(body):
    """``body`` with one field at a time given a wrong type, made null or
    left out (every place of a small agent body, tags included)."""
    def places(value, path):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield path + (key,)
                yield from places(inner, path + (key,))
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                yield path + (index,)
                yield from places(inner, path + (index,))
    for path in places(body, ()):
        for change in ("int", "null", "list", "dict", "gone"):
            bent = json.loads(json.dumps(body))
            holder = bent
            for step in path[:-1]:
                holder = holder[step]
            if change == "gone":
                if isinstance(holder, list):
                    continue
                del holder[path[-1]]
            else:
                holder[path[-1]] = {"int": 3, "null": None, "list": [1], "dict": {"a": 1}}[change]
            yield bent


@pytest.mark.parametrize("dialect", ["claude", "openai", "responses"])
def test_remembered_layouts_give_the_errors_a_first_walk_gives(dialect, fresh_memo):
    small = json.loads(agent_session.body(dialect, "m", 33_000))
    small.pop("tools")                   # walked below through the layouts alone
    small.update({"tools": json.loads(agent_session.body(dialect, "m", 1))["tools"][:2]})
    cases = list(_bent(small))
    cold = []
    for body in cases:
        _forget_layouts(validation.SHAPES[dialect])
        known_tools.forget()
        cold.append(_outcome(dialect, body))
    # warm: every layout of the valid body (and of the others, as they come) remembered
    validation.check_deep(dialect, json.loads(agent_session.body(dialect, "m", 250_000)))
    warm = []
    for body in cases:
        known_tools.forget()
        warm.append(_outcome(dialect, body))
    assert warm == cold
    assert len({c for c in cold if c != "valid"}) > 20      # the bends reached many fields


def test_a_layout_is_valid_for_its_tag_only():
    # the same field names and types under another tag need other fields
    validation.check_deep("claude", {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "t"}]}]})
    exc = _error("claude", {"messages": [{"role": "user", "content": [
        {"type": "thinking", "text": "t"}]}]})
    assert exc.param == "messages[0].content[0].thinking"


def test_layouts_are_bounded_and_forgotten_when_fields_change(monkeypatch):
    shape = Obj({"n": INTEGER, "s": Either(STRING, Arr(STRING))})
    monkeypatch.setattr(Obj, "LAYOUTS", 2)
    for body in ({"n": 1}, {"s": "a"}, {"s": ["a"]}):
        shape.check(body, True)
    assert len(shape._split[2]) == 1                         # started afresh at the third
    shape.check({"s": ["a"]}, True)
    with pytest.raises(ShapeError) as info:
        shape.check({"s": [1]}, True)                        # a known layout, walked inside
    assert info.value.field() == "s[0]"
    shape.fields["n"] = STRING
    with pytest.raises(ShapeError):
        shape.check({"n": 1}, True)


def test_a_layout_of_long_client_strings_is_checked_but_not_remembered():
    # unknown fields pass; their names are the client's and would outlive the request
    shape = Obj({"n": INTEGER})
    long_name = "x" * (Obj.LAYOUT_CHARS + 1)
    shape.check({"n": 1, long_name: "v"}, True)
    shape.check({"n": 2, "short": "v"}, True)
    assert [layout[:3] for layout in shape._split[2]] == [(None, "n", "short")]
    with pytest.raises(ShapeError):
        shape.check({"n": "one", long_name: "v"}, True)     # still checked every time


def test_only_shapes_that_cannot_nest_without_bound_take_the_shortcut():
    from proxy.validation import claude, json_schema, responses
    from proxy.validation.shape import _bounded
    assert not _bounded(json_schema.SCHEMA)             # a schema's items are schemas
    assert not _bounded(claude.REQUEST)                 # (its tools hold schemas)
    for messages in (claude.REQUEST, openai_chat.REQUEST):
        assert _bounded(messages.fields["messages"].item)
    assert _bounded(responses.REQUEST.fields["input"].by_type[list].item)


def _nested_schema(depth):
    schema = inner = {}
    for _ in range(depth):
        inner["items"] = {"type": "array"}
        inner = inner["items"]
    return {"tools": [{"type": "function", "function": {"name": "f", "parameters": schema}}]}


def test_the_depth_that_makes_a_400_does_not_depend_on_remembered_layouts(fresh_memo):
    # find the shallowest schema a first walk refuses as nested too deeply
    low, high = 1, 3000
    while low < high:
        middle = (low + high) // 2
        _forget_layouts(validation.SHAPES["openai"])
        known_tools.forget()
        if _outcome("openai", _nested_schema(middle)) == "valid":
            low = middle + 1
        else:
            high = middle
    for depth in (low - 2, low - 1, low, low + 1):
        _forget_layouts(validation.SHAPES["openai"])
        known_tools.forget()
        cold = _outcome("openai", _nested_schema(depth))
        known_tools.forget()
        validation.check_deep("openai", _nested_schema(5))     # its layouts remembered
        known_tools.forget()
        assert _outcome("openai", _nested_schema(depth)) == cold, depth
