"""ours-avatars' options: the recolour path of its content and the per-item content loss."""

from dataclasses import replace

import pytest
import torch

from imi.core.config import ConfigError
from imi.presets import resolve
from imi.systems.ours.masked import MaskedEditor
from imi.tasks.edit.batch import StepBatch

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
    monkeypatch.setattr(m, "paths", lambda *a: (torch.zeros(2, 1, 64, 64), content, None, None))
    b = StepBatch(source, target, *tokens(2), None, None, change)
    assert m.loss(b)["content_l1"].item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("gate_init", [0.0, 3.0])
def test_gate_init_sets_the_starting_mix_of_recoloured_source_and_drawing(gate_init):
    """A fresh net's content is ``σ(gate_init)`` of the way from its drawing to the (gain ≈ 1) source."""
    m = model(recolour=True, gate_init=gate_init).eval()
    with torch.no_grad():
        m.head.weight.zero_()  # only the biases act
        m.head.bias[1 + C : 1 + 2 * C].zero_()  # gain e⁰ = 1: the gained path is the source itself
    x = torch.rand(2, C, 64, 64) * 2 - 1
    with torch.no_grad():
        _, content = m.parts(x, *tokens(2))
    drawn = torch.tanh(m.head.bias[1 : 1 + C]).view(1, C, 1, 1)
    share = torch.sigmoid(torch.tensor(gate_init))
    torch.testing.assert_close(content, share * x + (1 - share) * drawn, atol=1e-5, rtol=0)


@pytest.mark.parametrize("gain_loss", [False, True])
def test_gain_loss_trains_the_gain_behind_a_closed_gate(gain_loss):
    """With the gate shut the gain gets no gradient from the content; ``gain_loss`` gives it its own."""
    m = model(recolour=True, per_item=True, gain_loss=gain_loss)
    set_head(m, log_gain=0.0, gate=-30.0)
    source = torch.rand(2, C, 64, 64) * 2 - 1
    change = torch.zeros(2, C, 64, 64, dtype=torch.bool)
    change[:, :, 8:40, 8:40] = True
    target = torch.where(change, source * 0.5, source)  # a darker region: a gain of ~0.5 explains it
    b = StepBatch(source, target, *tokens(2), None, None, change)
    terms = m.loss(b)
    assert ("gain_l1" in terms) == gain_loss
    terms["loss"].backward()
    gain_grad = m.head.bias.grad[1 + C : 1 + 2 * C].abs().sum().item()
    assert (gain_grad > 1e-3) if gain_loss else (gain_grad < 1e-9)


@pytest.mark.parametrize("gain_size", [4, 8, 32])
def test_coarse_gain_recolours_a_region_uniformly(gain_size):
    """With ``gain_size`` the gain comes from that decoder stage, upsampled: a constant source
    region under a constant coarse gain comes out as one colour, and the weights export."""
    m = model(recolour=True, gain_size=gain_size).eval()
    assert m.head.out_channels == 2 + C and m.gain_head.in_channels == m.widths[(64 // gain_size).bit_length() - 1]
    with torch.no_grad():
        m.head.weight.zero_()
        m.head.bias.copy_(torch.tensor([0.0] * (1 + C) + [30.0]))  # gate ≈ 1: all gain
        m.gain_head.weight.zero_()
        m.gain_head.bias.copy_(torch.log(torch.tensor([0.5, 1.0, 0.25])))
        x = torch.full((2, C, 64, 64), 0.6)  # unit value 0.8
        _, content = m.parts(x, *tokens(2))
    expected = torch.tensor([0.4, 0.8, 0.2]) * 2 - 1
    torch.testing.assert_close(content, expected[None, :, None, None].expand_as(content), atol=1e-5, rtol=0)
    assert any(k.startswith("gain_head.") for k in m.inference_state())


def test_gain_size_must_be_a_decoder_stage():
    with pytest.raises(ConfigError, match="gain_size"):
        replace(resolve("avatars-ours-40k").model, gain_size=12)
