"""The avatar attribute catalogue: what an avatar is made of, in words.

An avatar is a :class:`Record`, one value index per attribute of
:data:`ATTRIBUTES`. Every value has a human name (used by the instruction
grammar and in reports) and the ``python-avatars`` part or colour that draws
it. Values were picked to be visibly distinct at 64×64: near-duplicates such
as ``short_dreads_1``/``short_dreads_2``, dark glasses (they hide the eyes) and
hats (they hide the hair) are left out so every attribute stays observable.

Two attributes depend on another: the hair colour only exists when there is
hair, the facial-hair colour only when there is facial hair. A hidden colour
is stored as value 0, ``"none"``, so equal pictures have equal records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import python_avatars as pa

HAIR_COLOURS = (
    ("black", pa.HairColor.BLACK),
    ("brown", pa.HairColor.BROWN),
    ("blonde", pa.HairColor.BLONDE_GOLDEN),
    ("ginger", pa.HairColor.AUBURN),
    ("red", pa.HairColor.RED),
    ("pink", pa.HairColor.PASTEL_PINK),
    ("grey", pa.HairColor.SILVER_GRAY),
)


@dataclass(frozen=True)
class Attribute:
    """One editable property of an avatar.

    Attributes:
        name: the record field, e.g. ``"hair_color"``.
        noun: how people name it (``"hair colour"``), for reports.
        values: human names of the values, in record order.
        parts: the ``python-avatars`` value drawn for each value (an enum
            member or a ``#rrggbb`` colour); ``None`` for a hidden colour.
        depends_on: ``(attribute, value)``: this attribute is hidden while
            that attribute has that value (``("hair", "bald")``).
        ordered: values run from less to more (skin tone, beard length), so
            "darker" / "longer" name a neighbour.
        empty: the value that means "nothing there" (``"none"``, ``"bald"``),
            which makes add / remove edits; ``None`` if there is none.
    """

    name: str
    noun: str
    values: tuple[str, ...]
    parts: tuple[object, ...]
    depends_on: tuple[str, str] | None = None
    ordered: tuple[str, ...] = ()
    empty: str | None = None

    def index(self, value: str) -> int:
        try:
            return self.values.index(value)
        except ValueError:
            raise KeyError(f"{self.name}: unknown value {value!r}; choose one of {', '.join(self.values)}") from None

    def __len__(self) -> int:
        return len(self.values)


def _attr(name, noun, pairs, **kw) -> Attribute:
    names, parts = zip(*pairs, strict=True)
    return Attribute(name, noun, tuple(names), tuple(parts), **kw)


ATTRIBUTES: tuple[Attribute, ...] = (
    _attr(
        "background",
        "background colour",
        [
            ("blue", "#65C9FF"),
            ("grey", "#C9CED3"),
            ("yellow", "#FFE17A"),
            ("pink", "#F7B6D2"),
            ("green", "#9BE3A5"),
            ("purple", "#B9A6F0"),
        ],
    ),
    _attr(
        "skin",
        "skin tone",
        [
            ("pale", pa.SkinColor.PALE),
            ("light", pa.SkinColor.LIGHT),
            ("tan", pa.SkinColor.TANNED),
            ("brown", pa.SkinColor.BROWN),
            ("dark brown", pa.SkinColor.DARK_BROWN),
            ("dark", pa.SkinColor.BLACK),
        ],
        ordered=("pale", "light", "tan", "brown", "dark brown", "dark"),
    ),
    _attr(
        "hair",
        "hairstyle",
        [
            ("bald", pa.HairType.NONE),
            ("short", pa.HairType.SHORT_FLAT),
            ("buzz cut", pa.HairType.BUZZCUT),
            ("mohawk", pa.HairType.MOHAWK),
            ("bun", pa.HairType.BUN),
            ("bob", pa.HairType.BOB),
            ("long straight", pa.HairType.STRAIGHT_1),
            ("long curly", pa.HairType.CURLY),
            ("afro", pa.HairType.FRO),
            ("dreadlocks", pa.HairType.DREADS),
            ("spiky", pa.HairType.EVIL_SPIKE),
        ],
        empty="bald",
    ),
    _attr("hair_color", "hair colour", [("none", None), *HAIR_COLOURS], depends_on=("hair", "bald")),
    _attr(
        "facial_hair",
        "facial hair",
        [
            ("none", pa.FacialHairType.NONE),
            ("stubble", pa.FacialHairType.BEARD_LIGHT),
            ("beard", pa.FacialHairType.BEARD_MEDIUM),
            ("long beard", pa.FacialHairType.BEARD_MAGESTIC),
            ("moustache", pa.FacialHairType.MOUSTACHE_MAGNUM),
            ("curly moustache", pa.FacialHairType.MOUSTACHE_FANCY),
        ],
        ordered=("stubble", "beard", "long beard"),
        empty="none",
    ),
    _attr(
        "facial_hair_color", "facial-hair colour", [("none", None), *HAIR_COLOURS], depends_on=("facial_hair", "none")
    ),
    _attr(
        "eyebrows",
        "eyebrows",
        [
            ("normal", pa.EyebrowType.DEFAULT),
            ("angry", pa.EyebrowType.ANGRY),
            ("raised", pa.EyebrowType.RAISED_EXCITED),
            ("worried", pa.EyebrowType.SAD_CONCERNED),
            ("unibrow", pa.EyebrowType.UNIBROW_NATURAL),
            ("quizzical", pa.EyebrowType.UP_DOWN),
        ],
    ),
    _attr(
        "eyes",
        "eyes",
        [
            ("open", pa.EyeType.DEFAULT),
            ("closed", pa.EyeType.CLOSED),
            ("happy", pa.EyeType.HAPPY),
            ("hearts", pa.EyeType.HEART),
            ("winking", pa.EyeType.WINK),
            ("wide", pa.EyeType.SURPRISED),
            ("dizzy", pa.EyeType.X_DIZZY),
            ("rolling", pa.EyeType.EYE_ROLL),
        ],
    ),
    _attr(
        "mouth",
        "mouth",
        [
            ("grin", pa.MouthType.DEFAULT),
            ("smile", pa.MouthType.SMILE),
            ("serious", pa.MouthType.SERIOUS),
            ("sad", pa.MouthType.SAD),
            ("scream", pa.MouthType.SCREAM_OPEN),
            ("tongue", pa.MouthType.TONGUE),
            ("grimace", pa.MouthType.GRIMACE),
        ],
    ),
    _attr("nose", "nose", [("normal", pa.NoseType.DEFAULT), ("small", pa.NoseType.SMALL), ("wide", pa.NoseType.WIDE)]),
    _attr(
        "glasses",
        "glasses",
        [
            ("none", pa.AccessoryType.NONE),
            ("round", pa.AccessoryType.ROUND),
            ("square", pa.AccessoryType.PRESCRIPTION_2),
            ("clear", pa.AccessoryType.PRESCRIPTION_1),
        ],
        empty="none",
    ),
    _attr(
        "clothing",
        "clothing",
        [
            ("t-shirt", pa.ClothingType.SHIRT_CREW_NECK),
            ("v-neck", pa.ClothingType.SHIRT_V_NECK),
            ("scoop neck", pa.ClothingType.SHIRT_SCOOP_NECK),
            ("hoodie", pa.ClothingType.HOODIE),
            ("overalls", pa.ClothingType.OVERALL),
            ("sweater", pa.ClothingType.COLLAR_SWEATER),
            ("blazer", pa.ClothingType.BLAZER_SHIRT),
            ("graphic tee", pa.ClothingType.GRAPHIC_SHIRT),
        ],
    ),
    _attr(
        "clothing_color",
        "clothing colour",
        [
            ("black", pa.ClothingColor.BLACK),
            ("blue", pa.ClothingColor.BLUE_02),
            ("grey", pa.ClothingColor.GRAY_02),
            ("pink", pa.ClothingColor.PINK),
            ("red", pa.ClothingColor.RED),
            ("white", pa.ClothingColor.WHITE),
            ("green", pa.ClothingColor.PASTEL_GREEN),
            ("yellow", pa.ClothingColor.PASTEL_YELLOW),
        ],
    ),
)

NAMES: tuple[str, ...] = tuple(a.name for a in ATTRIBUTES)
BY_NAME: dict[str, Attribute] = {a.name: a for a in ATTRIBUTES}
#: The colour that a newly revealed dependent attribute rides with: adding
#: hair reveals its colour, adding a beard reveals the beard's colour.
COLOUR_OF: dict[str, str] = {a.depends_on[0]: a.name for a in ATTRIBUTES if a.depends_on}


def attribute(name: str) -> Attribute:
    if name not in BY_NAME:
        raise KeyError(f"unknown attribute {name!r}; choose one of {', '.join(NAMES)}")
    return BY_NAME[name]


@dataclass(frozen=True)
class Record:
    """An avatar as value indices, one per attribute of :data:`ATTRIBUTES`."""

    values: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.values) != len(ATTRIBUTES):
            raise ValueError(f"a record has {len(ATTRIBUTES)} values, got {len(self.values)}")
        for a, v in zip(ATTRIBUTES, self.values, strict=True):
            if not 0 <= v < len(a):
                raise ValueError(f"{a.name}: value index {v} out of range 0..{len(a) - 1}")
        for a in ATTRIBUTES:
            if a.depends_on:
                hidden = self[a.depends_on[0]] == a.depends_on[1]
                if hidden != (self[a.name] == "none"):
                    raise ValueError(f"{a.name} must be 'none' exactly when {a.depends_on[0]} is {a.depends_on[1]!r}")

    @classmethod
    def from_names(cls, **names: str) -> Record:
        """``Record.from_names(hair="bob", …)``; every attribute must be named."""
        missing = [n for n in NAMES if n not in names]
        extra = [n for n in names if n not in BY_NAME]
        if missing or extra:
            raise KeyError(f"record needs exactly {', '.join(NAMES)} (missing {missing}, unknown {extra})")
        return cls(tuple(BY_NAME[n].index(names[n]) for n in NAMES))

    @classmethod
    def from_array(cls, row: Sequence[int] | np.ndarray) -> Record:
        return cls(tuple(int(v) for v in row))

    def __getitem__(self, name: str) -> str:
        a = attribute(name)
        return a.values[self.values[NAMES.index(name)]]

    def replace(self, **names: str) -> Record:
        """A copy with some attributes set by value name."""
        values = list(self.values)
        for name, value in names.items():
            values[NAMES.index(name)] = attribute(name).index(value)
        return Record(tuple(values))

    def observable(self, name: str) -> bool:
        """Whether ``name`` can be seen in the picture (its parent is present)."""
        a = attribute(name)
        return a.depends_on is None or self[a.depends_on[0]] != a.depends_on[1]

    def to_dict(self) -> dict[str, str]:
        return {n: self[n] for n in NAMES}

    def differences(self, other: Record) -> list[str]:
        return [n for n, a, b in zip(NAMES, self.values, other.values, strict=True) if a != b]
