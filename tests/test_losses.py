"""Loss functions on known values."""

import math

import pytest
import torch

from imi.nn import gan_losses as losses


def test_cross_entropy_terms():
    zero = torch.zeros(4)
    for fn in (losses.d_real_right, losses.d_real_wrong, losses.d_fake_right, losses.g_fake_right):
        assert fn(zero).item() == pytest.approx(math.log(2))
    big = torch.full((2,), 20.0)
    assert losses.d_real_right(big).item() == pytest.approx(0, abs=1e-6)  # D says "real & matching": no loss
    assert losses.d_real_wrong(big).item() == pytest.approx(20, rel=1e-4)  # but the condition was wrong
    assert losses.g_fake_right(torch.tensor([math.log(3)])).item() == pytest.approx(-math.log(0.75))


def test_feature_matching():
    real = [torch.zeros(2, 3, 2, 2), torch.zeros(2, 5)]
    fake = [torch.ones(2, 3, 2, 2), torch.full((2, 5), 2.0)]
    # layer 1: mean of 1² = 1; layer 2: mean of 2² = 4
    assert losses.feature_matching(real, fake).item() == pytest.approx(5.0)
    assert losses.feature_matching(real, real).item() == 0


def test_label_loss_uniform_logits():
    logits = {k: torch.zeros(3, n) for k, n in {"digit": 11, "x": 3, "y": 3, "w": 4, "h": 4}.items()}
    labels = torch.tensor([[0, 1, 2, 3, 0]] * 3)
    expected = math.log(11) + 2 * math.log(3) + 2 * math.log(4)
    assert losses.label_loss(logits, labels).item() == pytest.approx(expected)
    logits["digit"][:, 0] = 100.0  # the right digit, confidently
    assert losses.label_loss(logits, labels).item() == pytest.approx(expected - math.log(11), abs=1e-4)


def test_combined_losses():
    one = torch.tensor(1.0)
    assert losses.discriminator_loss(one, 2 * one, 3 * one, 1.0, 0.5, 0.5).item() == pytest.approx(1 + 1 + 1.5)
    assert losses.generator_loss(one, 3 * one, 2.0, 2.0).item() == pytest.approx(8.0)
