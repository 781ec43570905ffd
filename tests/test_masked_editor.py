"""ours-avatars' options: the recolour path of its content and the per-item content loss."""

from dataclasses import replace

import pytest
import torch

from imi.config import resolve
from imi.models.masked import MaskedEditor
from imi.training.step import StepBatch

C = 3


def model(**options) -> MaskedEditor:
    torch.manual_seed(0)
    return MaskedEditor(replace(resolve("avatars-ours-40k").model, **{"recolour": False, "per_item": False, **options}))


def tokens(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.randint(2, 20, (n, 5)), torch.full((n,), 5)


def set_head(m: MaskedEditor, log_gain: float, gate: float) -> None:
    """Constant head: mask logit 0, drawn content tanh(0) = 0, the given gain and gate everywhere."""
    with torch.no_grad():
        m.head.weight.zero_()
        m.head.bias.copy_(torch.tensor([0.0] + [0.0] * C + [log_gain] * C + [gate]))


def test_recolour_adds_a_gain_and_a_gate_to_the_head():
    assert model().head.out_channels == 1 + C
    assert model(recolour=True).head.out_channels == 2 + 2 * C


def test_recolour_content_is_the_source_scaled_in_unit_range():
    m = model(recolour=True).eval()
    x = torch.rand(2, C, 64, 64) * 2 - 1
    set_head(m, log_gain=torch.log(torch.tensor(0.5)).item(), gate=30.0)  # gate ≈ 1: all gain
    with torch.no_grad():
        _, content = m.parts(x, *tokens(2))
    torch.testing.assert_close(content, ((x + 1) / 2 * 0.5) * 2 - 1, atol=1e-5, rtol=0)
    # a gain that would overshoot white stays in range
    set_head(m, log_gain=torch.log(torch.tensor(4.0)).item(), gate=30.0)
    with torch.no_grad():
        _, content = m.parts(x, *tokens(2))
    torch.testing.assert_close(content, ((x + 1) / 2 * 4).clamp(0, 1) * 2 - 1, atol=1e-5, rtol=0)


def test_closed_gate_gives_the_drawn_content():
    m = model(recolour=True).eval()
    set_head(m, log_gain=1.0, gate=-30.0)
    with torch.no_grad():
        _, content = m.parts(torch.rand(2, C, 64, 64) * 2 - 1, *tokens(2))
    assert content.abs().max() < 1e-6  # drawn = tanh(0)


@pytest.mark.parametrize(("per_item", "expected"), [(False, 4 / 404), (True, (1 + 0) / 2)])
def test_content_loss_pooled_or_per_item(monkeypatch, per_item, expected):
    """Item 0 changes 4 pixels, all wrong by 1; item 1 changes 400 pixels, all right."""
    m = model(per_item=per_item)
    source, target = torch.zeros(2, C, 64, 64), torch.zeros(2, C, 64, 64)
    change = torch.zeros(2, C, 64, 64, dtype=torch.bool)
    change[0, :, :2, :2] = True
    change[1, :, 10:30, 10:30] = True
    content = target.clone()
    content[0, :, :2, :2] = 1.0
    monkeypatch.setattr(m, "parts", lambda *a: (torch.zeros(2, 1, 64, 64), content))
    b = StepBatch(source, target, *tokens(2), None, None, change)
    assert m.loss(b)["content_l1"].item() == pytest.approx(expected, rel=1e-6)
