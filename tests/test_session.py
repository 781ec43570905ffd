"""EditSession: multi-turn editing with undo / redo / reset and export."""

import numpy as np
import pytest
import torch
from PIL import Image

from imi import Editor, EditSession
from imi.core.errors import ImiError, UnknownWordError
from imi.domains.digits.dataset import DigitBenchmark, digit_tokenizer
from imi.pipelines.session import EmptyInstructionError, overlay
from imi.presets import resolve
from imi.registry import build_model

from .conftest import TINY


@pytest.fixture(scope="module")
def editor():
    return Editor.from_pretrained("digits")  # it really edits: a step that changes nothing is refused


@pytest.fixture(scope="module")
def sim_editor():
    """An untrained SIM model: its mask is defined (shape, range) without training."""
    config = resolve("digits-sim", TINY)
    torch.manual_seed(0)
    return Editor(build_model(config.variant, config.model).eval(), config, digit_tokenizer())


@pytest.fixture(scope="module")
def digit_image():
    return DigitBenchmark().split("test").batch([40]).source[0, 0].numpy()  # a "one", uint8 64×64


def test_apply_undo_redo_reset(editor, digit_image):
    s = EditSession(editor, digit_image)
    start = s.current.image.clone()
    a = s.apply("move one to the right")
    b = s.apply("remove one")
    assert [st.instruction for st in s.steps] == ["", "move one to the right", "remove one"]
    assert s.undo() is a and s.can_redo and torch.equal(s.current.image, a.image)
    assert s.redo() is b and not s.can_redo
    s.undo(), s.undo()
    assert torch.equal(s.current.image, start) and not s.can_undo
    assert s.undo().instruction == "" and s.cursor == 0  # nothing before the start image
    c = s.apply("expand one to the right")  # a new edit drops the redo stack
    assert s.steps == [s.history[0], c] and not s.can_redo and s.redo() is c
    s.reset(np.zeros((64, 64), np.uint8))
    assert len(s.history) == 1 and s.current.image.sum() == 0


def test_each_edit_starts_from_the_last_result_through_the_one_pipeline(editor, digit_image):
    texts = ["move one to the right", "expand one to the top"]
    s = EditSession(editor, digit_image, seed=5)
    for t in texts:
        s.apply(t)
    x = editor.preprocess([digit_image])
    for i, t in enumerate(texts):
        tokens, lengths = editor.tokenizer.batch([t])
        x = editor.edit_tensors(x, tokens, lengths, seed=5 + i)
    assert torch.equal(s.current.image, x[0])
    again = EditSession(editor, digit_image, seed=5)
    for t in texts:
        again.apply(t)
    assert torch.equal(again.current.image, s.current.image)  # a sequence replays identically


def test_bad_instructions_leave_the_history_alone(editor, digit_image):
    s = EditSession(editor, digit_image)
    s.apply("remove one")
    for bad, error in (("   ", EmptyInstructionError), ("move one to the lefft", UnknownWordError)):
        with pytest.raises(error):
            s.apply(bad)
    assert len(s.history) == 2 and s.cursor == 1
    with pytest.raises(ImiError, match="no image yet"):
        EditSession(editor).apply("remove one")


def test_masks_and_difference(sim_editor, digit_image):
    s = EditSession(sim_editor, digit_image)
    step = s.apply("move one to the right")
    assert step.mask.shape == (1, 64, 64) and step.mask.min() >= 0 and step.mask.max() <= 1
    diff = s.difference()
    assert torch.equal(diff, (step.image.int() - s.history[0].image.int()).abs().to(torch.uint8))
    assert s.difference(0).sum() == 0
    with pytest.raises(IndexError):
        s.difference(2)
    tinted = np.asarray(overlay(step.image, torch.ones(1, 64, 64), colour=(255, 40, 40)))
    assert tinted.shape == (64, 64, 3) and (tinted[..., 0] >= tinted[..., 1]).all()  # red everywhere


@pytest.mark.parametrize("face", [(230, 60, 40), (250, 150, 60), (40, 220, 240), (250, 235, 30)])
def test_the_change_tint_stands_out_on_any_colour(face):
    """On a red or orange picture the mark is not red; on cyan not cyan: it stays readable."""
    image = torch.tensor(face, dtype=torch.uint8)[:, None, None].expand(3, 16, 16).contiguous()
    tinted = np.asarray(overlay(image, torch.ones(1, 16, 16))).astype(float)
    assert np.abs(tinted[0, 0] - np.asarray(face)).sum() > 150


def test_exports(editor, digit_image, tmp_path):
    s = EditSession(editor, digit_image)
    s.apply("move one to the right")
    s.apply("remove one")
    s.undo()  # the export is what the user sees: two frames
    gif = Image.open(s.export_gif(tmp_path / "a.gif", scale=2))
    assert gif.n_frames == 2 and gif.size == (128 + 8, 128 + 28 + 8)  # one captioned panel per step
    gif.seek(1)
    shown = np.asarray(gif.convert("L"))[4 : 4 + 128 : 2, 4 : 4 + 128 : 2]  # the panel, back at 64×64
    assert np.abs(shown.astype(int) - s.current.image[0].numpy()).max() <= 1
    strip = Image.open(s.export_strip(tmp_path / "a.png"))
    assert strip.width == 2 * (128 + 4) + 4
    assert s.captions() == ["start", "move one to the right"]


def test_an_edit_that_changes_nothing_is_refused_and_not_a_step(editor):
    """On a blank canvas there is nothing to remove: the session says so and keeps its history."""
    from imi.errors import NoChangeError

    s = EditSession(editor, np.zeros((64, 64), np.uint8))
    with pytest.raises(NoChangeError, match="changed nothing for 'remove five'"):
        s.apply("remove five")
    assert len(s.history) == 1 and s.cursor == 0
    s.apply("put 3 on the middle")  # numerals read as digit words
    assert len(s.history) == 2 and s.current.image.sum() > 0
