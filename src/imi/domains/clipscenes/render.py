"""Drawing one ClipScenes scene: drawn at ``scale``× with PIL, then downscaled (SPEC §3: rendered at
high resolution, downscaled to 60×105). Coordinates are fractions of the picture, so any size draws
the same scene.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from imi.domains.clipscenes.schema import ADULT, HAIRS, LONG_HAIR, PEOPLE, PLACES, SHIRTS

# Album colour schemes (an album keeps one), per place.
WALLS = ((236, 222, 196), (200, 220, 235), (235, 205, 205), (215, 235, 205))
FLOORS = ((150, 105, 65), (120, 120, 130), (175, 140, 95), (110, 80, 60))
SKIES = ((150, 205, 245), (120, 180, 240), (185, 220, 245), (160, 195, 230))
GRASS = ((95, 175, 70), (70, 150, 60), (120, 185, 80), (85, 160, 95))
PALETTES = len(WALLS)
HORIZON = {"indoor": 0.66, "outdoor": 0.6}
PROPS = {
    "indoor": ("window", "sofa", "table", "lamp", "shelf", "frame"),
    "outdoor": ("sun", "cloud", "tree", "slide", "bench", "bush"),
}
TROUSERS = (50, 55, 80)


def draw_scene(scene, height: int, width: int, scale: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``(uint8 (H, W, 3) picture, uint8 (H, W) mask)``: mask 0 background, 1 + slot for each person."""
    big_h, big_w = height * scale, width * scale
    place = PLACES[scene.place]
    img = Image.new("RGB", (big_w, big_h))
    mask = Image.new("L", (big_w, big_h), 0)
    d, m = ImageDraw.Draw(img), ImageDraw.Draw(mask)
    y0 = HORIZON[place] * big_h
    top, bottom = (WALLS, FLOORS) if place == "indoor" else (SKIES, GRASS)
    d.rectangle((0, 0, big_w, y0), fill=top[scene.palette])
    d.rectangle((0, y0, big_w, big_h), fill=bottom[scene.palette])
    for name, x, size in scene.props:
        _PROP_DRAW[name](d, x * big_w, y0, size * big_h, big_w, big_h)
    for slot, (person, x, h) in enumerate(scene.people):
        _person(d, m, PEOPLE[person], x * big_w, scene.feet[slot] * big_h, h * big_h, slot + 1)
    small = np.asarray(img.resize((width, height), Image.Resampling.BOX))
    small_mask = np.asarray(mask.resize((width, height), Image.Resampling.NEAREST))
    return small, small_mask


def _person(d: ImageDraw.ImageDraw, m: ImageDraw.ImageDraw, p, x: float, feet: float, h: float, ink: int) -> None:
    """A standing clip-art person, ``h`` pixels tall with feet at ``feet``, centred on ``x``."""
    head = 0.2 * h
    w = 0.34 * h  # shoulder width
    neck = feet - h + head
    hip = feet - 0.45 * h
    shirt, hair = SHIRTS[p.shirt], HAIRS[p.hair]
    parts = []  # (shape, box, fill) drawn on the picture and on the mask
    if LONG_HAIR[p.kind]:  # hair down behind the head to the shoulders
        parts.append(("rect", (x - 0.6 * head, feet - h + 0.3 * head, x + 0.6 * head, neck + 0.35 * head), hair))
    if p.kind in ("woman", "girl"):  # a dress: shirt colour flaring to the knees, then legs
        parts.append(("rect", (x - 0.12 * w, hip, x - 0.02 * w, feet), p.skin))
        parts.append(("rect", (x + 0.02 * w, hip, x + 0.12 * w, feet), p.skin))
        parts.append(("poly", [(x - 0.4 * w, neck), (x + 0.4 * w, neck), (x + 0.62 * w, feet - 0.2 * h),
                               (x - 0.62 * w, feet - 0.2 * h)], shirt))  # fmt: skip
    else:  # trousers and a shirt
        parts.append(("rect", (x - 0.36 * w, hip, x - 0.03 * w, feet), TROUSERS))
        parts.append(("rect", (x + 0.03 * w, hip, x + 0.36 * w, feet), TROUSERS))
        parts.append(("rect", (x - 0.45 * w, neck, x + 0.45 * w, hip + 0.02 * h), shirt))
    arm = 0.1 * w
    parts.append(("rect", (x - 0.45 * w - arm, neck + 0.02 * h, x - 0.45 * w, hip), shirt))
    parts.append(("rect", (x + 0.45 * w, neck + 0.02 * h, x + 0.45 * w + arm, hip), shirt))
    parts.append(("ellipse", (x - head / 2, feet - h, x + head / 2, neck), p.skin))
    cap = 0.55 * head if ADULT[p.kind] else 0.6 * head  # the hair on top of the head
    parts.append(("chord", (x - 0.55 * head, feet - h - 0.08 * head, x + 0.55 * head, feet - h + cap), hair))
    for shape, box, fill in parts:
        for draw, colour in ((d, fill), (m, ink)):
            if shape == "rect":
                draw.rectangle(box, fill=colour)
            elif shape == "ellipse":
                draw.ellipse(box, fill=colour)
            elif shape == "chord":
                draw.chord(box, 180, 360, fill=colour)
            else:
                draw.polygon(box, fill=colour)


def _window(d, x, y0, s, W, H):
    top = 0.12 * H
    d.rectangle((x - 0.5 * s, top, x + 0.5 * s, top + 0.8 * s), fill=(250, 250, 250))
    d.rectangle((x - 0.43 * s, top + 0.07 * s, x + 0.43 * s, top + 0.73 * s), fill=(165, 215, 250))
    d.line((x, top, x, top + 0.8 * s), fill=(250, 250, 250), width=max(1, int(0.05 * s)))


def _sofa(d, x, y0, s, W, H):
    base = y0 + 0.12 * H
    d.rectangle((x - 0.9 * s, base - 0.55 * s, x + 0.9 * s, base - 0.15 * s), fill=(150, 60, 60))
    d.rectangle((x - 1.0 * s, base - 0.3 * s, x + 1.0 * s, base), fill=(120, 45, 45))


def _table(d, x, y0, s, W, H):
    base = y0 + 0.1 * H
    d.rectangle((x - 0.6 * s, base - 0.45 * s, x + 0.6 * s, base - 0.37 * s), fill=(110, 70, 35))
    for dx in (-0.5, 0.45):
        d.rectangle((x + dx * s, base - 0.37 * s, x + (dx + 0.05) * s, base), fill=(110, 70, 35))


def _lamp(d, x, y0, s, W, H):
    base = y0 + 0.08 * H
    d.rectangle((x - 0.03 * s, base - 0.9 * s, x + 0.03 * s, base), fill=(60, 60, 60))
    d.polygon([(x - 0.2 * s, base - 0.9 * s), (x + 0.2 * s, base - 0.9 * s), (x + 0.12 * s, base - 1.15 * s),
               (x - 0.12 * s, base - 1.15 * s)], fill=(250, 230, 120))  # fmt: skip


def _shelf(d, x, y0, s, W, H):
    d.rectangle((x - 0.35 * s, y0 - 1.1 * s, x + 0.35 * s, y0), fill=(125, 85, 45))
    for k in range(3):
        y = y0 - (1.0 - 0.33 * k) * s
        d.rectangle(
            (x - 0.28 * s, y, x + 0.28 * s, y + 0.22 * s), fill=((190, 50, 50), (50, 90, 180), (60, 150, 70))[k]
        )


def _frame(d, x, y0, s, W, H):
    top = 0.15 * H
    d.rectangle((x - 0.3 * s, top, x + 0.3 * s, top + 0.4 * s), fill=(90, 60, 30))
    d.rectangle((x - 0.24 * s, top + 0.06 * s, x + 0.24 * s, top + 0.34 * s), fill=(240, 190, 120))


def _sun(d, x, y0, s, W, H):
    r = 0.3 * s
    d.ellipse((x - r, 0.08 * H, x + r, 0.08 * H + 2 * r), fill=(250, 215, 40))


def _cloud(d, x, y0, s, W, H):
    y = 0.12 * H
    for dx, r in ((-0.3, 0.22), (0.0, 0.3), (0.3, 0.22)):
        d.ellipse((x + (dx - r) * s, y, x + (dx + r) * s, y + 2 * r * s), fill=(250, 250, 250))


def _tree(d, x, y0, s, W, H):
    base = y0 + 0.05 * H
    d.rectangle((x - 0.08 * s, base - 0.7 * s, x + 0.08 * s, base), fill=(110, 70, 35))
    d.ellipse((x - 0.45 * s, base - 1.4 * s, x + 0.45 * s, base - 0.55 * s), fill=(40, 120, 45))


def _slide(d, x, y0, s, W, H):
    base = y0 + 0.1 * H
    d.rectangle((x - 0.5 * s, base - 0.9 * s, x - 0.42 * s, base), fill=(200, 60, 60))
    d.line((x - 0.46 * s, base - 0.9 * s, x + 0.6 * s, base), fill=(240, 170, 40), width=max(1, int(0.1 * s)))


def _bench(d, x, y0, s, W, H):
    base = y0 + 0.12 * H
    d.rectangle((x - 0.6 * s, base - 0.35 * s, x + 0.6 * s, base - 0.27 * s), fill=(140, 90, 50))
    d.rectangle((x - 0.6 * s, base - 0.6 * s, x + 0.6 * s, base - 0.5 * s), fill=(140, 90, 50))
    for dx in (-0.5, 0.45):
        d.rectangle((x + dx * s, base - 0.35 * s, x + (dx + 0.05) * s, base), fill=(70, 70, 70))


def _bush(d, x, y0, s, W, H):
    base = y0 + 0.06 * H
    d.ellipse((x - 0.45 * s, base - 0.5 * s, x + 0.45 * s, base), fill=(50, 135, 55))


_PROP_DRAW = {
    "window": _window, "sofa": _sofa, "table": _table, "lamp": _lamp, "shelf": _shelf, "frame": _frame,
    "sun": _sun, "cloud": _cloud, "tree": _tree, "slide": _slide, "bench": _bench, "bush": _bush,
}  # fmt: skip
