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
  marks across the whole request.  Nor is one holding any other object
  in a part (the client's JSON carried along: ``==`` ignores key order).
- A round whose rendering dropped something (``translators.dropped``) is
  not remembered, so the debug line is said for every request, as before.

Rendered turns are shared by every request that reuses them, so nobody may
change them in place: the renderers build new turns and the proxy only
serialises a rendered request.  ``dumps(body)`` serialises one with each
remembered turn written from the bytes kept for it (an ``orjson.Fragment``)
instead of walking it again.

Reading the client's turns into IR is remembered the same way, by the
rounds of the client's own list (``parsed``): where its dialect starts a
round (``round_starts`` in each dialect's ``messages`` / ``items``), the
first call id (``round_name``).  A round equal to a remembered one whose
numbers and booleans have the same types where they stand and whose objects
have their keys in the same order (the remembered places are checked; a
string equals only a string, and ``==`` ignores key order, which tool input
written out as arguments text keeps) gives the IR it gave then, the very
objects, so the rendering's ``==`` is an identity check.
Read alone, a round must read as it does within the list:

- the round after the first opens with an assistant turn and hoists no
  instructions (only the list's opening instructions are the system
  prompt), and the turn before it is not an assistant's (parsers that join
  consecutive items of a role would have joined them);
- each tool result is named after the call it answers as the whole list
  names it (``last_wins``: the last call with its id anywhere, as Anthropic's
  and Responses' parsers name them; else the last one before it, as Chat
  Completions' parser does): checked over the rounds' calls and results;
- otherwise the whole list is read in one, as without the memo.

A round whose reading dropped something or minted an id (``ir.new_id``:
a call without one) is not remembered.  Remembered IR is shared by every
request that sends the round, so nobody may change it in place: renderers
build new objects, and what amends a request's IR (``proxy.relay.signatures``)
replaces the messages it changes with copies.

Memory is bounded by the bytes of the remembered turns (their IR and
turns, which share their strings, about as much again) and by the strings
of the remembered client rounds; when either is full, that side is
dropped at once, as ``translators.tool_memo`` does.
"""
import itertools

import orjson

from translators import dropped, ir, round_runs, tool_memo

LIMIT = 8 * 1024 * 1024         # bytes of remembered rendered turns
SOURCE_LIMIT = 8 * 1024 * 1024  # string bytes of remembered client rounds

_rounds = {}                    # (key, first call id, length) -> (IR round, turns, marks)
_fragments = {}                 # id(turn) -> (turn, its JSON as an orjson.Fragment)
_held = 0
# (key, first call id, length) -> (client round, typed places, (hoisted, IR, calls, results))
_sources = {}
_source_held = 0
_parse_runs = round_runs.Runs()         # the last passes of parsed()
_render_runs = round_runs.Runs()        # the last passes of rendered()
_last_written = []                      # (turns, what dumps() wrote for them) of the last body


def rendered(key, messages, render, merges):
    """``render(messages)``, a ``(turns, marks)`` pair (``marks``: how many
    cache marks the turns carry), for the repaired IR ``messages``; the
    rounds equal to remembered ones take their remembered turns, and rounds
    of the very objects of the last pass over this session's history are not
    looked at again (``translators.round_runs``).  ``key`` names the
    renderer and whatever else its output depends on."""
    run, reused = _render_runs.resume(key, messages)
    if reused:
        begin = run.ends[reused - 1]
        later = _round_starts(messages[begin:])
        if later is None:
            return render(messages)
        starts = run.ends[:reused] + [begin + at for at in later]
        rounds = run.rounds[:reused]
        turns = run.extra[:rounds[-1][0]]
        marks = rounds[-1][1]
    else:
        starts = _round_starts(messages)
        if not starts:
            return render(messages)
        rounds, turns, marks = [], [], 0
    usable = reused
    bounds = zip(([0] + starts)[reused:], (starts + [len(messages)])[reused:])
    for start, end in bounds:
        got, count, kept = _round(key, messages[start:end], render)
        if merges and turns and got and turns[-1]["role"] == got[0]["role"]:
            return render(messages)
        turns += got
        marks += count
        rounds.append((len(turns), marks))
        if usable == len(rounds) - 1 and kept:
            usable += 1
    _render_runs.keep(key, round_runs.Run(messages, starts + [len(messages)], rounds, usable,
                                          list(turns)))
    return turns, marks


def parsed(key, turns, starts, name, parse, last_wins):
    """``parse(turns)``, a ``(hoisted system parts, IR messages)`` pair, for
    the client's list ``turns``; rounds equal to remembered ones take their
    remembered IR, and rounds of the very objects of the last pass over this
    session's list are not looked at again (``translators.round_runs``).
    ``starts(turns)``: where rounds start (none: read it whole);
    ``name(round)``: its first call id, or None (not remembered)."""
    run, reused = _parse_runs.resume(key, turns)
    if reused:
        begin = run.ends[reused - 1]
        later = starts(turns[begin:])
        if later is None:
            return parse(turns)
        bounds = run.ends[:reused] + [begin + at for at in later]
        rounds = run.rounds[:reused]
        system, messages = list(run.rounds[0][0]), run.extra[:run.rounds[reused - 1][4]]
        names = {}
        for kept in rounds:
            names.update(kept[2])
    else:
        bounds = starts(turns)
        if not bounds:
            return parse(turns)
        rounds, system, messages, names = [], [], [], {}
    usable = reused
    for start, end in zip(([0] + bounds)[reused:], (bounds + [len(turns)])[reused:]):
        hoisted, got, calls, results, clean = _parsed_round(key, turns[start:end], name, parse)
        if not start:
            system = list(hoisted)
        elif hoisted or not got or not messages or got[0]["role"] != "assistant" \
                or messages[-1]["role"] == "assistant":
            return parse(turns)
        if not last_wins and not _named_before(results, names):
            return parse(turns)
        names.update(calls)
        messages += got
        rounds.append((hoisted, got, calls, results, len(messages)))
        if usable == len(rounds) - 1 and clean:
            usable += 1
    if last_wins:
        for kept in rounds:
            for call_id, named in kept[3]:
                if not _same_name(names.get(call_id), named):
                    return parse(turns)
    _parse_runs.keep(key, round_runs.Run(turns, bounds + [len(turns)], rounds, usable,
                                         list(messages)))
    return system, messages


def assistant_after(role):
    """A ``starts`` for a list of messages with roles (Chat Completions',
    Anthropic's): a round starts at each assistant message that follows a
    message of ``role``.  None for anything but a list of objects (read
    whole, and refused as ever)."""
    def starts(messages):
        if type(messages) is not list:
            return None
        found, before = [], None
        for at, message in enumerate(messages):
            if type(message) is not dict:
                return None
            current = message.get("role")
            if current == "assistant" and before == role:
                found.append(at)
            before = current
        return found
    return starts


def _same_name(name, other):
    """Whether two tool names are the same JSON: equal strings, or one
    object (``1 == True == 1.0``; names are strings but for a client that
    sends otherwise)."""
    return name is other or (type(name) is str and type(other) is str and name == other)


# Where the repaired IR history's rounds start: at each assistant turn
# that follows a tool turn.
_round_starts = assistant_after("tool")


def _named_before(results, names):
    """Whether no result the round left unnamed answers an earlier round's call."""
    for call_id, named in results:
        if named is None and names.get(call_id) is not None:
            return False
    return True


def _parsed_round(key, part, name, parse):
    """``(hoisted, IR, calls, results, clean)`` of one client round:
    ``calls`` maps its call ids to names, last one winning; ``results``:
    each tool result's ``(call id, name)``; ``clean``: its reading neither
    dropped anything nor minted an id."""
    first = name(part)
    slot = (key, first, len(part)) if type(first) is str else None
    entry = _sources.get(slot) if slot is not None else None
    if entry is not None and (_identical(part, entry[0]) or (
            entry[0] == part and _same_types(part, entry[1]))):
        return entry[2]
    said, minted = dropped.said(), ir.minted()
    hoisted, messages = parse(part)
    calls, results = {}, []
    for message in messages:
        for piece in message["content"]:
            kind = piece["type"]
            if kind == "tool_call":
                calls[piece["id"]] = piece["name"]
            elif kind == "tool_result":
                results.append((piece["tool_call_id"], piece["name"]))
    clean = dropped.said() == said and ir.minted() == minted
    got = (hoisted, messages, calls, results, clean)
    if slot is not None and clean:
        _remember_source(slot, part, got)
    return got


def _identical(part, other):
    """Whether two rounds hold the very same turn objects (the gateway
    parses a session's next request sharing the unchanged turns of the one
    before): then types and key order are the same too, unwalked."""
    return len(part) == len(other) == round_runs.same_prefix(part, other)


def _typed(value):
    """``(places, string bytes)`` of a client round: the path and type of
    every number and boolean in it (``1``, ``1.0`` and ``true`` are equal in
    Python, different JSON; a float's repr too, for ``-0.0``), and the path
    and key order of every object of two keys or more (``==`` ignores the
    order; a parser that writes an object out, as tool input is, or carries
    it into the IR, as cache marks are, keeps it)."""
    places, size, pending = [], 0, [((), value)]
    while pending:
        path, value = pending.pop()
        if type(value) is dict:
            if len(value) > 1:
                places.append((path, dict, tuple(value)))
            items = value.items()
        else:
            items = enumerate(value)
        for name, item in items:
            kind = type(item)
            if kind is str:
                size += len(item)
            elif kind is dict or kind is list:
                pending.append((path + (name,), item))
            elif item is not None:
                places.append((path + (name,), kind, repr(item) if kind is float else None))
    return places, size


def _same_types(value, places):
    for path, kind, spelled in places:
        item = value
        for name in path:
            item = item[name]
        if kind is dict:
            if tuple(item) != spelled:
                return False
        elif type(item) is not kind or (spelled is not None and repr(item) != spelled):
            return False
    return True


def _remember_source(slot, part, got):
    global _sources, _source_held
    places, size = _typed(part)
    if size > SOURCE_LIMIT:
        return
    if _source_held + size > SOURCE_LIMIT:
        _sources, _source_held = {}, 0
    _sources[slot] = (part, places, got)
    _source_held += size


def _round(key, part, render):
    """``(turns, marks, kept)`` of one round, remembered or rendered;
    ``kept``: it is one the memo keeps (then the same objects render the
    same turns again)."""
    name = _first_call(part)
    if name is None:
        return (*render(part), False)
    slot = (key, name, len(part))
    entry = _rounds.get(slot)
    if entry is not None and entry[0] == part:
        return entry[1], entry[2], True
    said = dropped.said()
    turns, marks = render(part)
    if not marks and dropped.said() == said and _plain(part):
        return turns, marks, _remember(slot, part, turns)
    return turns, marks, False


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
    ``is_error`` flags (booleans), and no part carries a cache mark or any
    other object, nor a list but its ``content``: IR parts hold none, so
    such a value is the client's JSON carried along (a mark, or a malformed
    field), and ``==`` ignores the key order it is written out in."""
    pending = [value]
    while pending:
        value = pending.pop()
        if type(value) is list:
            pending.extend(value)
            continue
        for name, item in value.items():
            kind = type(item)
            if kind is dict or kind is list:
                if kind is dict or name != "content":
                    return False
                pending.append(item)
            elif kind is not str and item is not None \
                    and not (name == "is_error" and kind is bool):
                return False
    return True


def _remember(slot, part, turns):
    """Keep a rendered round; whether it was kept."""
    global _rounds, _fragments, _held
    try:
        written = [orjson.dumps(turn) for turn in turns]
    except TypeError:
        return False
    size = sum(map(len, written))
    if size > LIMIT:
        return False
    if _held + size > LIMIT:
        _rounds, _fragments, _held = {}, {}, 0
    _rounds[slot] = (part, turns, 0)
    for turn, data in zip(turns, written):
        _fragments[id(turn)] = (turn, orjson.Fragment(data))
    _held += size
    return True


def dumps(body, key="messages"):
    """``orjson.dumps(body)``, the remembered turns of its ``key`` list and
    a remembered tool list (``tool_memo.written``) written from their kept
    bytes."""
    tools = body.get("tools")
    tools = tool_memo.written(tools) if type(tools) is list else None
    turns = body.get(key)
    written = None
    if _fragments and type(turns) is list:
        written, todo = _written_before(turns)
        find = _fragments.get
        for at in todo:
            turn = turns[at]
            kept = find(id(turn))
            if kept is not None and kept[0] is turn:
                if written is None:
                    written = list(turns)
                written[at] = kept[1]
        if written is not None:
            _last_written[:] = (turns, written)
    if written is None and tools is None:
        return orjson.dumps(body)
    body = dict(body)
    if written is not None:
        body[key] = written
    if tools is not None:
        body["tools"] = tools
    return orjson.dumps(body)


def _written_before(turns):
    """``(list to write or None, the indexes still to look at)``: the last
    list written, where ``turns`` holds its very objects (a session's next
    request), the turns themselves elsewhere.  The first turn may differ
    alone: a Chat Completions system message is made anew each request."""
    everything = range(len(turns))
    if not _last_written or len(turns) < 2 or len(_last_written[0]) < 2:
        return None, everything
    before, written = _last_written
    if turns[0] is before[0]:
        same = round_runs.same_prefix(turns, before)
        return written[:same] + turns[same:], range(same, len(turns))
    if turns[1] is not before[1]:
        return None, everything
    same = 1 + round_runs.same_prefix(turns[1:], before[1:])
    return turns[:1] + written[1:same] + turns[same:], \
        itertools.chain((0,), range(same, len(turns)))


def forget():
    """Empty the memo (tests)."""
    global _rounds, _fragments, _held, _sources, _source_held
    _rounds, _fragments, _held, _sources, _source_held = {}, {}, 0, {}, 0
    _parse_runs.forget()
    _render_runs.forget()
    _last_written.clear()
