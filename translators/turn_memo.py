"""A conversation's rounds rendered once per session, not once per request.

An agent sends its whole conversation with every request: late in a
session 50 or more tool round trips, 250 KB to 1 MB of JSON, of which only
the last round trip or two are new.  Rendering the IR history for the
target dialect, then serialising it, is a third of a translated request's
body work, and gives last request's answer for every turn but the newest.

The repaired IR history (``translators.history``) is cut into *rounds*: a
round starts where an assistant turn follows a tool turn (the model speaks
again once its tools answered) and runs up to the next such start.
``rendered(key, messages, render, merges)`` renders each round on its own
and remembers it, by the first tool call id in it and its length, beside
the IR it was rendered from; a later round equal (``==``, in C) to a
remembered one takes the remembered turns.  Kept exact:

- Equal IR is the same JSON: a ``str`` equals only a ``str``, so only
  numbers and booleans could compare equal across types (``True == 1``).
  A round is remembered only when every scalar in it is a string or None,
  or the ``is_error`` flag, which every parser sets with ``bool()``: no
  round holding a client's number or boolean is ever reused.
- Rendered alone, a round opens a new turn.  Within the whole history a
  renderer that merges consecutive same-role turns (Anthropic requires
  alternation: ``merges``) would have joined it to the turn before when
  they share a role: then the whole history is rendered in one, as without
  the memo.  Renderers carry no other state from one message to the next.
- A round holding a cache mark is not remembered: clients move their
  breakpoints every request, and Anthropic's renderer counts and may drop
  marks across the whole request.
- A round whose rendering dropped something (``translators.dropped``) is
  not remembered, so the debug line is said for every request, as before.

Rendered turns are shared by every request that reuses them, so nobody may
change them in place: the renderers build new turns and the proxy only
serialises a rendered request.  ``dumps(body)`` serialises one with each
remembered turn written from the bytes kept for it (an ``orjson.Fragment``)
instead of walking it again.

Memory is bounded by the bytes of the remembered turns (their IR and
turns, which share their strings, about as much again); when full,
everything is dropped at once, as ``translators.tool_memo`` does.
"""
import orjson

from translators import dropped

LIMIT = 8 * 1024 * 1024         # bytes of remembered rendered turns

_rounds = {}                    # (key, first call id, length) -> (IR round, turns, marks)
_fragments = {}                 # id(turn) -> (turn, its JSON as an orjson.Fragment)
_held = 0


def rendered(key, messages, render, merges):
    """``render(messages)``, a ``(turns, marks)`` pair (``marks``: how many
    cache marks the turns carry), for the repaired IR ``messages``; the
    rounds equal to remembered ones take their remembered turns.  ``key``
    names the renderer and whatever else its output depends on."""
    starts = _round_starts(messages)
    if not starts:
        return render(messages)
    turns, marks = [], 0
    bounds = zip([0] + starts, starts + [len(messages)])
    for start, end in bounds:
        part = messages[start:end]
        got, count = _round(key, part, render)
        if merges and turns and got and turns[-1]["role"] == got[0]["role"]:
            return render(messages)
        turns += got
        marks += count
    return turns, marks


def _round_starts(messages):
    """Where an assistant turn follows a tool turn, but the first."""
    starts, before = [], None
    for at, message in enumerate(messages):
        role = message["role"]
        if role == "assistant" and before == "tool" and at:
            starts.append(at)
        before = role
    return starts


def _round(key, part, render):
    """``(turns, marks)`` of one round, remembered or rendered."""
    name = _first_call(part)
    if name is None:
        return render(part)
    slot = (key, name, len(part))
    entry = _rounds.get(slot)
    if entry is not None and entry[0] == part:
        return entry[1], entry[2]
    said = dropped.said()
    turns, marks = render(part)
    if not marks and dropped.said() == said and _plain(part):
        _remember(slot, part, turns)
    return turns, marks


def _first_call(part):
    """The id of the round's first tool call, if it makes one."""
    for message in part:
        if message["role"] == "assistant":
            for piece in message["content"]:
                if piece["type"] == "tool_call":
                    call_id = piece.get("id")
                    return call_id if type(call_id) is str else None
    return None


def _plain(value):
    """Whether every scalar in ``value`` is a string or None, but
    ``is_error`` flags (booleans), and no part carries a cache mark."""
    pending = [value]
    while pending:
        value = pending.pop()
        if type(value) is list:
            pending.extend(value)
            continue
        for name, item in value.items():
            kind = type(item)
            if kind is dict or kind is list:
                if name == "cache_control":
                    return False
                pending.append(item)
            elif kind is not str and item is not None \
                    and not (name == "is_error" and kind is bool):
                return False
    return True


def _remember(slot, part, turns):
    global _rounds, _fragments, _held
    try:
        written = [orjson.dumps(turn) for turn in turns]
    except TypeError:
        return
    size = sum(map(len, written))
    if size > LIMIT:
        return
    if _held + size > LIMIT:
        _rounds, _fragments, _held = {}, {}, 0
    _rounds[slot] = (part, turns, 0)
    for turn, data in zip(turns, written):
        _fragments[id(turn)] = (turn, orjson.Fragment(data))
    _held += size


def dumps(body, key="messages"):
    """``orjson.dumps(body)``, the remembered turns of its ``key`` list
    written from their kept bytes."""
    turns = body.get(key)
    if not _fragments or type(turns) is not list:
        return orjson.dumps(body)
    written = None
    find = _fragments.get
    for at, turn in enumerate(turns):
        kept = find(id(turn))
        if kept is not None and kept[0] is turn:
            if written is None:
                written = list(turns)
            written[at] = kept[1]
    if written is None:
        return orjson.dumps(body)
    return orjson.dumps({**body, key: written})


def forget():
    """Empty the memo (tests)."""
    global _rounds, _fragments, _held
    _rounds, _fragments, _held = {}, {}, 0
