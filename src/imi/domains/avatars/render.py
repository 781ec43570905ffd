"""Records → pictures: SVG through ``python-avatars``, pixels through ``resvg``.

``python-avatars`` draws on a 264×280 canvas with a transparent background,
which ``resvg`` would render as a 61×64 RGBA image. We crop a square around
the head and shoulders (:data:`VIEWBOX`) and paint the background colour into
the SVG itself, so every render is a true S×S RGB picture and a saved SVG
looks like the PNG. Rendering is pure: the same record gives the same bytes.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import python_avatars as pa
import resvg_py
from PIL import Image

from imi.domains.avatars.attributes import ATTRIBUTES, NAMES, Record

# x, y, width, height in canvas units: the widest hairstyles (dreadlocks,
# afro) span x = 15..253 and the tallest reach y = 0, where python-avatars
# clips them. A 256-unit square from the top keeps all of them and the
# shoulders down to y = 256 (of 280).
VIEWBOX = (4, 0, 256, 256)
_SVG_VIEWBOX = 'viewBox="0 0 264 280"'
_SIZE_ATTRS = re.compile(r'width="264px" height="280px" ')
# The graphic tee always shows the same print, so the picture depends only on the record.
_GRAPHIC = pa.ClothingGraphic.SKULL

#: Parts of a label map, in drawing order (later ones cover earlier ones).
PARTS = ("background", "skin", "clothing", "mouth", "nose", "eyes", "eyebrows", "hair", "facial_hair", "glasses")


def to_avatar(record: Record) -> pa.Avatar:
    """The ``python-avatars`` object that draws ``record``."""
    part = {n: a.parts[v] for n, a, v in zip(NAMES, ATTRIBUTES, record.values, strict=True)}
    hair_colour = part["hair_color"] or pa.HairColor.BROWN  # invisible when bald
    beard_colour = part["facial_hair_color"] or pa.HairColor.BROWN
    return pa.Avatar(
        style=pa.AvatarStyle.TRANSPARENT,
        top=part["hair"],
        eyebrows=part["eyebrows"],
        eyes=part["eyes"],
        nose=part["nose"],
        mouth=part["mouth"],
        facial_hair=part["facial_hair"],
        skin_color=part["skin"],
        hair_color=hair_colour,
        facial_hair_color=beard_colour,
        accessory=part["glasses"],
        clothing=part["clothing"],
        clothing_color=part["clothing_color"],
        shirt_graphic=_GRAPHIC,
    )


def to_svg(record: Record) -> str:
    """A square SVG of ``record`` with its background painted in."""
    svg = to_avatar(record).render()
    x, y, w, h = VIEWBOX
    background = ATTRIBUTES[NAMES.index("background")].parts[record.values[NAMES.index("background")]]
    svg = svg.replace(_SVG_VIEWBOX, f'viewBox="{x} {y} {w} {h}"', 1)
    svg = _SIZE_ATTRS.sub("", svg, count=1)
    # The first drawn element is a full-canvas rect in the background colour.
    head_end = svg.index(">", svg.index("<svg")) + 1
    return f'{svg[:head_end]}<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{background}"/>{svg[head_end:]}'


def rasterize(svg: str, size: int) -> np.ndarray:
    """``svg`` → uint8 ``(size, size, 4)`` RGBA."""
    png = resvg_py.svg_to_bytes(svg_string=svg, width=size, height=size)
    return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGBA"))


def render(record: Record, size: int = 64) -> np.ndarray:
    """``record`` → uint8 ``(size, size, 3)`` RGB, anti-aliased, deterministic."""
    if not 16 <= size <= 2048:
        raise ValueError(f"size must be in [16, 2048], got {size}")
    return rasterize(to_svg(record), size)[..., :3].copy()


def _render_rows(args: tuple[np.ndarray, int]) -> np.ndarray:
    rows, size = args
    return np.stack([render(Record.from_array(r), size) for r in rows])


def render_many(records: np.ndarray, size: int = 64, workers: int = 1, chunk: int = 64) -> np.ndarray:
    """Render a ``(N, len(ATTRIBUTES))`` record array → uint8 ``(N, size, size, 3)``.

    ``workers`` > 1 renders chunks in that many processes (resvg is single
    threaded); the result does not depend on ``workers``.
    """
    records = np.asarray(records)
    if len(records) == 0:
        return np.zeros((0, size, size, 3), dtype=np.uint8)
    jobs = [(records[i : i + chunk], size) for i in range(0, len(records), chunk)]
    if workers <= 1 or len(jobs) == 1:
        return np.concatenate([_render_rows(j) for j in jobs])
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return np.concatenate(list(pool.map(_render_rows, jobs)))


def _hidden(svg: str, part: str) -> str:
    """``svg`` with one part's group made invisible."""
    root = ET.fromstring(svg)
    for element in root.iter():
        if _is_part(element.get("id", ""), part):
            element.set("opacity", "0")
    return ET.tostring(root, encoding="unicode")


_PART_IDS = {
    "clothing": ("transparent_Clothing",),
    "mouth": ("transparent_Mouth",),
    "nose": ("transparent_Nose",),
    "eyes": ("transparent_Eyes",),
    "eyebrows": ("transparent_Eyebrow",),
    "hair": ("transparent_Top",),
    "facial_hair": ("_Facial-Hair",),
    "glasses": ("_Accessory",),
}


def _is_part(element_id: str, part: str) -> bool:
    ids = _PART_IDS[part]
    if part in ("facial_hair", "glasses"):
        # Nested inside the hairstyle's SVG, whose file name prefixes the id.
        return element_id.endswith(ids[0]) and not element_id.startswith("transparent_")
    return element_id in ids


def label_map(record: Record, size: int = 64) -> np.ndarray:
    """Which part each pixel shows: uint8 ``(size, size)`` indices into :data:`PARTS`.

    A part owns the pixels that change when it alone is made invisible, so
    covered parts own nothing where they are covered. Parts are resolved in
    drawing order; what no part claims is skin if the avatar covers it and
    background otherwise. It renders the avatar ten times (~80 ms at 64×64).
    """
    return render_with_labels(record, size)[1]


def render_with_labels(record: Record, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """``record`` → its render, uint8 ``(size, size, 3)``, and its :func:`label_map`, uint8 ``(size, size)``."""
    svg = to_svg(record)
    full = rasterize(svg, size)[..., :3]
    wide = full.astype(np.int16)
    no_background = re.sub(r"<rect [^>]*/>", "", svg, count=1)
    labels = np.where(rasterize(no_background, size)[..., 3] > 127, PARTS.index("skin"), 0).astype(np.uint8)
    for part in PARTS[2:]:
        changed = np.abs(rasterize(_hidden(svg, part), size)[..., :3].astype(np.int16) - wide).max(axis=-1) > 8
        labels[changed] = PARTS.index(part)
    return full.copy(), labels


def change_mask(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Exact change mask of two renders: bool ``(..., S, S)``, True where any channel differs."""
    return (np.asarray(source) != np.asarray(target)).any(axis=-1)


def grid(images: Sequence[np.ndarray], columns: int = 8) -> np.ndarray:
    """Tile ``(S, S, 3)`` images into one picture, row-major, white-padded."""
    size = images[0].shape[0]
    rows = -(-len(images) // columns)
    sheet = np.full((rows * (size + 2), columns * (size + 2), 3), 255, dtype=np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, columns)
        sheet[r * (size + 2) : r * (size + 2) + size, c * (size + 2) : c * (size + 2) + size] = im
    return sheet
