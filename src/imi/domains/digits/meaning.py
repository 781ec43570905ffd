"""What a digit instruction means, as the instruction reader's slots: action, digit, place."""

from __future__ import annotations

import numpy as np

from imi.core.plugins import Meaning
from imi.domains.digits.scenes import ACTIONS, DIGIT_WORDS, POSITIONS, RULES, TRIPLETS_PER_GLYPH

NOWHERE = "nowhere"  # "remove" names no place
PLACES = [NOWHERE, *POSITIONS]  # the positions of "put" include every direction's name, and "middle"
_RULE_ACTION = np.array([ACTIONS.index(r.action) for r in RULES])
_RULE_PLACE = np.array([PLACES.index(r.where or NOWHERE) for r in RULES])


def labels(split) -> tuple[list[str], dict[str, np.ndarray]]:
    """The split's sentences (every wording × 10 digits × 369 rules, in its phrasing) with their slots."""
    texts = list(split.texts)
    digit, rule = np.divmod(np.arange(len(texts)) % (10 * TRIPLETS_PER_GLYPH), TRIPLETS_PER_GLYPH)
    return texts, {"action": _RULE_ACTION[rule], "digit": digit, "place": _RULE_PLACE[rule]}


def describe(slots: dict[str, str]) -> str:
    """``move three → top left``, ``remove three``, ``put three → middle``."""
    head = f"{slots['action']} {slots['digit']}"
    return head if slots["action"] == "remove" or slots["place"] == NOWHERE else f"{head} → {slots['place']}"


MEANING = Meaning({"action": list(ACTIONS), "digit": list(DIGIT_WORDS), "place": PLACES}, labels, describe)
