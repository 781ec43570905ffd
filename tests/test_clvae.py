"""Issue 25's system: class- and layer-wise codes, the two baselines, their recipe and the Synthesizer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imi.core.errors import ImiError
from imi.systems.clvae.config import CLVAEConfig
from imi.systems.clvae.networks import CLVAE, ClassNorm
from imi.systems.clvae.recipe import CLVAERecipe, kl_normal
from imi.tasks.synthesize.batch import MapStepBatch, one_hot

K = 10


def _maps(n: int, size: int = 16, seed: int = 0) -> torch.Tensor:
    """Label maps of four quadrants, each a random class."""
    g = torch.Generator().manual_seed(seed)
    quads = torch.randint(K, (n, 2, 2), generator=g)
    return quads.repeat_interleave(size // 2, 1).repeat_interleave(size // 2, 2)


def test_code_shapes_of_the_three_latents():
    for latent, shape in (("class-layer", (2, K, 4)), ("global", (1, 1, 6)), ("none", (0, 0, 0))):
        m = CLVAE(CLVAEConfig(size=16, latent=latent, code_dim=4, global_dim=6, ngf=4, nef=4, ndf=4)).eval()
        assert m.code_shape == shape
        labels = _maps(3)
        codes = torch.randn(3, *shape) if shape[0] else None
        assert m.generate(one_hot(labels, K), codes).shape == (3, 3, 16, 16)
        if shape[0]:
            mu, logvar = m.encode(torch.zeros(3, 3, 16, 16), one_hot(labels, K))
            assert mu.shape == logvar.shape == (3, *shape)
            with pytest.raises(ValueError, match="codes must be"):
                m.generate(one_hot(labels, K), torch.randn(3, 5))
        else:
            with pytest.raises(ValueError, match="no latent"):
                m.encode(torch.zeros(3, 3, 16, 16), one_hot(labels, K))
        assert not any(k.startswith("d.") for k in m.inference_state())


def test_class_norm_modulates_only_the_pixels_of_that_class():
    torch.manual_seed(0)
    norm = ClassNorm(5, K, 3, 8).eval()
    torch.nn.init.normal_(norm.out.weight)  # a trained layer; zero-initialised it would ignore the codes
    labels = _maps(2, 8)
    masks = one_hot(labels, K)
    x, codes = torch.randn(2, 5, 8, 8), torch.randn(2, K, 3)
    k = int(labels[0, 0, 0])
    moved = codes.clone()
    moved[:, k] += 1.0
    diff = (norm(x, masks, codes) - norm(x, masks, moved)).abs().amax(1)
    assert (diff[labels == k] > 1e-4).all()
    assert (diff[labels != k] == 0).all()


class _PerClassColour:
    """A stand-in generator: each pixel is its class's first code number (plus, if ``leak``, the mean
    code of all classes): redrawing one class changes only its region unless it leaks."""

    config = CLVAEConfig(size=16, code_dim=4)

    def __init__(self, leak: bool):
        self.leak = leak

    def generate(self, onehot, codes):
        own = torch.einsum("bk,bkhw->bhw", codes[:, 0, :, 0], onehot)
        out = own + (codes[:, 0, :, 0].mean(1)[:, None, None] if self.leak else 0)
        return out[:, None].expand(-1, 3, -1, -1)


def test_the_local_term_sees_only_changes_outside_the_redrawn_class():
    b = _colour_problem(4, 1)
    codes = torch.randn(4, 2, K, 4)
    for leak, zero in ((False, True), (True, False)):
        model = _PerClassColour(leak)
        fake = model.generate(b.onehot, codes)
        loss = float(CLVAERecipe().local_loss(model, b, codes, fake, torch.Generator().manual_seed(0)))
        assert (loss == 0.0) == zero and loss >= 0


def test_kl_is_zero_at_the_prior_and_positive_elsewhere():
    assert float(kl_normal(torch.zeros(2, 4), torch.zeros(2, 4))) == 0.0
    assert float(kl_normal(torch.ones(2, 4), torch.zeros(2, 4))) == pytest.approx(2.0)


def test_config_refuses_bad_values():
    from imi.core.config import ConfigError

    with pytest.raises(ConfigError, match="latent"):
        CLVAEConfig(latent="local")
    with pytest.raises(ConfigError, match="size"):
        CLVAEConfig(size=48)
    with pytest.raises(ConfigError, match="lambda_kl"):
        CLVAEConfig(lambda_kl=float("nan"))


class _OneProcess:
    def average_grads(self, params):
        pass


def _colour_problem(n: int, seed: int) -> MapStepBatch:
    """Each class has a fixed colour, shifted per picture by a random brightness: what a code must carry."""
    g = torch.Generator().manual_seed(seed)
    labels = _maps(n, 16, seed)
    palette = torch.rand(K, 3, generator=g) * 1.2 - 0.6
    shift = torch.rand(n, 1, 1, 1, generator=g) * 0.8 - 0.4
    image = (palette[labels].permute(0, 3, 1, 2) + shift).clamp(-1, 1)
    return MapStepBatch(image, labels, one_hot(labels, K))


def test_training_lowers_the_reconstruction_error_on_a_fixed_problem():
    torch.manual_seed(0)
    cfg = CLVAEConfig(size=16, code_dim=4, ngf=8, nef=8, ndf=8)
    model, recipe = CLVAE(cfg), CLVAERecipe()
    train = type("T", (), {"lr": 2e-3, "beta1": 0.0, "beta2": 0.9})()
    opts, rng = recipe.optimizers(model, train), torch.Generator().manual_seed(0)
    b = _colour_problem(16, 0)

    def error() -> float:
        model.eval()
        with torch.no_grad():
            mu, _ = model.encode(b.image, b.onehot)
            err = float((model.generate(b.onehot, mu) - b.image).abs().mean())
        model.train()
        return err

    before = error()
    for _ in range(60):
        stats = recipe.step(model, b, train, opts, rng, _OneProcess())
    assert all(np.isfinite(v) for v in stats.values())
    assert error() < 0.5 * before


@pytest.mark.parametrize("latent", ["class-layer", "global"])
def test_resample_and_transfer_touch_the_codes_they_name(tiny_synth, latent):
    synth = tiny_synth(latent)
    labels = _maps(1)[0].numpy()
    out = synth.synthesize(labels, seed=3)
    assert out.image.shape == (16, 16, 3) and out.image.dtype == np.uint8
    assert np.array_equal(synth.synthesize(labels, seed=3).image, out.image)  # the seed decides
    k = int(labels[0, 0])
    again = synth.resample(out, k, layer=1 if latent == "class-layer" else None, seed=4)
    changed = (again.codes != out.codes).any(-1)  # (L, K)
    if latent == "class-layer":
        assert changed[1, k] and changed.sum() == 1  # that class at that layer, nothing else
    else:
        assert changed.all()  # the one global code is everything
    reference = synth.synthesize(labels, seed=9)
    copied = synth.transfer(out, synth.classes[k], reference.image, reference_labels=labels)
    theirs = synth.encode(torch.from_numpy(reference.image).permute(2, 0, 1)[None], torch.from_numpy(labels)[None])[0]
    if latent == "class-layer":
        assert torch.equal(copied.codes[:, k], theirs[:, k])
        others = [j for j in range(K) if j != k]
        assert torch.equal(copied.codes[:, others], out.codes[:, others])
    else:
        assert torch.equal(copied.codes, theirs)
    absent = next(j for j in range(K) if not (labels == j).any())
    with pytest.raises(ImiError, match="shows no"):
        synth.transfer(out, absent, reference.image, reference_labels=labels)
    with pytest.raises(ImiError, match="layer must be"):
        synth.resample(out, k, layer=2)
    with pytest.raises(ImiError, match="unknown class"):
        synth.resample(out, "hat")
    with pytest.raises(ImiError, match="uint8"):
        synth.transfer(out, k, reference.image.astype(np.float32), reference_labels=labels)


def test_a_model_without_latent_draws_one_picture_per_map(tiny_synth):
    synth = tiny_synth("none")
    labels = _maps(1)[0].numpy()
    a, b = synth.synthesize(labels, seed=0), synth.synthesize(labels, seed=1)
    assert a.codes is None and np.array_equal(a.image, b.image)
    with pytest.raises(ImiError, match="no latent"):
        synth.resample(a, 0)
