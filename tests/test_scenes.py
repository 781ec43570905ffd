"""The benchmark's rules: counts, templates and target scenes (SPEC §2)."""

from collections import Counter

import pytest

from imi.domains.digits.scenes import (
    DIGIT_WORDS,
    NULL_SCENE,
    RULES,
    TRIPLETS_PER_GLYPH,
    Scene,
    apply,
    boxes,
    source_scenes,
)


def test_counts_per_glyph():
    assert len(boxes()) == 36
    assert len(source_scenes(3)) == 37
    assert TRIPLETS_PER_GLYPH == 369
    assert Counter(r.action for r in RULES) == {"put": 9, "remove": 36, "move": 108, "expand": 108, "compress": 108}


@pytest.mark.parametrize("digit", range(10))
def test_every_class_has_the_same_369_distinct_valid_triplets(digit):
    triplets = [(r.instruction(digit), *r.scenes(digit)) for r in RULES]
    assert len(set(triplets)) == 369
    for text, src, tgt in triplets:
        assert src.renderable() and tgt.renderable()
        assert src != tgt
        assert DIGIT_WORDS[digit] in text.split()
        assert all(s.digit in (None, digit) for s in (src, tgt))
    sources = {src for _, src, _ in triplets}
    assert sources == set(source_scenes(digit))


def test_template_strings_are_exact():
    texts = {r.instruction(0) for r in RULES}
    assert "put zero on the middle" in texts
    assert "put zero on the top left" in texts
    assert "remove zero" in texts
    assert "move zero to the bottom right" in texts
    assert "expand zero to the top right" in texts
    assert "compress zero to the left" in texts
    assert all(t == t.lower() and "  " not in t and t == t.strip() for t in texts)
    assert {r.instruction(7).split()[1] for r in RULES} == {"seven"}


def test_paper_fig5_example():
    # (0, x0, y2, w1, h1) + "expand zero to the top right" → (0, x0, y1, w2, h2)
    assert apply(Scene(0, 0, 2, 1, 1), "expand", "top right", 0) == Scene(0, 0, 1, 2, 2)
    rule = next(r for r in RULES if r.action == "expand" and r.where == "top right" and r.source == (0, 2, 1, 1))
    assert rule.scenes(0) == (Scene(0, 0, 2, 1, 1), Scene(0, 0, 1, 2, 2))


@pytest.mark.parametrize(
    ("source", "action", "where", "target"),
    [
        (NULL_SCENE, "put", "top", Scene(4, 1, 0, 1, 1)),
        (NULL_SCENE, "put", "bottom left", Scene(4, 0, 2, 1, 1)),
        (NULL_SCENE, "put", "middle", Scene(4, 1, 1, 1, 1)),
        (Scene(4, 1, 1, 2, 2), "remove", None, NULL_SCENE),
        (Scene(4, 1, 1, 1, 1), "move", "top left", Scene(4, 0, 0, 1, 1)),
        (Scene(4, 0, 0, 2, 1), "move", "bottom", Scene(4, 0, 1, 2, 1)),
        (Scene(4, 1, 1, 1, 1), "expand", "left", Scene(4, 0, 1, 2, 1)),
        (Scene(4, 1, 1, 1, 1), "expand", "bottom right", Scene(4, 1, 1, 2, 2)),
        (Scene(4, 0, 0, 3, 3), "compress", "left", Scene(4, 0, 0, 2, 3)),
        (Scene(4, 0, 0, 3, 3), "compress", "right", Scene(4, 1, 0, 2, 3)),
        (Scene(4, 0, 0, 3, 3), "compress", "top", Scene(4, 0, 0, 3, 2)),
        (Scene(4, 0, 0, 3, 3), "compress", "bottom right", Scene(4, 1, 1, 2, 2)),
    ],
)
def test_hand_checked_targets(source, action, where, target):
    assert apply(source, action, where, 4) == target


def test_invalid_edits_are_not_triplets():
    # Moving off the grid or compressing a 1-cell box is never generated.
    assert not apply(Scene(0, 0, 0, 1, 1), "move", "left", 0).renderable()
    assert not apply(Scene(0, 0, 0, 1, 1), "compress", "left", 0).renderable()
    assert not apply(Scene(0, 0, 0, 3, 1), "expand", "right", 0).renderable()
    assert not any(r.source == (0, 0, 1, 1) and r.action == "move" and "left" in r.where for r in RULES)
