"""What an avatar instruction means, as the instruction reader's slot: the attribute and its new value."""

from __future__ import annotations

import numpy as np

from imi.core.plugins import Meaning
from imi.domains.avatars.attributes import ATTRIBUTES, BY_NAME, NAMES

CHANGES = [f"{a.name}={v}" for a in ATTRIBUTES for v in a.values]
_OFFSET = np.cumsum([0, *(len(a.values) for a in ATTRIBUTES)])[:-1]


def labels(split) -> tuple[list[str], dict[str, np.ndarray]]:
    """Every sentence of the split (its phrasing) with the index of ``attribute=new value`` in CHANGES."""
    attribute = np.array([NAMES.index(m["attribute"]) for m in split.meta])
    value = np.asarray(split.target_attrs)[np.arange(len(attribute)), attribute]
    return list(split.instructions), {"change": _OFFSET[attribute] + value}


def describe(slots: dict[str, str]) -> str:
    """``glasses → round``, ``hair colour → grey``."""
    name, value = slots["change"].split("=", 1)
    return f"{BY_NAME[name].noun} → {value}"


MEANING = Meaning({"change": CHANGES}, labels, describe)
