"""A conversation history made valid for any target, before it is rendered.

Clients send histories their own API tolerates and others reject.  The
strictest rules among the four dialects hold for all of them:

- every tool call is answered right after the assistant turn that made it
  (OpenAI: "messages with role 'tool' must be a response to a preceding
  message with 'tool_calls'"; Anthropic: tool_result blocks open the next
  user turn; Gemini: one functionResponse per functionCall of the turn);
  text a client put between or around the results moves after them;
- a call answered twice (a client retried the tool) keeps its latest
  result; results answering no call of that turn (orphans) are dropped; a
  call left unanswered mid-history gets an error result saying so; a call
  id used twice in one turn is made unique (an exact repeat is dropped) so
  each result still names one call;
- thinking only lives in assistant turns: reasoning in a user or tool turn
  is dropped, so is empty unsigned reasoning, and an assistant turn that
  held nothing but reasoning is left out rather than sent empty.

A trailing assistant turn (a prefill) is left as it is: that is the
renderer's concern, not history's.  Pure function over IR messages; the
input is not modified (the result may share messages, parts and part lists
with it: nobody changes them in place).

Most histories already keep every rule (an agent's turn after turn of one
call and its one result): ``repair`` checks that in one read-only pass and
then returns the same turns; anything else takes the general rebuild.
"""
from translators import round_runs

_THINKING = ("reasoning", "redacted_reasoning")

UNANSWERED = "(no result was recorded for this tool call)"


def repair(messages):
    """IR messages with the rules above applied (a new list)."""
    if _in_order(messages):
        return list(messages)
    return _rebuild(messages)


# Parts a user or system turn cannot hold and keep: results answer calls
# from tool turns only, thinking lives in assistant turns only.
_NOT_USER = frozenset(("tool_result", "reasoning", "redacted_reasoning"))
_checked = round_runs.Runs()    # the last histories found in order


def _in_order(messages):
    """Whether ``_rebuild`` would give ``messages`` back unchanged: no empty
    or thinking-only turn, no empty unsigned reasoning, distinct call ids
    (strings) in each assistant turn, whose calls, unless it is the last
    turn, are answered by the very next turn, a tool turn of one named
    result per call in call order; user and system turns hold no results
    and no thinking, and no two user turns follow each other after a
    turn's results (the rebuild merges those).  Anything unusual, malformed
    input included, is a no: the rebuild then decides (and raises) as
    always.

    A session's next history repeats the turns of the last one checked, the
    very objects (``translators.round_runs``): the check takes up at the
    last assistant turn among them, in the state it had there."""
    run, count = _checked.resume("", messages)
    if count:               # (the walk adds that turn's checkpoint again)
        ends, states = run.ends[:count - 1], run.rounds[:count - 1]
        at, (after_results, user_before) = run.ends[count - 1], run.rounds[count - 1]
    else:
        ends, states, at, after_results, user_before = [], [], 0, False, False
    if not _scan(messages, at, after_results, user_before, ends, states):
        return False
    if messages and ends:
        _checked.keep("", round_runs.Run(messages, ends, states, len(ends)))
    return True


def _scan(messages, at, after_results, user_before, ends, states):
    """``_in_order``'s walk from ``messages[at]`` on, in the state given;
    adds the index and state before each assistant turn to ``ends`` and
    ``states``."""
    try:
        calls = None                # the last assistant turn's calls, awaiting their results
        for index in range(at, len(messages)):
            message = messages[index]
            role, parts = message["role"], message["content"]
            if not parts or len(message) != 2:      # (the rebuild keeps role and content only)
                return False
            if role == "assistant":
                if calls is not None:
                    return False    # calls left unanswered
                ends.append(index)
                states.append((after_results, user_before))
                said = False
                for part in parts:
                    kind = part["type"]
                    if kind == "tool_call":
                        if type(part["id"]) is not str:
                            return False
                        if calls is None:
                            calls = [part]
                        else:
                            calls.append(part)
                        said = True
                    elif kind == "reasoning":
                        if not part.get("signature") and not (part.get("text") or "").strip():
                            return False
                    elif kind != "redacted_reasoning":
                        said = True
                if not said:
                    return False
                if calls is not None and len(calls) > 1 \
                        and len({call["id"] for call in calls}) < len(calls):
                    return False
                after_results = user_before = False
            elif role == "tool":
                if calls is None or len(parts) != len(calls):
                    return False
                for call, result in zip(calls, parts):
                    if result["type"] != "tool_result" or not result.get("name") \
                            or result["tool_call_id"] != call["id"]:
                        return False
                calls = None
                after_results, user_before = True, False
            elif role == "user" or role == "system":
                if calls is not None:
                    return False
                for part in parts:
                    if part["type"] in _NOT_USER:
                        return False
                if role == "user":
                    if after_results and user_before:
                        return False
                    user_before = True
                else:
                    user_before = False
            else:
                return False
        return True
    except (KeyError, IndexError, TypeError, AttributeError, ValueError):
        return False


def _rebuild(messages):
    """``repair``'s general path: every turn cleaned, regrouped and rebuilt."""
    turns = [turn for turn in map(_clean, messages) if turn["content"]]
    out, i = [], 0
    while i < len(turns):
        turn = turns[i]
        i += 1
        if turn["role"] != "assistant":
            out.extend(_without_results([turn]))
            continue
        following = []
        while i < len(turns) and turns[i]["role"] != "assistant":
            following.append(turns[i])
            i += 1
        out.extend(_answered(turn, following, trailing=i >= len(turns) and not following))
    return out


def _clean(message):
    """A message with the thinking rules applied (its own parts list when
    nothing goes: the common case, one pass and no copy)."""
    role, parts = message["role"], message["content"]
    if role != "assistant":
        for part in parts:
            if part["type"] in _THINKING:
                parts = [p for p in parts if p["type"] not in _THINKING]
                break
    else:
        for part in parts:
            if part["type"] == "reasoning" and _empty_reasoning(part):
                parts = [p for p in parts if not _empty_reasoning(p)]
                break
        for part in parts:
            if part["type"] not in _THINKING:
                break
        else:
            parts = []
    return {"role": role, "content": parts}


def _empty_reasoning(part):
    return (part["type"] == "reasoning" and not part.get("signature")
            and not (part.get("text") or "").strip())


def _without_results(turns):
    """Non-assistant turns with no call to answer: their results are orphans."""
    out = []
    for turn in turns:
        parts = [p for p in turn["content"] if p["type"] != "tool_result"]
        if parts:
            out.append({"role": "user" if turn["role"] == "tool" else turn["role"],
                        "content": parts})
    return out


def _answered(turn, following, trailing):
    """An assistant turn, then one tool message answering each of its calls
    in call order, then what else the following turns said."""
    parts = _unique_calls(turn["content"])
    calls = [p for p in parts if p["type"] == "tool_call"]
    assistant = {"role": "assistant", "content": parts}
    if not calls:
        return [assistant] + _without_results(following)
    results = _results_for(calls, following)
    out = [assistant]
    if not trailing:
        out.append({"role": "tool", "content": [results.get(id(call)) or _unanswered(call)
                                                for call in calls]})
    return out + _besides_results(following)


def _besides_results(turns):
    """What the turns after a call said besides results, in order: text as
    user turns, mid-conversation system messages as they are."""
    out = []
    for turn in turns:
        if turn["role"] == "system":
            out.append(turn)
            continue
        parts = [p for p in turn["content"] if p["type"] != "tool_result"]
        if parts and out and out[-1]["role"] == "user":
            out[-1] = {"role": "user", "content": out[-1]["content"] + parts}
        elif parts:
            out.append({"role": "user", "content": parts})
    return out


def _unique_calls(parts):
    """Parts with repeated call ids resolved: an exact repeat (same id, name
    and arguments) is dropped, another call under a used id gets ``<id>_<n>``
    (deterministic, so the next request renders the same history)."""
    ids = [part["id"] for part in parts if part["type"] == "tool_call"]
    if len(set(ids)) == len(ids):
        return list(parts)      # every id once: nothing to resolve
    seen, out = {}, []
    for part in parts:
        if part["type"] != "tool_call":
            out.append(part)
            continue
        same_id = seen.setdefault(part["id"], [])
        if any(p["name"] == part["name"] and p["arguments"] == part["arguments"]
               for p in same_id):
            continue
        if same_id:
            part = dict(part, id=f"{part['id']}_{len(same_id) + 1}", original_id=part["id"])
        same_id.append(part)
        out.append(part)
    return out


def _results_for(calls, following):
    """``{id(call): result}``.  Results for an id go to the calls that used it:
    in order when there are as many results as calls, else the latest one
    answers the first call (a retried tool)."""
    if any("original_id" in call for call in calls):
        return _results_for_renamed(calls, following)
    # Every call id once (the usual turn): each call's latest result.
    latest = {}
    for turn in following:
        for part in turn["content"]:
            if part["type"] == "tool_result":
                latest[part["tool_call_id"]] = part
    matched = {}
    for call in calls:
        result = latest.get(call["id"])
        if result is not None:
            matched[id(call)] = _answer(call, call["id"], result)
    return matched


def _results_for_renamed(calls, following):
    """``_results_for`` when ``_unique_calls`` renamed a call: results go to
    the calls under their original id, in order."""
    by_id = {}
    for turn in following:
        for part in turn["content"]:
            if part["type"] == "tool_result":
                by_id.setdefault(part["tool_call_id"], []).append(part)
    matched = {}
    for call_id in dict.fromkeys(c.get("original_id", c["id"]) for c in calls):
        group = [c for c in calls if c.get("original_id", c["id"]) == call_id]
        answers = by_id.get(call_id) or []
        if len(group) > 1 and len(answers) == len(group):
            pairs = zip(group, answers)
        else:
            pairs = [(group[0], answers[-1])] if answers else []
        for call, result in pairs:
            matched[id(call)] = _answer(call, call["id"], result)
    for call in calls:
        call.pop("original_id", None)
    return matched


def _answer(call, call_id, result):
    """``result`` naming the call it answers: by the call's id, and by its
    tool's name when the result has none.  A result that already does (a
    parser named it) is returned as it is."""
    answered = result["tool_call_id"]
    if result.get("name") and type(answered) is type(call_id) and answered == call_id:
        return result
    return dict(result, tool_call_id=call_id, name=result.get("name") or call["name"])


def _unanswered(call):
    return {"type": "tool_result", "tool_call_id": call["id"], "name": call["name"],
            "content": [{"type": "text", "text": UNANSWERED}], "is_error": True}
