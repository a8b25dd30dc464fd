"""The worker's one current instance of something, swapped whole.

A gunicorn worker has one runtime, one state store, one usage store, one
metrics registry, one live feed and at most one config watcher.  Each of
those modules keeps its instance in a ``Slot`` (most export the slot's
``install`` and ``current``):
``install`` swaps in a new instance (a reload, setup after the fork, a
test); ``current`` returns the installed one.  Readers never lock: a swap
is one attribute assignment, and a reader keeps the instance it got.
"""


class Slot:
    """Holds one instance; ``make``, if given, makes it on first ``current()``."""

    __slots__ = ("value", "_make")

    def __init__(self, make=None):
        self.value = None           # the installed instance, None while empty
        self._make = make

    def install(self, value):
        self.value = value

    def current(self):
        value = self.value
        if value is None and self._make is not None:
            value = self.value = self._make()
        return value
