"""Scenes and instruction rules of the digit manipulation benchmark (SPEC §2).

A scene is ``(digit, x, y, w, h)`` on a 3×3 grid of 28×28 cells. Every glyph
gets the same 369 triplets: the table below is built once from the rules and a
triplet is looked up by its index, so nothing grows with the data set size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

GRID = 3
CELL = 28
CANVAS = GRID * CELL  # 84 px

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ACTIONS = ("put", "remove", "move", "expand", "compress")
# (dx, dy) of each direction; x grows to the right, y grows downwards.
DIRECTIONS: dict[str, tuple[int, int]] = {
    "top": (0, -1),
    "bottom": (0, 1),
    "left": (-1, 0),
    "right": (1, 0),
    "top left": (-1, -1),
    "top right": (1, -1),
    "bottom left": (-1, 1),
    "bottom right": (1, 1),
}
# Cells of "put", as (x, y).
POSITIONS: dict[str, tuple[int, int]] = {
    "top": (1, 0),
    "bottom": (1, 2),
    "left": (0, 1),
    "right": (2, 1),
    "top left": (0, 0),
    "top right": (2, 0),
    "bottom left": (0, 2),
    "bottom right": (2, 2),
    "middle": (1, 1),
}
TEMPLATES = {
    "put": "put {digit} on the {where}",
    "remove": "remove {digit}",
    "move": "move {digit} to the {where}",
    "expand": "expand {digit} to the {where}",
    "compress": "compress {digit} to the {where}",
}
# Held-out phrasing (issue 22): what people type instead of the five templates. Apart from the digit
# (a numeral in half the sentences), "the", "to", "left" and "right", no word below appears in the
# templates (tests/test_sentences.py checks it). A model
# trained on the templates meets these only at evaluation, as the avatars' held-out phrasings.
HELDOUT_TEMPLATES = {
    "put": ("place a {digit} in the {where}", "draw a {digit} at the {where}", "add a {digit} in the {where}"),
    "remove": ("erase the {digit}", "delete the {digit}", "clear away the {digit}", "get rid of the {digit}"),
    "move": ("shift the {digit} {where}", "slide the {digit} {where}", "nudge the {digit} {where}"),
    "expand": ("enlarge the {digit} {where}", "grow the {digit} {where}", "stretch the {digit} {where}"),
    "compress": ("shrink the {digit} {where}", "squeeze the {digit} {where}", "squash the {digit} {where}"),
}
# More ways to say the templates, for training a sentence-encoder model (``data.train_phrasing
# "varied"``): five templates teach a reader that only those words matter. None of their words
# is a held-out word below, except the digit, "the", "to", "a", "left" and "right" (tests check).
VARIED_TEMPLATES = {
    "put": ("put {digit} on the {where}", "write a {digit} on the {where}", "insert {digit} on the {where}",
            "paint a {digit} on the {where} square", "there should be a {digit} on the {where}"),
    "remove": ("remove {digit}", "remove the {digit}", "take out the {digit}", "wipe out the {digit}",
               "take the {digit} off"),
    "move": ("move {digit} to the {where}", "relocate the {digit} to the {where}", "transfer the {digit} {dir}",
             "drag the {digit} {dir}", "move the {digit} {dir}"),
    "expand": ("expand {digit} to the {where}", "make the {digit} bigger on the {where} side",
               "extend the {digit} to the {where}", "make the {digit} larger on the {where} side",
               "scale up the {digit} on the {where} side"),
    "compress": ("compress {digit} to the {where}", "make the {digit} smaller on the {where} side",
                 "reduce the {digit} to the {where}", "make the {digit} tinier on the {where} side",
                 "scale down the {digit} on the {where} side"),
}  # fmt: skip
VARIED_DIRECTIONS = {
    "top": "up",
    "bottom": "down",
    "left": "to the left side",
    "right": "to the right side",
    "top left": "up and to the left",
    "top right": "up and to the right",
    "bottom left": "down and to the left",
    "bottom right": "down and to the right",
}
# Cells for "put", and directions for move / expand / compress, in other words ("left" and "right"
# stay: people have no other words for them, but the constructions around them are new).
HELDOUT_POSITIONS = {
    "top": "upper centre",
    "bottom": "lower centre",
    "left": "left edge",
    "right": "right edge",
    "top left": "upper left corner",
    "top right": "upper right corner",
    "bottom left": "lower left corner",
    "bottom right": "lower right corner",
    "middle": "centre",
}
HELDOUT_DIRECTIONS = {
    "top": "upward",
    "bottom": "downward",
    "left": "leftward",
    "right": "rightward",
    "top left": "toward the upper left",
    "top right": "toward the upper right",
    "bottom left": "toward the lower left",
    "bottom right": "toward the lower right",
}
NULL_DIGIT = 10  # class index of the empty canvas for the auxiliary heads
LABEL_SIZES = {"digit": 11, "x": 3, "y": 3, "w": 4, "h": 4}


class Scene(NamedTuple):
    """``digit`` in 0..9 or ``None`` (empty canvas, then x = y = w = h = 0)."""

    digit: int | None
    x: int
    y: int
    w: int
    h: int

    @property
    def is_null(self) -> bool:
        return self.digit is None

    def renderable(self) -> bool:
        if self.is_null:
            return (self.x, self.y, self.w, self.h) == (0, 0, 0, 0)
        return (
            self.x >= 0
            and self.y >= 0
            and self.w >= 1
            and self.h >= 1
            and self.x + self.w <= GRID
            and self.y + self.h <= GRID
        )

    def labels(self) -> tuple[int, int, int, int, int]:
        """Auxiliary-classifier targets ``(digit ∈ 0..10, x, y, w, h)``."""
        return (NULL_DIGIT if self.digit is None else self.digit, self.x, self.y, self.w, self.h)

    def to_json(self) -> dict[str, int | None]:
        return {"digit": self.digit, "x": self.x, "y": self.y, "w": self.w, "h": self.h}


NULL_SCENE = Scene(None, 0, 0, 0, 0)


def boxes() -> list[tuple[int, int, int, int]]:
    """The 36 renderable ``(x, y, w, h)`` boxes, row-major by (y, x, h, w)."""
    return [
        (x, y, w, h)
        for y in range(GRID)
        for x in range(GRID)
        for h in range(1, GRID + 1)
        for w in range(1, GRID + 1)
        if x + w <= GRID and y + h <= GRID
    ]


def source_scenes(digit: int) -> list[Scene]:
    """The 37 source scenes of a glyph: the empty canvas, then the 36 boxes."""
    return [NULL_SCENE] + [Scene(digit, *b) for b in boxes()]


def _axis(pos: int, size: int, step: int, action: str) -> tuple[int, int]:
    """Apply one axis component of a direction. ``step`` is −1, 0 or +1."""
    if step == 0:
        return pos, size
    if action == "move":
        return pos + step, size
    if action == "expand":  # grow toward the direction
        return (pos - 1, size + 1) if step < 0 else (pos, size + 1)
    if action == "compress":  # shrink, keeping the edge on that side
        return (pos, size - 1) if step < 0 else (pos + 1, size - 1)
    raise ValueError(f"no axis rule for action {action!r}")


def apply(source: Scene, action: str, where: str | None, digit: int) -> Scene:
    """Target scene of an instruction; it may be unrenderable (then it is invalid).

    Args:
        source: the scene before the edit.
        action: one of ``ACTIONS``.
        where: a position for "put", a direction for move/expand/compress,
            ``None`` for "remove".
        digit: the instruction's digit (the class of the glyph).
    """
    if action == "put":
        x, y = POSITIONS[where]
        return Scene(digit, x, y, 1, 1)
    if action == "remove":
        return NULL_SCENE
    dx, dy = DIRECTIONS[where]
    x, w = _axis(source.x, source.w, dx, action)
    y, h = _axis(source.y, source.h, dy, action)
    return Scene(source.digit, x, y, w, h)


@dataclass(frozen=True)
class TripletRule:
    """One of the 369 per-glyph triplets, independent of the digit class.

    ``source`` and ``target`` are boxes ``(x, y, w, h)`` or ``None`` for the
    empty canvas; the digit is filled in from the glyph's label.
    """

    action: str
    where: str | None
    source: tuple[int, int, int, int] | None
    target: tuple[int, int, int, int] | None

    def instruction(self, digit: int) -> str:
        return TEMPLATES[self.action].format(digit=DIGIT_WORDS[digit], where=self.where)

    def varied_instruction(self, digit: int, variant: int) -> str:
        """The edit in one of :data:`VARIED_TEMPLATES` (variant 0 is the template itself)."""
        templates = VARIED_TEMPLATES[self.action]
        k = variant % len(templates)
        name = str(digit) if (variant // len(templates)) % 2 else DIGIT_WORDS[digit]
        where = self.where
        return templates[k].format(digit=name, where=where, dir=VARIED_DIRECTIONS.get(where or "", ""))

    def heldout_instruction(self, digit: int, variant: int) -> str:
        """The same edit in held-out words; ``variant`` picks the template (any int, taken modulo)."""
        templates = HELDOUT_TEMPLATES[self.action]
        k = variant % len(templates)
        name = str(digit) if (variant // len(templates)) % 2 else DIGIT_WORDS[digit]  # numeral or word
        places = HELDOUT_POSITIONS if self.action == "put" else HELDOUT_DIRECTIONS
        where = None if self.where is None else places[self.where]
        return templates[k].format(digit=name, where=where)

    def scenes(self, digit: int) -> tuple[Scene, Scene]:
        src = NULL_SCENE if self.source is None else Scene(digit, *self.source)
        tgt = NULL_SCENE if self.target is None else Scene(digit, *self.target)
        return src, tgt


def _build_rules() -> tuple[TripletRule, ...]:
    # Rules do not depend on the digit; build them with a placeholder class.
    rules: list[TripletRule] = []
    for where in POSITIONS:
        tgt = apply(NULL_SCENE, "put", where, 0)
        rules.append(TripletRule("put", where, None, tgt[1:]))
    for box in boxes():
        rules.append(TripletRule("remove", None, box, None))
    for action in ("move", "expand", "compress"):
        for box in boxes():
            src = Scene(0, *box)
            for where in DIRECTIONS:
                tgt = apply(src, action, where, 0)
                if tgt.renderable():
                    rules.append(TripletRule(action, where, box, tgt[1:]))
    return tuple(rules)


RULES: tuple[TripletRule, ...] = _build_rules()
TRIPLETS_PER_GLYPH = len(RULES)  # 369


def all_instructions() -> list[str]:
    """Every instruction string the templates can produce (for the vocabulary)."""
    out = []
    for digit in range(10):
        for action in ACTIONS:
            places = [None] if action == "remove" else list(POSITIONS if action == "put" else DIRECTIONS)
            out += [TEMPLATES[action].format(digit=DIGIT_WORDS[digit], where=p) for p in places]
    return out
