"""What a GridMNIST caption says, and reading a decoded caption back.

Every caption the benchmark uses is in :data:`CAPTIONS` (10 words, then 160 sentences), so a
caption is an id, and reading a model's output is a dictionary lookup: a text that is not one of
them is *invalid* (SPEC-caption-gan §4: counted as wrong, its rate reported).
"""

from __future__ import annotations

from dataclasses import dataclass

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
CELLS = ("top left", "top right", "bottom left", "bottom right")  # cell k is row k // 2, column k % 2
# The sentence level's wordings; "{a}" is "a" or "an" (an eight).
TEMPLATES = (
    "{a} {d} in the {c}",
    "there is {a} {d} in the {c}",
    "the {c} cell holds {a} {d}",
    "{d} at the {c}",
)


@dataclass(frozen=True)
class Caption:
    """One caption: its text, the digit it names, and the cell it names (None: a word caption)."""

    text: str
    digit: int
    cell: int | None


def _sentence(template: str, digit: int, cell: int) -> str:
    word = DIGIT_WORDS[digit]
    return template.format(a="an" if word == "eight" else "a", d=word, c=CELLS[cell])


CAPTIONS: tuple[Caption, ...] = (
    *(Caption(w, d, None) for d, w in enumerate(DIGIT_WORDS)),
    *(
        Caption(_sentence(t, d, c), d, c)
        for t in TEMPLATES
        for d in range(10)
        for c in range(len(CELLS))
    ),
)  # fmt: skip
_BY_TEXT = {c.text: i for i, c in enumerate(CAPTIONS)}


def caption_id(level: str, digit, cell, template) -> numpy.ndarray:  # noqa: F821 (numpy arrays in, out)
    """Ids into :data:`CAPTIONS` of captions naming ``digit`` (in ``cell``, worded by ``template``).

    Word captions ignore the cell and the wording (the paper's captions)."""
    if level == "word":
        return digit
    return len(DIGIT_WORDS) + (template * 10 + digit) * len(CELLS) + cell


def read(text: str) -> Caption | None:
    """The caption ``text`` is (spaces normalised), or None when it is not a caption of the benchmark."""
    i = _BY_TEXT.get(" ".join(text.split()))
    return None if i is None else CAPTIONS[i]
