"""ClipScenes' labels: the places, the 20 person types and the words for them.

This is the benchmark's public label schema: the context-aware GAN reads it (how many places and
person types its one-hot context vector has), the judge predicts it, the grammar words it.

A person type is a kind (man, woman, boy, girl) and one of five looks; within a kind every look
has its own shirt colour and hair colour, so "a woman in a blue shirt" and "a woman with red hair"
each name exactly one type, and "a woman" names a kind only (SPEC §3).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

PLACES = ("indoor", "outdoor")
KINDS = ("man", "woman", "boy", "girl")
ADULT = {"man": True, "woman": True, "boy": False, "girl": False}
LONG_HAIR = {"man": False, "woman": True, "boy": False, "girl": True}

# name → RGB
SHIRTS = {"red": (214, 40, 40), "blue": (40, 90, 220), "green": (40, 160, 60), "yellow": (240, 200, 30),
          "purple": (140, 50, 170)}  # fmt: skip
HAIRS = {"black": (25, 22, 20), "brown": (120, 70, 30), "blonde": (235, 205, 110), "red": (200, 70, 20),
         "grey": (165, 165, 165)}  # fmt: skip
SKINS = ((250, 210, 180), (200, 150, 110), (130, 85, 55))
LOOKS = 5


@dataclass(frozen=True)
class PersonType:
    """One of the 20 people: ``index`` = kind index · 5 + look."""

    index: int
    kind: str
    shirt: str
    hair: str
    skin: tuple[int, int, int]

    @property
    def kind_index(self) -> int:
        return self.index // LOOKS

    @property
    def name(self) -> str:
        return f"{self.kind} ({self.hair} hair, {self.shirt} shirt)"


def _types() -> tuple[PersonType, ...]:
    shirts, hairs = list(SHIRTS), list(HAIRS)
    out = []
    for k, kind in enumerate(KINDS):
        for look in range(LOOKS):
            # Shirt and hair each tell the five looks of a kind apart; the pairing shifts per kind so
            # that no colour pair repeats across kinds.
            hair = hairs[(look + 2 * k) % LOOKS]
            out.append(PersonType(k * LOOKS + look, kind, shirts[look], hair, SKINS[(look + k) % len(SKINS)]))
    return tuple(out)


PEOPLE = _types()
N_PEOPLE = len(PEOPLE)  # 20


def kind_of(person: int) -> int:
    return person // LOOKS


def of_kind(kind: int) -> range:
    """The person-type indices of kind ``kind``."""
    return range(kind * LOOKS, (kind + 1) * LOOKS)


def presence(person: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """bool ``(B, 20)``: which people a scene shows, from its two person slots (−1: empty)."""
    out = torch.zeros(len(person), N_PEOPLE, dtype=torch.bool)
    for slot in (person, second):
        rows = (slot >= 0).nonzero().flatten()
        out[rows, slot[rows]] = True
    return out
