"""json_resume answers every request of a random session as a whole read.

Hypothesis seeds sessions of the four conversation shapes (Anthropic and
Chat Completions ``messages``, Responses ``input``, Gemini ``contents``):
a body, then 2-8 more, each read in turn by ``json_resume.top_level`` and
compared with ``json_top.top_level`` on the same bytes with no memory (the
oracle, ``test_json_resume.agree``), or parsed whole by
``json_resume.parsed`` and compared with ``orjson.loads`` (value or error,
``agree_parsed``), or both in either order, as a session whose requests go
now to an upstream of its own dialect, now to a translated one; at the
end, every answer given in the session must still be what it was.
What a session sends next:

- the conversation grown by 1-3 turns (Anthropic's cache mark moving to
  the new last turn), cut back, resent as it was;
- top-level members reordered, added, removed, spelled with an escape,
  a number changed into another or the same of another type (``1``,
  ``1.0``, ``true``, ``-0.0``);
- the same JSON written with other whitespace (compact, spaced, indented,
  CRLF, odd spaces around ``,`` and ``:``);
- and, a request in four, something a parser must refuse or read otherwise: a byte
  changed before, inside or after the conversation (in a string, a key, a
  number, a structural character), a number or literal made longer where
  it ended (``12`` then ``12.5``: the old value ended on a checkpoint), a
  key repeated after the conversation, a tail truncated, garbage after the
  ``}``, a comma missing, a string left open where the bodies part, bytes
  that are no UTF-8 (a lone continuation byte where they part), ``1e999``
  where it is read or not, nesting, the conversation no array this time,
  or the old body left inside one of its strings followed by bytes that
  would read were a checkpoint taken in there.

The reads pass ``keep``, ``heads`` and (mostly) ``turns`` as the gateway
does, changing between requests now and then.  Two or three sessions may
interleave, under one client key (``scope``) or two.  A session is a
random.Random seeded by hypothesis (its own draws would make building it
the slow part); a failure prints the seed, ``run(seed)`` replays it.
"""
import copy
import json
import random

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proxy.wire import json_resume, json_top
from tests.proxy.test_json_resume import (agree, agree_parsed,  # noqa: F401 (a fixture)
                                          remembered_from_any_size, same)

SETTINGS = settings(max_examples=1200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))

SHAPES = ("claude", "openai", "responses", "gemini")
TURNS = {"claude": "messages", "openai": "messages", "responses": "input",
         "gemini": "contents"}
KEEP = ("stream_options", "prompt_cache_key", "metadata")

# Texts that look like JSON's structure from inside a string, escapes that
# end on a quote or a backslash, characters of every UTF-8 length.
TEXTS = ("", "ok", "Fix the failing tests in src/.", 'say "hi"', "a\\", '\\"', "]", "}",
         "},{", '"},{"role":"user","content":"', "1, 2, [3], {}, null", '"]}, "model": "x',
         "\u00e9\u4e2d\U0001F600", "\u2028", "\x7f", "\t\n", "{[\"x", "\\u0000", "a,b:c")
LEAVES = (0, 1, -1, 0.0, -0.0, 1.0, 2.5, 1e16, 1e-07, 18446744073709551616, True, False,
          None, "", "1")
MARK = {"type": "ephemeral"}


def _pick(rng, choices):
    return choices[rng.randrange(len(choices))]


def _value(rng, depth=0):
    kind = rng.randrange(6 if depth < 2 else 4)
    if kind == 4:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    if kind == 5:
        return {key: _value(rng, depth + 1) for key in rng.sample("pqr", rng.randrange(4))}
    return _pick(rng, LEAVES if kind < 3 else TEXTS)


def _turn(rng, shape, index):
    """One element of the conversation: mostly a turn of the shape, now
    and then any JSON value (a client past the front door's checks)."""
    if rng.randrange(6) == 0:
        return _value(rng)
    text = _pick(rng, TEXTS)
    user = index % 2 == 0
    if shape == "claude":
        if rng.randrange(2):
            return {"role": "user" if user else "assistant", "content": text}
        blocks = [{"type": "text", "text": text}]
        if not user and rng.randrange(2):
            blocks.append({"type": "tool_use", "id": f"toolu_{index}", "name": "Read",
                           "input": _value(rng, 1)})
        return {"role": "user" if user else "assistant", "content": blocks}
    if shape == "openai":
        if user:
            return {"role": "user", "content": text}
        return {"role": "assistant", "content": text or None, "tool_calls": [
            {"id": f"call_{index}", "type": "function",
             "function": {"name": "Read", "arguments": json.dumps(_value(rng, 1))}}]}
    if shape == "responses":
        if user:
            return {"type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": text}]}
        return {"type": "function_call_output", "call_id": f"call_{index}", "output": text}
    return {"role": "user" if user else "model", "parts": [
        {"text": text} if user or rng.randrange(2) else
        {"functionCall": {"name": "Read", "args": _value(rng, 1)}}]}


def _members(rng, shape):
    """The top-level members other than the conversation, ``[name, value]``."""
    pool = {
        "claude": [("model", "claude-x"), ("max_tokens", 32000), ("stream", True),
                   ("system", [{"type": "text", "text": "sys", "cache_control": MARK}]),
                   ("tools", [{"name": "Read", "input_schema": {"type": "object"}}]),
                   ("metadata", {"user_id": "u\u00e9"}), ("temperature", 0.5)],
        "openai": [("model", "gpt-x"), ("stream", False),
                   ("stream_options", {"include_usage": True}),
                   ("tools", [{"type": "function", "function": {"name": "Read"}}]),
                   ("temperature", 1), ("n", 1), ("user", "u")],
        "responses": [("model", "gpt-x"), ("stream", True), ("store", False),
                      ("instructions", "sys"), ("prompt_cache_key", "k1"),
                      ("metadata", {"a": [1, 2.5]}), ("reasoning", {"effort": "low"})],
        "gemini": [("generationConfig", {"temperature": 0.0, "maxOutputTokens": 100}),
                   ("systemInstruction", {"parts": [{"text": "sys"}]}),
                   ("safetySettings", []), ("tools", [{"functionDeclarations": []}])],
    }[shape]
    chosen = [list(copy.deepcopy(member)) for member in pool if rng.randrange(3)]
    rng.shuffle(chosen)
    return chosen


# --- writing a body ---------------------------------------------------------------

def _style(rng):
    """How a client writes its JSON: separators, indent, CRLF, ASCII only."""
    kind = rng.randrange(6)
    spaces = ("", " ", "\n", "\t", "\r\n", "  ")
    if kind == 0:
        separators, indent = (",", ":"), None
    elif kind == 1:
        separators, indent = (", ", ": "), None
    elif kind == 2:
        separators, indent = (",", ": "), _pick(rng, (2, "\t"))
    elif kind == 3:
        separators, indent = (",", ": "), 2
    else:
        separators = (_pick(rng, spaces) + "," + _pick(rng, spaces),
                      _pick(rng, spaces) + ":" + _pick(rng, spaces))
        indent = None
    return {"separators": separators, "indent": indent, "crlf": kind == 3,
            "ascii": rng.randrange(3) == 0,
            "around": (_pick(rng, ("", "", " ", "\n")), _pick(rng, ("", "", "\n", " \r\n")))}


def _spelling(name, rng=None):
    """``name`` as a JSON string, now and then with a character escaped."""
    text = json.dumps(name, ensure_ascii=False)
    if rng is None or not name or rng.randrange(8):
        return text
    at = rng.randrange(len(name))
    return text[:at + 1] + "\\u%04x" % ord(name[at]) + text[at + 2:]


def _write(session):
    """The body's bytes and the span of its conversation's value."""
    style = session["style"]
    item, colon = style["separators"]
    indent = style["indent"]
    pad = "" if indent is None else "\n" + (" " * indent if isinstance(indent, int) else indent)
    pieces, at, span = [style["around"][0] + "{"], None, None
    for index, (spelling, value) in enumerate(session["members"]):
        if index:
            pieces.append(item)
        text = json.dumps(value, separators=style["separators"], indent=indent,
                          ensure_ascii=style["ascii"])
        pieces.append(pad + spelling + colon)
        if pad:
            text = text.replace("\n", pad)
        if value is session["turns"]:
            at = sum(len(piece.encode()) for piece in pieces)
            span = (at, at + len(text.encode()))
        pieces.append(text)
    pieces.append(("\n" if pad else "") + "}" + style["around"][1])
    raw = "".join(pieces).encode()
    if style["crlf"]:
        before = raw[:span[0]].count(b"\n") if span else 0
        inside = raw[span[0]:span[1]].count(b"\n") if span else 0
        raw = raw.replace(b"\n", b"\r\n")
        span = span and (span[0] + before, span[1] + before + inside)
    return raw, span or (len(raw), len(raw))


def _session(rng):
    shape = _pick(rng, SHAPES)
    name = TURNS[shape]
    count = _pick(rng, (0, 1, 3, 7, 8, 9, 10, 12, 16, 24))
    turns = [_turn(rng, shape, i) for i in range(count)]
    members = [[_spelling(member, rng), value] for member, value in _members(rng, shape)]
    members.insert(_pick(rng, (0, len(members), rng.randrange(len(members) + 1))),
                   [_spelling(name), turns])
    session = {"shape": shape, "name": name, "turns": turns, "members": members,
               "style": _style(rng), "heads": (name,), "keep": KEEP, "sent": None,
               "scope": _pick(rng, ("", "", "", "key-2"))}
    _mark_last(session)
    return session


def _mark_last(session):
    """Anthropic clients mark the conversation's last turn for the cache:
    the mark moves as it grows."""
    if session["shape"] != "claude":
        return
    for turn in session["turns"]:
        if isinstance(turn, dict) and isinstance(turn.get("content"), list):
            for block in turn["content"]:
                if isinstance(block, dict):
                    block.pop("cache_control", None)
    if session["turns"] and isinstance(session["turns"][-1], dict):
        last = session["turns"][-1]
        if isinstance(last.get("content"), str):
            last["content"] = [{"type": "text", "text": last["content"]}]
        if isinstance(last.get("content"), list) and last["content"]:
            last["content"][-1]["cache_control"] = dict(MARK)


# --- what the session does next -------------------------------------------------

def _grow(rng, session):
    turns = session["turns"]
    for _ in range(1 + rng.randrange(3)):
        turns.append(_turn(rng, session["shape"], len(turns)))
    _mark_last(session)


def _rewind(rng, session):
    del session["turns"][rng.randrange(len(session["turns"]) + 1):]
    _mark_last(session)


def _reorder(rng, session):
    members = session["members"]
    kind = rng.randrange(4)
    others = [m for m in members if m[1] is not session["turns"]]
    if kind == 0:
        rng.shuffle(members)
    elif kind == 1 and others:
        members.remove(_pick(rng, others))
    elif kind == 2:
        names = {json.loads(spelling) for spelling, _ in members}
        name = _pick(rng, ("extra", "n", "top_p", "\u00e9", ""))
        if name not in names:
            members.insert(rng.randrange(len(members) + 1), [_spelling(name, rng), _value(rng)])
    else:
        member = _pick(rng, members)
        if isinstance(member[1], (int, float)) or member[1] is None:
            member[1] = _pick(rng, LEAVES)
        member[0] = _spelling(json.loads(member[0]), rng)


def _restyle(rng, session):
    session["style"] = _style(rng)


def _retype(rng, session):
    """Session affinity on or off, another field kept whole."""
    session["heads"] = _pick(rng, ((session["name"],), (), ("messages", "input", "contents"),
                                   ("input", "contents", "messages")))
    session["keep"] = _pick(rng, (KEEP, (), KEEP + (session["name"],)))


STEPS = ((_grow, 10), (_rewind, 2), (_reorder, 2), (_restyle, 1), (_retype, 1), (None, 2))
_STEP_CHOICES = [step for step, weight in STEPS for _ in range(weight)]


# --- one request that goes wrong (or right in an unusual way) ----------------------

_BYTES = (b'"', b"\\", b"{", b"}", b"[", b"]", b":", b",", b" ", b"0", b"9", b"-", b"e",
          b"a", b"\xff", b"\x80", b"\x01", b"\n", b"\xc3", b"\xed\xa0\x80", b"\\u")


def _classes(raw):
    """Each byte's part of the JSON text: "s" a string value, "k" a key,
    "n" a number or literal, "p" punctuation, "w" whitespace."""
    out = bytearray(b"w" * len(raw))
    at, size = 0, len(raw)
    while at < size:
        byte = raw[at]
        if byte == 0x22:
            end = at + 1
            while end < size and raw[end] != 0x22:
                end += 2 if raw[end] == 0x5C else 1
            after = end + 1
            while after < size and raw[after] in b" \t\r\n":
                after += 1
            kind = b"k" if after < size and raw[after] == 0x3A else b"s"
            out[at:end + 1] = kind * (min(end, size - 1) + 1 - at)
            at = end + 1
            continue
        out[at] = ord("p") if byte in b"{}[],:" else ord("w") if byte in b" \t\r\n" \
            else ord("n")
        at += 1
    return bytes(out)


def _position(rng, raw, span, region, kinds):
    """A random byte of ``raw`` in ``region`` (before / inside / after the
    conversation's span) of one of ``kinds``, or None."""
    low, high = {"before": (0, span[0]), "inside": span, "after": (span[1], len(raw)),
                 "any": (0, len(raw))}[region]
    classes = _classes(raw)
    places = [at for at in range(low, high) if chr(classes[at]) in kinds]
    return _pick(rng, places) if places else None


def _common(a, b):
    size = min(len(a), len(b))
    at = 0
    while at < size and a[at] == b[at]:
        at += 1
    return at


def _odd(rng, raw, span, previous):
    """``raw`` made into what a parser must refuse, or read otherwise."""
    common = _common(previous, raw) if previous else 0
    kind = rng.randrange(13)
    if kind == 12:                                      # a number or literal made longer
        classes = _classes(raw)
        low, high = span if rng.randrange(2) else (1, len(raw))
        ends = [at for at in range(max(low, 1), high) if classes[at - 1] == ord("n")
                and classes[at] != ord("n")]
        if not ends:
            return raw
        at = _pick(rng, ends)
        return raw[:at] + _pick(rng, (b"0", b".5", b"e3", b"E-2", b"x", b"1e999")) + raw[at:]
    if kind == 11:                                      # the conversation no array this time
        return raw[:span[0]] + _pick(rng, (b'"text"', b'{"role":"user"}', b"null", b"1",
                                           b"[[]]")) + raw[span[1]:]
    if kind == 0:                                       # one byte changed anywhere
        at = _position(rng, raw, span, _pick(rng, ("before", "inside", "after", "any")),
                       _pick(rng, ("s", "k", "n", "p", "spnkw")))
        if at is None:
            return raw
        new = _pick(rng, _BYTES)
        how = rng.randrange(3)
        return raw[:at] + (new if how < 2 else b"") + raw[at + (how != 1):]
    if kind == 1:                                       # a key repeated after the conversation
        repeated = _pick(rng, (b'"model":"m"', b'"mod\\u0065l":"m"', b'"messages":[]',
                               b'"input":[1]', b'"contents":{}', b'"":0', b'"stream":true',
                               b'"prompt_cache_key":"k1"'))
        close = raw.rindex(b"}")
        return raw[:close] + b"," + repeated + raw[close:]
    tail = max(common - 3, 0)
    if kind == 2:                                       # truncated after the shared part
        return raw[:rng.randrange(tail, len(raw))]
    if kind == 3:
        return raw + _pick(rng, (b"x", b"}", b",", b"\x00", b" {}", b"]", b'"', b"\xff", b" "))
    if kind == 4:                                       # a comma missing
        commas = [at for at in range(tail, len(raw)) if raw[at] == 0x2C
                  and _classes(raw)[at] == ord("p")]
        return raw[:commas[0]] + raw[commas[0] + 1:] if commas else raw
    if kind == 5:                                       # a string left open where they part
        at = min(common, len(raw))
        return raw[:at] + _pick(rng, (b'"', b',"', b'"abc\\"')) + raw[at:at + rng.randrange(20)]
    if kind == 6:                                       # no UTF-8, only after the shared part
        at = _position(rng, raw[:len(raw)], (tail, len(raw)), "inside", "s") or common
        return raw[:at] + _pick(rng, (b"\xff", b"\xed\xa0\x80", b"\xc3", b"\x80", b"\xe4\xb8",
                                      b"\xf4\x90\x80\x80", b"\xc0\xaf")) + raw[at:]
    if kind == 7:                                       # a lone continuation byte where they part
        at = min(common + rng.randrange(-1, 2), len(raw))
        return raw[:max(at, 0)] + b"\x80" + raw[max(at, 0):]
    if kind == 8:                                       # out of range where it is read, or not
        close = raw.rindex(b"}")
        member = _pick(rng, (b',"t":1e999', b',"t":-1E400', b',"metadata":{"n":1e999}',
                             b',"x":[1e999]'))
        if rng.randrange(2) or span[1] <= span[0] + 2:
            return raw[:close] + member + raw[close:]
        last = raw.rindex(b"]", span[0], span[1])
        return raw[:last] + b",[1e999]" + raw[last:]
    if kind == 9:                                       # nesting, away from msgspec's limit
        depth = _pick(rng, (3, 100, 500, 1100, 3000))
        nested = b"[" * depth + b"]" * depth
        if span[1] <= span[0] + 2:
            return raw
        last = raw.rindex(b"]", span[0], span[1])
        return raw[:last] + b"," + nested + raw[last:]
    # the old body left inside one of its strings, then bytes that would
    # read were a checkpoint taken in there
    if not previous:
        return raw
    strings = [at for at, kind in enumerate(_classes(previous)) if kind == ord("s")]
    if not strings:
        return raw
    at = _pick(rng, strings)
    rest = _pick(rng, (b'"]}', b"]}", b'"}]}', b",1]}", b'"},{"role":"user"}]}', b"1]}",
                       b'"],"model":"m"}', previous[span[1] - 1:] if span[1] else b"}"))
    return previous[:at] + rest


# --- the property ------------------------------------------------------------------------

def _send(rng, session, answers):
    """Read the session's next request as the gateway would (at the top
    level, parsed whole, or both); remember the answers in ``answers``."""
    raw, span = _write(session)
    sent = raw
    if rng.randrange(4) == 0:
        sent = _odd(rng, raw, span, session["sent"])
    elif session["sent"] == raw and rng.randrange(2):
        sent = session["sent"]                          # the very same object again
    # the gateway names the dialect's conversation as ``turns`` whether or
    # not session affinity reads its heads
    turns = session["name"] if rng.randrange(4) else None
    reads = _pick(rng, ("top", "top", "parsed", "top parsed", "parsed top")).split()
    for read in reads:
        if read == "top":
            keep, heads = session["keep"], session["heads"]
            top = agree(sent, keep, heads, turns=turns, scope=session["scope"])
            answers.append((sent, keep, heads, top))
        else:
            body = agree_parsed(sent, turns=turns, scope=session["scope"])
            answers.append((sent, None, None, body))
    session["sent"] = raw
    return sent


def _unchanged(answers):
    """Every answer given so far is still the oracle's for its body."""
    for raw, keep, heads, answer in answers:
        if answer is None:
            continue
        if keep is None:
            assert same(answer, orjson.loads(raw)), raw[:300]
            continue
        want = json_top.top_level(raw, keep, heads)
        assert same(dict(answer), dict(want)) and same(answer.heads, want.heads), raw[:300]
        assert answer.spans == want.spans and answer.raw is raw


def run(seed):
    json_resume.forget()
    rng = random.Random(seed)
    sessions = [_session(rng) for _ in range(_pick(rng, (1, 1, 1, 2, 3)))]
    answers = []
    for session in sessions:
        _send(rng, session, answers)
    for _ in range(2 + rng.randrange(7)):
        session = _pick(rng, sessions)
        step = _pick(rng, _STEP_CHOICES)
        if step is not None:
            step(rng, session)
        _send(rng, session, answers)
    _unchanged(answers)         # a change made to an answer stays: checked once, at the end


@SETTINGS
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_every_request_of_random_sessions_reads_and_parses_as_with_no_memory(seed):
    run(seed)
