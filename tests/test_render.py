"""The batched renderer agrees with a plain PIL render of the same scene."""

import numpy as np
import pytest
import torch
from PIL import Image

from imi.core.glyphs import load_mnist_5k
from imi.domains.digits.render import render_batch, render_scene
from imi.domains.digits.scenes import NULL_SCENE, Scene, boxes


def pil_render(glyph: np.ndarray, scene: Scene, size: int) -> np.ndarray:
    """SPEC §2 done the obvious way: resize, paste on 84×84, resize the canvas."""
    canvas = Image.new("L", (84, 84))
    if scene.digit is not None:
        canvas.paste(
            Image.fromarray(glyph).resize((28 * scene.w, 28 * scene.h), Image.BILINEAR), (28 * scene.x, 28 * scene.y)
        )
    return np.asarray(canvas.resize((size, size), Image.BILINEAR) if size != 84 else canvas)


@pytest.mark.parametrize("size", [64, 84])
def test_agrees_with_pil(size):
    g = load_mnist_5k()
    diffs = []
    for i in range(0, 5000, 500):  # one glyph per class
        for box in boxes():
            scene = Scene(int(g.labels[i]), *box)
            ours = render_scene(g.images[i], scene, size).astype(int)
            ref = pil_render(g.images[i], scene, size).astype(int)
            diffs.append(np.abs(ours - ref))
    diffs = np.stack(diffs)
    # PIL rounds its intermediate canvas to uint8; we do not, hence ≤ 2 levels.
    assert diffs.max() <= 2
    assert diffs.mean() < 0.05


def test_batch_equals_single_and_null_is_black():
    g = load_mnist_5k()
    scenes = [Scene(int(g.labels[i]), *boxes()[i]) for i in range(36)] + [NULL_SCENE]
    labels = torch.tensor([s.labels() for s in scenes])
    batch = render_batch(torch.from_numpy(g.images[:37]), labels)
    assert batch.shape == (37, 64, 64) and batch.dtype == torch.uint8
    for i, s in enumerate(scenes):
        assert np.array_equal(batch[i].numpy(), render_scene(g.images[i], s))
    assert batch[36].max() == 0


def test_glyph_lands_in_its_box():
    glyph = np.full((28, 28), 255, np.uint8)
    img = render_scene(glyph, Scene(1, 2, 0, 1, 2), 84)
    assert img[0:56, 56:84].min() == 255
    assert img[56:, :].max() == 0 and img[:, :56].max() == 0


def test_unrenderable_scene_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        render_scene(np.zeros((28, 28), np.uint8), Scene(0, 2, 0, 2, 1))
