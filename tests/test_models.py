"""Networks on tiny configs: shapes, norms, output ranges, sizes."""

import pytest
import torch

from imi.core.config import ModelConfig
from imi.nn.encoders import Fusion, ImageEncoder, InstructionEncoder
from imi.presets import PRESETS
from imi.registry import build_model

TINY = ModelConfig(ch=8, d_im=32, d_dis=32, d_i=16, d_fc=16, d_emb=16, z_dim=8)


def test_encoders_are_unit_norm_and_no_instruction_is_zero():
    torch.manual_seed(0)
    phi_im = ImageEncoder(1, 8, 64, 32)(torch.randn(4, 1, 64, 64))
    assert phi_im.shape == (4, 32)
    torch.testing.assert_close(phi_im.norm(dim=1), torch.ones(4))
    enc = InstructionEncoder(25, 16, 16)
    tokens = torch.tensor([[3, 4, 5], [6, 0, 0], [0, 0, 0]])
    phi_i = enc(tokens, torch.tensor([3, 1, 0]))
    assert phi_i.shape == (3, 16)
    torch.testing.assert_close(phi_i[:2].norm(dim=1), torch.ones(2))
    assert torch.equal(phi_i[2], torch.zeros(16))
    # Padding does not change the code of a shorter instruction.
    padded = enc(torch.tensor([[6, 0, 0, 0, 0]]), torch.tensor([1]))
    torch.testing.assert_close(padded[0], phi_i[1])
    phi_fc = Fusion(32, 16, 16)(phi_im[:3], phi_i)
    torch.testing.assert_close(phi_fc.norm(dim=1), torch.ones(3))
    assert (phi_fc >= 0).all()  # sigmoid before the normalisation


@pytest.mark.parametrize(("output", "low", "high"), [("tanh", -1, 1), ("sigmoid", 0, 1)])
def test_bounded_outputs(output, low, high):
    model = build_model("imi-paper", ModelConfig(**{**TINY.to_dict(), "output": output})).eval()
    y = model.generate(
        torch.randn(2, 1, 64, 64), torch.tensor([[2, 3]] * 2), torch.tensor([2, 2]), torch.randn(2, 8) * 50
    )
    assert y.shape == (2, 1, 64, 64) and y.min() >= low and y.max() <= high


def test_discriminator_outputs():
    model = build_model("imi-paper", TINY)
    out = model.dis(torch.randn(3, 1, 64, 64), torch.randn(3, 16))
    assert out.logit.shape == (3,)
    assert [h.shape[1:] for h in out.hidden] == [(8, 32, 32), (16, 16, 16), (32, 8, 8), (64, 4, 4)]
    assert {k: v.shape[1] for k, v in out.aux.items()} == {"digit": 11, "x": 3, "y": 3, "w": 4, "h": 4}
    no_aux = build_model("imi-paper", ModelConfig(**{**TINY.to_dict(), "aux_labels": False}))
    assert no_aux.dis(torch.randn(2, 1, 64, 64), torch.randn(2, 16)).aux is None


def test_rgb_and_other_sizes():
    model = build_model("imi-paper", ModelConfig(**{**TINY.to_dict(), "channels": 3, "image_size": 32}))
    y = model.generate(torch.randn(2, 3, 32, 32), torch.tensor([[2], [3]]), torch.tensor([1, 1]), torch.randn(2, 8))
    assert y.shape == (2, 3, 32, 32)


def test_paper_size_has_the_papers_parameter_count():
    model = build_model("imi-paper", PRESETS["digits-paper"].model)
    assert 27e6 < sum(p.numel() for p in model.parameters()) < 28e6
    assert model.im_enc.fc.weight.shape == (1024, 8192) and model.dis.w_d.weight.shape == (1024, 8192)
