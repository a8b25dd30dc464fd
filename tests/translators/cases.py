"""The translator tests' cases: one JSON file per case under
``tests/fixtures/translators/<folder>/``, a folder per dialect and kind
(``claude/parse_request/``, ``gemini/decode_stream/``, ``history/``...)."""
import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "translators"


def load(*path):
    """One case, e.g. ``load("gemini", "encode_stream", "text")``."""
    *folder, name = path
    return json.loads(ROOT.joinpath(*folder, name + ".json").read_text())


def cases(*folder, names=None):
    """Every case in ``folder`` (only ``names`` when given) as pytest params,
    each with its file name as id, in file-name order."""
    paths = sorted(ROOT.joinpath(*folder).glob("*.json"))
    if names is not None:
        paths = [p for p in paths if p.stem in names]
    assert paths, f"no cases in {ROOT.joinpath(*folder)}"
    return [pytest.param(json.loads(p.read_text()), id=p.stem) for p in paths]
