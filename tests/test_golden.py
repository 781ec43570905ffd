"""Every shipped checkpoint and judge gives the outputs recorded before the issue-18 refactor.

The record (`tests/golden/outputs.json`) was written by ``python -m tests.golden.record``
on main at the commit that added it; a change that moves code must not move a pixel.
"""

import json

import pytest

from tests.golden.record import FILE, compute


@pytest.fixture(scope="module")
def now():
    return compute()


@pytest.fixture(scope="module")
def recorded():
    return json.loads(FILE.read_text())


def test_inputs_are_the_recorded_ones(now, recorded):
    assert now["inputs"] == recorded["inputs"]


@pytest.mark.parametrize("name", ["digits", "digits-1k", "avatars", "avatars-cosine-5k"])
def test_shipped_checkpoint_edits_bit_identically(now, recorded, name):
    assert now["edits"][name] == recorded["edits"][name]


def test_judges_read_the_same_labels(now, recorded):
    assert now["judges"] == recorded["judges"]


def test_the_record_tells_checkpoints_apart(recorded):
    """A record in which two models (or two seeds of a noisy model) hash alike could not catch a swap."""
    per_model = [tuple(h for s in (0, 3) for h in edits[str(s)]) for edits in recorded["edits"].values()]
    assert len(set(per_model)) == len(per_model)
