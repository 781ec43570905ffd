"""Avatar training: the alternating recipe (§3.5.2), SIM on RGB, resume, and a tiny run that learns."""

import numpy as np
import pytest
import torch

from imi.presets import resolve
from imi.registry import build_model
from imi.training.loop import Trainer

from .conftest import TINY

MODEL_TINY = {k: v for k, v in TINY.items() if k.startswith(("model.", "train."))}


@pytest.fixture(scope="session")
def avatar_cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("avatar-cache"))


def avatar_config(cache: str, preset: str = "avatars-small", **overrides: str):
    data = {
        "data.train_triplets": "64", "data.dev_triplets": "16", "data.test_triplets": "16",
        "data.unlabeled": "64", "data.cache_dir": cache,
    }  # fmt: skip
    # batch 16 and 32 unsupervised samples: 2 unlabeled steps, then 2 supervised ones (one phase)
    train = {"train.unsupervised_samples": "32", "train.val_items": "0", "train.max_steps": "0"}
    return resolve(preset, {**MODEL_TINY, **data, **train, **overrides})


def test_training_alternates_unlabeled_and_supervised_halves(avatar_cache, tmp_path):
    trainer = Trainer(avatar_config(avatar_cache), tmp_path / "run")
    assert trainer.half == 2
    kinds = [trainer.train_batch(s).supervised for s in range(8)]
    assert kinds == [False, False, True, True] * 2
    assert [trainer.phase(s) for s in (0, 2, 3, 4, 8)] == [0, 0, 0.5, 1, 2]
    unsup = trainer.train_batch(0)
    assert unsup.lengths.eq(0).all()  # the zero instruction
    assert torch.equal(unsup.target, unsup.source.roll(1, 0))  # the wrong condition: the shuffled batch
    assert not torch.equal(trainer.train_batch(0).source, trainer.train_batch(1).source)
    again = Trainer(avatar_config(avatar_cache), tmp_path / "again")
    assert torch.equal(again.train_batch(5).source, trainer.train_batch(5).source)


@pytest.mark.parametrize("preset", ["avatars-small", "avatars-sim"])
def test_resume_across_phase_boundaries_is_exact(avatar_cache, tmp_path, preset):
    config = avatar_config(avatar_cache, preset, **{"train.max_steps": "6", "train.checkpoint_every": "3"})
    straight = Trainer(config, tmp_path / "straight")
    straight.fit()
    stopped = Trainer(config, tmp_path / "stopped")
    stopped.total_steps = 3
    stopped.fit()
    resumed = Trainer(None, tmp_path / "stopped", resume=True)
    resumed.fit()
    a, b = straight.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_sim_mask_learns_from_supervised_samples_only(avatar_cache, tmp_path):
    trainer = Trainer(avatar_config(avatar_cache, "avatars-sim"), tmp_path / "run")
    model, cfg = trainer.model.train(), trainer.config.train
    unsup, sup = trainer.train_batch(0), trainer.train_batch(2)
    assert "mask" not in model.draw(unsup, 2).aux
    draw = model.draw(sup, 2)
    assert "mask" in draw.aux and draw.aux["mask"].ndim == 0
    m = model.mask(model.im_enc(sup.source), model.i_enc(sup.tokens, sup.lengths))
    assert m.shape == (16, 1, 64, 64) and m.min() >= 0 and m.max() <= 1
    # the teacher of the edit draw: 1 where source and target agree
    teacher = (~sup.change.any(1, keepdim=True)).float()
    torch.testing.assert_close(draw.aux["mask"], torch.nn.functional.mse_loss(m, teacher))
    before = {n: p.detach().clone() for n, p in model.mgen.named_parameters()}
    trainer.recipe.step(model, unsup, cfg, trainer.opts, trainer.rng, trainer.dist)
    assert all(torch.equal(before[n], p) for n, p in model.mgen.named_parameters())


def test_sim_code_is_512x4x4_at_paper_size():
    config = resolve("avatars-paper-sim").model
    model = build_model("imi-sim", config).eval()
    x = torch.zeros(2, 3, 64, 64)
    m = torch.ones(2, 1, 64, 64)
    assert model.masked_code(x, m).shape == (2, 512, 4, 4)
    tokens, lengths = torch.ones(2, 3, dtype=torch.long), torch.tensor([3, 2])
    out = model.generate(x, tokens, lengths, torch.zeros(2, config.z_dim))
    assert out.shape == (2, 3, 64, 64) and out.abs().max() <= 1  # tanh output


def test_a_tiny_sim_run_lowers_its_fixed_batch_mask_loss(avatar_cache, tmp_path):
    config = avatar_config(avatar_cache, "avatars-sim", **{"train.max_steps": "40", "train.lr": "2e-3"})
    trainer = Trainer(config, tmp_path / "run")
    fixed = trainer.to_step_batch(trainer.dev_set.batch(np.arange(16)))

    def mask_loss() -> float:
        with torch.no_grad():
            return float(trainer.model.train().draw(fixed, 2).aux["mask"])

    before = mask_loss()
    trainer.fit()
    after = mask_loss()
    # from the untrained ~0.25 (a mask of 0.5 everywhere) down by more than a quarter
    assert after < 0.75 * before, (before, after)


def test_validation_logs_dev_ssim_by_phase_and_keeps_the_first_dev_edit(avatar_cache, tmp_path):
    from PIL import Image

    from imi.core.checkpoint import FIXED
    from imi.core.stats import read_stats

    config = avatar_config(avatar_cache, **{"train.max_steps": "8", "train.checkpoint_every": "4",
                                            "train.sample_every": "4", "train.val_items": "16"})  # fmt: skip
    trainer = Trainer(config, tmp_path / "run")
    trainer.fit()
    val = read_stats(tmp_path / "run" / "stats.jsonl", "val_ssim")
    assert [(r["step"], r["phase"]) for r in val] == [(4, 1.0), (8, 2.0)]
    assert all(-1 <= r["val_ssim"] <= 1 for r in val)
    assert val[-1]["val_ssim"] == pytest.approx(trainer.dev_scores(16)["val_ssim"])  # the logged number is the dev SSIM
    shots = sorted((tmp_path / "run" / "samples" / FIXED).glob("*.png"))
    assert [p.name for p in shots] == ["step-0000004.png", "step-0000008.png"]
    assert Image.open(shots[0]).size == (64, 64) and Image.open(shots[0]).mode == "RGB"
