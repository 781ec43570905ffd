"""Albums and scenes as records: what is where, and the caption (SPEC §3). Drawing is :mod:`.render`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imi.domains.clipscenes.grammar import Caption, caption
from imi.domains.clipscenes.render import PALETTES, PROPS
from imi.domains.clipscenes.schema import ADULT, KINDS, N_PEOPLE, PEOPLE, PLACES, kind_of

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Scene:
    """One scene. ``people``: (type, x centre, height), fractions of the picture; slot 0 is the main
    person, whom the caption names."""

    album: int
    place: int
    palette: int
    props: tuple[tuple[str, float, float], ...]
    people: tuple[tuple[int, float, float], ...]
    feet: tuple[float, ...]
    caption: Caption


def album_at(seed: int, split: str, album: int, size: int, second_person: float) -> list[Scene]:
    """The ``size`` scenes of album ``album`` of ``split``: one place, colour scheme and main person."""
    rng = np.random.default_rng([seed, SPLITS.index(split), album])
    place = int(rng.integers(len(PLACES)))
    palette = int(rng.integers(PALETTES))
    main = int(rng.integers(N_PEOPLE))
    return [_scene(rng, album, place, palette, main, second_person) for _ in range(size)]


def _scene(rng: np.random.Generator, album: int, place: int, palette: int, main: int, second: float) -> Scene:
    names = PROPS[PLACES[place]]
    props = tuple(
        (names[int(i)], float(rng.uniform(0.08, 0.92)), float(rng.uniform(0.28, 0.4)))
        for i in rng.choice(len(names), size=int(rng.integers(2, 4)), replace=False)
    )
    x_main = float(rng.uniform(0.15, 0.85))
    people = [(main, x_main, _height(main, rng))]
    if rng.random() < second:
        others = [p for p in range(N_PEOPLE) if kind_of(p) != kind_of(main)]
        other = others[int(rng.integers(len(others)))]
        # On the other side of the picture, so the two never overlap.
        x = float(rng.uniform(0.08, x_main - 0.3)) if x_main > 0.5 else float(rng.uniform(x_main + 0.3, 0.92))
        people.append((other, x, _height(other, rng)))
    feet = tuple(float(rng.uniform(0.9, 0.97)) for _ in people)
    cap = caption(main, place, bool(rng.random() < 0.5), bool(rng.random() < 0.5), rng)
    return Scene(album, place, palette, props, tuple(people), feet, cap)


def _height(person: int, rng: np.random.Generator) -> float:
    """Adults stand 0.58–0.66 of the picture tall, children 0.38–0.44: kind is readable from size."""
    lo, hi = (0.58, 0.66) if ADULT[KINDS[kind_of(person)]] else (0.38, 0.44)
    return float(rng.uniform(lo, hi))


__all__ = ["PEOPLE", "SPLITS", "Scene", "album_at"]
