"""The last passes over a session's rounds, so that a pass over the next
request's list takes up where that list stops holding the very same objects.

An agent's next request repeats the conversation of the one before and adds
a round trip.  The gateway parses such a request sharing the unchanged
turns' objects with the request before, and the memos here return the very
IR and rendered turns they returned then, so every stage of a translation
receives a list whose leading items are the objects it saw last time.  A
stage that walks its list round by round (``translators.turn_memo``) costs a
few microseconds a round even when each round is remembered: over a
hundred rounds late in a session, most of what is left of a translation.

A ``Runs`` keeps each stage's last few passes: the list passed over, where
each round ended, and what the stage made of each round.  ``resume`` finds
the pass over a list with the same first object and says how many of its
rounds end before the first item that is not the same object.  Those rounds
need no second look: a round's result depends only on its items and on the
rounds before it, the same objects; and a round ending before the first
changed item ends there in the new list too, as where a round starts
depends only on the item there and the one before.  A stage keeps a round
for resuming only when it could have remembered it anyway (nothing dropped,
no id minted): what ``resume`` offers is never more than the stage allows.
A stage's rounds are its own: the history check (``translators.history``)
takes up at an assistant turn, in the state its walk had there.
"""
import bisect
import operator

KEPT = 4                # passes kept per stage and key: sessions at once


class Run:
    """One pass: ``items`` (the list), ``ends`` (where each round ends),
    ``rounds`` (what the stage made of each), ``usable`` (how many leading
    rounds may be resumed from) and whatever else the stage keeps in
    ``extra``."""
    __slots__ = ("items", "ends", "rounds", "usable", "extra")

    def __init__(self, items, ends, rounds, usable, extra=None):
        self.items, self.ends, self.rounds = items, ends, rounds
        self.usable, self.extra = usable, extra


class Runs:
    """The last ``KEPT`` passes of one stage, per key."""

    def __init__(self):
        self._runs = {}

    def resume(self, key, items):
        """``(run, count)``: the kept pass over a list whose first item is
        ``items``' first, and how many of its leading rounds lie wholly
        before the first item of ``items`` that is not its item there;
        ``(None, 0)`` when there is none."""
        if type(items) is not list or not items:
            return None, 0
        first = items[0]
        for run in self._runs.get(key, ()):
            if run.items[0] is first:
                same = same_prefix(items, run.items)
                return run, min(bisect.bisect_left(run.ends, same), run.usable)
        return None, 0

    def keep(self, key, run):
        """Keep ``run`` as ``key``'s newest pass (one over a list with the
        same first item goes: the session moved on)."""
        first = run.items[0]
        kept = [old for old in self._runs.get(key, ()) if old.items[0] is not first]
        self._runs[key] = [run] + kept[:KEPT - 1]

    def forget(self):
        self._runs.clear()


def same_prefix(items, other):
    """How many leading items of the two lists are the same objects."""
    same = list(map(operator.is_, items, other))
    try:
        return same.index(False)
    except ValueError:
        return len(same)
