"""Seeded sampling of avatars and of one-attribute edits.

An :class:`Edit` changes exactly one attribute of a source record, as in
the paper's AIMI set. When the change makes a dependent colour visible
(a bald avatar gets hair, a clean-shaven one a beard) the colour is drawn
too and named by the instruction ("give him short red hair"); when it hides
the colour, the colour becomes ``"none"``. Everything is a pure function of
the ``numpy`` generator handed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imi.domains.avatars.attributes import ATTRIBUTES, COLOUR_OF, NAMES, Record, attribute

KINDS = ("add", "remove", "change")
# Facial hair and glasses are absent half the time, as on python-avatars'
# own random avatars; everything else is uniform over its values.
_EMPTY_SHARE = {"facial_hair": 0.5, "glasses": 0.5}


@dataclass(frozen=True)
class Edit:
    """One instruction-sized change.

    Attributes:
        attribute: the attribute that changes (a dependent colour that rides
            along is not counted; see :attr:`colour`).
        kind: ``"add"`` (from the empty value), ``"remove"`` (to it) or ``"change"``.
        step: +1 / −1 when source and target are neighbours on an ordered
            scale (darker skin, longer beard), else 0.
        source, target: the two records; they differ in ``attribute`` and,
            for add / remove, in its colour.
    """

    attribute: str
    kind: str
    step: int
    source: Record
    target: Record

    @property
    def colour(self) -> str | None:
        """The colour an *add* reveals (named in the instruction), else ``None``."""
        name = COLOUR_OF.get(self.attribute)
        return self.target[name] if name and self.kind == "add" else None

    @property
    def value(self) -> str:
        return self.target[self.attribute]

    @property
    def old(self) -> str:
        return self.source[self.attribute]


def sample_record(rng: np.random.Generator) -> Record:
    """A random avatar with consistent dependent colours."""
    values = {}
    for a in ATTRIBUTES:
        if a.depends_on:
            continue
        if a.name in _EMPTY_SHARE and rng.random() < _EMPTY_SHARE[a.name]:
            values[a.name] = a.empty
        else:
            choices = [v for v in a.values if v != a.empty] if a.name in _EMPTY_SHARE else list(a.values)
            values[a.name] = choices[rng.integers(len(choices))]
    for a in ATTRIBUTES:
        if a.depends_on:
            hidden = values[a.depends_on[0]] == a.depends_on[1]
            values[a.name] = "none" if hidden else _random_colour(rng, a.name)
    return Record.from_names(**values)


def _random_colour(rng: np.random.Generator, name: str, exclude: str = "none") -> str:
    choices = [v for v in attribute(name).values if v not in ("none", exclude)]
    return choices[rng.integers(len(choices))]


def editable(record: Record) -> list[str]:
    """Attributes an instruction can change on ``record`` (hidden colours cannot)."""
    return [n for n in NAMES if record.observable(n)]


def sample_edit(rng: np.random.Generator, source: Record, name: str | None = None) -> Edit:
    """A random one-attribute edit of ``source`` (of attribute ``name`` if given)."""
    names = editable(source)
    if name is None:
        name = names[rng.integers(len(names))]
    elif name not in names:
        raise ValueError(f"{name} is hidden on this avatar and cannot be edited")
    a = attribute(name)
    old = source[name]
    choices = [v for v in a.values if v not in (old, "none" if a.depends_on else None)]
    new = choices[rng.integers(len(choices))]
    changes = {name: new}
    kind = "change"
    if a.empty is not None and old == a.empty:
        kind = "add"
    elif a.empty is not None and new == a.empty:
        kind = "remove"
    if name in COLOUR_OF:
        colour = COLOUR_OF[name]
        if kind == "add":
            changes[colour] = _random_colour(rng, colour)
        elif kind == "remove":
            changes[colour] = "none"
    step = 0
    if old in a.ordered and new in a.ordered:
        delta = a.ordered.index(new) - a.ordered.index(old)
        step = delta if abs(delta) == 1 else 0
    return Edit(name, kind, step, source, source.replace(**changes))


def records_array(records: list[Record]) -> np.ndarray:
    """``(N, len(ATTRIBUTES))`` uint8, the form caches and recognisers use."""
    return np.array([r.values for r in records], dtype=np.uint8).reshape(len(records), len(ATTRIBUTES))
