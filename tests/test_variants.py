"""The shared tester: every registered edit variant, on a tiny config, through the same code.

Shapes, determinism, save/load, exact resume, and one training step lowering
the loss its recipe descends on a fixed batch. A new edit variant added to
:data:`imi.registry.SYSTEMS` is tested here without a line of its own (caption systems:
tests/test_caption_gan.py).
"""

import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from imi.core.checkpoint import save_pretrained
from imi.core.images import denormalize, normalize
from imi.core.ssim import ssim
from imi.domains.digits.dataset import DigitBenchmark
from imi.pipelines.edit import Editor
from imi.presets import resolve
from imi.registry import SYSTEMS, build_model, load_pretrained
from imi.systems.ours.layout import LayoutEditor, class_medoids
from imi.training.loop import Trainer

from .conftest import TINY

NAMES = [name for name, system in SYSTEMS.items() if system.task == "edit"]


# Avatar variants get a tiny avatar data set instead of the digit sizes in TINY (rendered once, in /tmp).
AVATAR_TINY = {
    "data.train_triplets": "48", "data.dev_triplets": "8", "data.test_triplets": "8", "data.unlabeled": "32",
    "data.cache_dir": str(Path(tempfile.gettempdir()) / "imi-test-cache"), "train.unsupervised_samples": "0",
}  # fmt: skip


def variant_config(name: str, **overrides: str):
    preset = next(iter(SYSTEMS[name].presets.values()))  # its first domain's bench preset
    if resolve(preset).domain == "avatars":
        tiny = {k: v for k, v in TINY.items() if not k.startswith("data.")}
        return resolve(preset, {**tiny, **AVATAR_TINY, "train.val_items": "0", **overrides})
    return resolve(preset, {**TINY, "train.val_items": "0", **overrides})


def fixed_batch(trainer: Trainer, n: int = 16):
    return trainer.to_step_batch(trainer.train_set.batch(np.arange(n)))


def edit(model, b, seed: int = 0) -> torch.Tensor:
    z = torch.randn(b.source.shape[0], model.config.z_dim, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return model.generate(b.source, b.tokens, b.lengths, z)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_inference_weights(name, tmp_path):
    trainer = Trainer(variant_config(name), tmp_path / "run")
    model = trainer.model.eval()
    b = fixed_batch(trainer)
    out = edit(model, b)
    assert out.shape == b.source.shape and torch.isfinite(out).all()
    state = model.inference_state()
    assert state and not any(k.startswith("dis.") for k in state)  # the discriminator is never shipped
    images = Editor(model, trainer.config, trainer.tokenizer).edit_tensors(
        denormalize(b.source, "linear"), b.tokens, b.lengths, seed=0
    )
    assert images.dtype == torch.uint8 and images.shape == b.source.shape
    with torch.no_grad():
        where = model.change_map(b.source, b.tokens, b.lengths)
    if where is not None:  # the map of what the model redraws: one channel, pixel resolution, in [0, 1]
        assert where.shape == (len(b.source), 1, *b.source.shape[2:])
        assert where.min() >= 0 and where.max() <= 1


RECOLOUR = {"model.recolour": "true", "model.per_item": "true"}  # the shipped avatar model's options


@pytest.mark.parametrize(("name", "options"), [("ours", {}), ("ours-avatars", {}), ("ours-avatars", RECOLOUR)])
def test_compositing_variants_change_nothing_outside_their_change_map(name, options, tmp_path):
    trainer = Trainer(variant_config(name, **{"train.max_steps": "3"}, **options), tmp_path / "run")
    trainer.fit()
    model = trainer.model.eval()
    b = fixed_batch(trainer)
    with torch.no_grad():
        where = model.change_map(b.source, b.tokens, b.lengths)
    moved = (edit(model, b) - b.source).abs().amax(1, keepdim=True)
    assert (moved <= 2 * where + 1e-5).all()  # |edit - source| = m·|content - source| ≤ 2m
    assert (where < 0.5).float().mean() > 0.05  # and the map is not "everything" (it would pass trivially)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_weights_and_edits(name, tmp_path):
    runs = []
    for i in range(2):
        trainer = Trainer(variant_config(name, **{"train.max_steps": "3"}), tmp_path / f"run{i}")
        trainer.fit()
        runs.append(trainer)
    a, b = (t.model.state_dict() for t in runs)
    assert all(torch.equal(a[k], b[k]) for k in a)
    batch = fixed_batch(runs[0])
    model = runs[0].model.eval()
    assert torch.equal(edit(model, batch, seed=5), edit(model, batch, seed=5))


@pytest.mark.parametrize("name", NAMES)
def test_save_then_load_gives_the_same_edits(name, tmp_path):
    trainer = Trainer(variant_config(name, **{"train.max_steps": "2"}), tmp_path / "run")
    trainer.fit()
    folder = tmp_path / "export"
    folder.mkdir()
    save_pretrained(folder, trainer.model, trainer.config, list(trainer.tokenizer.vocab.itos), trainer.step)
    loaded, config, _ = load_pretrained(folder)
    assert type(loaded) is type(trainer.model) and config == trainer.config
    b = fixed_batch(trainer)
    torch.testing.assert_close(edit(loaded, b), edit(trainer.model.eval(), b), rtol=0, atol=0)


@pytest.mark.parametrize(("name", "options"), [(n, {}) for n in NAMES] + [("ours-avatars", RECOLOUR)])
def test_resume_continues_exactly(name, options, tmp_path):
    config = variant_config(name, **{"train.max_steps": "6", "train.checkpoint_every": "3"}, **options)
    straight = Trainer(config, tmp_path / "straight")
    straight.fit()
    stopped = Trainer(config, tmp_path / "stopped")
    stopped.total_steps = 3  # as if killed right after the step-3 checkpoint
    stopped.fit()
    resumed = Trainer(None, tmp_path / "stopped", resume=True)
    assert resumed.step == 3
    resumed.fit()
    a, b = straight.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a), name


@pytest.mark.parametrize("name", NAMES)
def test_one_step_lowers_the_stepped_loss_on_a_fixed_batch(name, tmp_path):
    trainer = Trainer(variant_config(name), tmp_path / "run")
    model, recipe, cfg = trainer.model.train(), trainer.recipe, trainer.config.train
    b = fixed_batch(trainer, 32)
    state = trainer.rng.get_state()

    def rng() -> torch.Generator:  # the same draw and noise for before, step and after
        g = torch.Generator()
        g.set_state(state)
        return g

    with torch.no_grad():
        before = {k: float(v) for k, v in recipe.losses(model, b, cfg, rng()).items()}
    stats = recipe.step(model, b, cfg, trainer.opts, rng(), trainer.dist)
    key = recipe.stepped(stats)
    with torch.no_grad():
        after = float(recipe.losses(model, b, cfg, rng())[key])
    assert after < before[key], (key, before[key], after)


def test_registry_names_match_presets():
    for name, system in SYSTEMS.items():
        for domain, preset in system.presets.items():
            assert (resolve(preset).variant, resolve(preset).domain) == (name, domain)


# --- ours: the compositor itself -------------------------------------------------------------


@pytest.fixture(scope="module")
def test_split():
    return DigitBenchmark(resolve("digits-ours").data).split("test")


def test_ours_compositor_with_true_boxes_reproduces_the_targets(test_split):
    """Given the true boxes, the warp alone must redraw every non-"put" target almost exactly."""
    model = build_model("ours", resolve("digits-ours").model).eval()
    b = test_split.batch(np.arange(0, len(test_split), 97))  # 3,805 items over all rules
    x = normalize(b.source, "linear")
    digit = b.target_labels[:, 0].clamp(max=9)
    out = denormalize(model.compose(x, b.source_labels[:, 1:], b.target_labels[:, 1:], digit), "linear")
    score = ssim(out, b.target)
    put = b.action == 0
    assert score[~put].mean() > 0.97 and score[~put].min() > 0.6, (score[~put].mean(), score[~put].min())
    remove = b.target_labels[:, 0] == 10
    assert torch.equal(out[remove], b.target[remove])  # removing clears the box exactly
    same = model.compose(x, b.source_labels[:, 1:], b.source_labels[:, 1:], digit)
    torch.testing.assert_close(same, x, rtol=0, atol=1e-5)  # source box onto itself: no change


def test_ours_draws_puts_with_the_class_exemplar(test_split):
    model = build_model("ours", resolve("digits-ours").model).eval()
    pool = test_split.pool
    model.set_exemplars(torch.from_numpy(class_medoids(pool.images, pool.labels)))
    puts = np.flatnonzero(test_split.batch(np.arange(369)).action.numpy() == 0)
    b = test_split.batch(puts)
    out = model.compose(normalize(b.source, "linear"), b.source_labels[:, 1:], b.target_labels[:, 1:],
                        b.target_labels[:, 0])  # fmt: skip
    out = denormalize(out, "linear").float()
    inside = out[b.target != 0].mean()  # ink lands where the target has ink …
    assert inside > 40 and out[b.target == 0].mean() < inside / 4  # … and mostly nowhere else


def test_class_medoids_pick_a_central_member():
    images = np.zeros((5, 2, 2), dtype=np.uint8)
    images[:, 0, 0] = [0, 10, 20, 30, 200]
    labels = np.zeros(5, dtype=np.int64)
    assert class_medoids(images, labels, classes=1)[0, 0, 0] == 20
    with pytest.raises(ValueError, match="class 1"):
        class_medoids(images, labels, classes=2)


def test_ours_with_no_instruction_returns_the_source():
    torch.manual_seed(0)
    model = LayoutEditor(resolve("digits-ours").model).eval()
    x = torch.rand(3, 1, 64, 64) * 2 - 1
    out = model.generate(x, torch.zeros(3, 1, dtype=torch.long), torch.zeros(3, dtype=torch.long), None)
    src = model.boxes(x, torch.zeros(3, 1, dtype=torch.long), torch.zeros(3, dtype=torch.long))[0]
    keep = 1 - __import__("imi.systems.ours.layout", fromlist=["box_masks"]).box_masks(src, 64)
    torch.testing.assert_close(out * keep, x * keep)  # outside the box: untouched
