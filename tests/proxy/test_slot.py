"""Slot: the worker's one current instance of something."""
from proxy.slot import Slot


def test_empty_slot_without_a_maker_holds_nothing():
    slot = Slot()
    assert slot.current() is None
    slot.install("runtime")
    assert slot.current() == "runtime"


def test_a_maker_runs_once_on_first_use_and_an_install_replaces_its_product():
    made = []
    slot = Slot(make=lambda: made.append(object()) or made[-1])
    first = slot.current()
    assert slot.current() is first and made == [first]
    replacement = object()
    slot.install(replacement)
    assert slot.current() is replacement and len(made) == 1
    slot.install(None)                     # emptied: made afresh when next asked for
    assert slot.current() is not first and len(made) == 2
