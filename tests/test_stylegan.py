"""Issue 26, the prior: the style-based generator, its inversion, its recipe and its pipeline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imi.core.errors import ImiError
from imi.nn.stylegan import StyleGenerator, project
from imi.systems.stylegan.config import StyleGANConfig
from imi.systems.stylegan.networks import StyleGAN
from imi.systems.stylegan.recipe import StyleGANRecipe

SMALL = dict(size=16, z_dim=16, w_dim=16, mapping_layers=2, g_base=128, g_most=16, d_base=128, d_most=16)


def test_the_generator_has_a_style_per_layer_and_features_per_resolution():
    torch.manual_seed(0)
    g = StyleGenerator(64, 32, 32, 2, 0.01, 1024, 128)
    assert g.num_ws == 10  # 2·log2(64) − 2
    ws = g.broadcast(g.w(torch.randn(3, 32)))
    image, feats = g.synthesis(ws, features=True)
    assert image.shape == (3, 3, 64, 64)
    widths = zip([128, 128, 64, 32, 16], [4, 8, 16, 32, 64], strict=True)
    assert [f.shape[1:] for f in feats] == [(c, r, r) for c, r in widths]
    rgb, stacked = g.features(ws)
    assert torch.equal(rgb, image) and stacked.shape == (3, g.feature_dim, 64, 64) and g.feature_dim == 368
    # A fine layer's style changes the picture; the coarse layers untouched keep the 4×4 activation.
    other = ws.clone()
    other[:, 9] = g.w(torch.randn(3, 32))
    again, feats2 = g.synthesis(other, features=True)
    assert not torch.allclose(again, image) and torch.equal(feats2[0], feats[0])


def test_truncation_zero_is_the_mean_picture():
    torch.manual_seed(0)
    g = StyleGenerator(16, 16, 16, 2, 0.01, 128, 16)
    g.w_avg.normal_()
    a, b = g(torch.randn(2, 16), truncation=0.0)
    assert torch.allclose(a, b, atol=1e-6)
    c, d = g(torch.randn(2, 16))
    assert not torch.allclose(c, d)


def test_inversion_finds_a_generated_picture_and_leaves_the_weights_alone():
    torch.manual_seed(0)
    g = StyleGenerator(16, 16, 16, 2, 0.01, 128, 16)
    with torch.no_grad():
        g.w_avg.copy_(g.mapping(torch.randn(512, 16)).mean(0))  # as training leaves it
        target = g.synthesis(g.broadcast(g.w(torch.randn(4, 16), truncation=0.5)))
    before = {k: v.clone() for k, v in g.state_dict().items()}
    _, err_start = project(g, target, steps=1)
    ws, err = project(g, target, steps=150, lr=0.05)
    assert ws.shape == (4, g.num_ws, 16)
    assert float(err.mean()) < 0.5 * float(err_start.mean())  # the reconstruction error halves at least
    assert all(torch.equal(v, g.state_dict()[k]) for k, v in before.items())
    assert all(p.requires_grad for p in g.parameters())  # restored


def test_the_prior_learns_the_colour_of_its_data():
    """A tiny, seeded problem: every real picture is one orange; the samples' mean colour moves toward it."""
    torch.manual_seed(0)
    model = StyleGAN(StyleGANConfig(**SMALL, r1_every=2, ema_images=64))
    recipe = StyleGANRecipe()
    from imi.core.config import TrainConfig
    from imi.core.distributed import setup
    from imi.tasks.sample.batch import PictureBatch

    cfg = TrainConfig(batch_size=8, lr=5e-3, beta1=0.0, beta2=0.99)
    opts, dist, rng = recipe.optimizers(model, cfg), setup("cpu", 1), torch.Generator().manual_seed(0)
    colour = torch.tensor([0.9, 0.3, -0.6])[None, :, None, None]
    real = PictureBatch(colour.expand(8, 3, 16, 16).clone())
    z = torch.randn(64, 16, generator=torch.Generator().manual_seed(1))

    def gap() -> float:
        with torch.no_grad():
            return float((model.generator(z).mean((0, 2, 3)) - colour.flatten()).norm())

    start = gap()
    for _ in range(60):
        stats = recipe.step(model, real, cfg, opts, rng, dist)
    assert gap() < 0.5 * start
    assert {"loss_d", "loss_g", "d_real", "d_fake"} <= set(stats) and int(model.steps) == 60
    assert torch.isfinite(model.generator.w_avg).all() and model.generator.w_avg.abs().sum() > 0
    assert set(model.inference_state()) == {f"ema.{k}" for k in model.ema.state_dict()}


def test_config_refuses_bad_settings():
    from imi.core.config import ConfigError

    for bad in ({"size": 48}, {"mixing": 1.5}, {"mapping_lr": 0.0}, {"r1_every": 0}, {"r1_gamma": float("nan")}):
        with pytest.raises(ConfigError):
            StyleGANConfig(**bad)


@pytest.fixture(scope="module")
def prior():
    from imi.core.config import ExperimentConfig, TrainConfig
    from imi.domains.avatarmaps.config import MapDataConfig
    from imi.pipelines.prior import StylePrior

    torch.manual_seed(0)
    config = ExperimentConfig(preset="t", data=MapDataConfig(size=32), variant="stylegan",
                              model=StyleGANConfig(**{**SMALL, "size": 32}), train=TrainConfig())  # fmt: skip
    return StylePrior(StyleGAN(config.model).eval(), config)


def test_the_prior_pipeline_samples_reproducibly_and_inverts(prior):
    a, b = prior.sample(3, seed=5), prior.sample(3, seed=5)
    assert a.shape == (3, 32, 32, 3) and a.dtype == np.uint8 and np.array_equal(a, b)
    assert not np.array_equal(a, prior.sample(3, seed=6))
    found = prior.invert(a[0], steps=5)
    assert found.ws.shape == (1, prior.generator.num_ws, 16) and found.image.shape == (1, 3, 32, 32)
    assert found.error.shape == (1,) and 0 <= float(found.error[0]) <= 255


def test_the_prior_pipeline_refuses_bad_input(prior):
    with pytest.raises(ImiError, match="truncation"):
        prior.sample(2, 0, truncation=1.5)
    with pytest.raises(ImiError, match="seed"):
        prior.sample(2, -1)
    with pytest.raises(ImiError, match="positive integer"):
        prior.sample(0, 0)
    with pytest.raises(ImiError, match="uint8"):
        prior.invert(np.zeros((32, 32, 3), np.float32))
    with pytest.raises(ImiError, match="uint8"):
        prior.invert(np.zeros((16, 16, 3), np.uint8))
    with pytest.raises(ImiError, match="steps"):
        prior.invert(np.zeros((32, 32, 3), np.uint8), steps=0)
