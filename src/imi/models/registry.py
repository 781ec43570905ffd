"""Every model variant, by name: its network, its recipe and the preset the bench trains.

Adding a variant means one class with :meth:`~imi.models.base.EditModel.generate`,
one recipe (or an existing one) and one line here; the trainer, checkpoints,
pipeline, evaluation and ``imi bench`` pick it up from this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from imi.config import ConfigError, ModelConfig
from imi.models.base import EditModel
from imi.models.imi import Cap2ImageModel, IMIModel, SIMModel
from imi.models.masked import MaskedEditor
from imi.models.ours import LayoutEditor
from imi.models.tim import TIMModel


@dataclass(frozen=True)
class Variant:
    """``model``: the network; ``recipe``: a key of :data:`imi.training.recipes.RECIPES`;
    ``preset``: the preset the bench trains (its domain says which bench); ``summary``: one line for tables."""

    model: type[EditModel]
    recipe: str
    preset: str
    summary: str


VARIANTS: dict[str, Variant] = {
    "imi-paper": Variant(
        IMIModel, "paper", "digits-small", "the paper: CNN+LSTM → FC → DCGAN, matching-aware D, rule (23)"
    ),
    "imi-sim": Variant(SIMModel, "paper", "digits-sim", "the paper + Source Image Masking (SPEC §5)"),
    "cap2image": Variant(Cap2ImageModel, "paper", "digits-cap2image", "text-only conditional GAN (paper Fig. 2/3)"),
    "tim": Variant(TIMModel, "tim", "digits-tim", "TIM-GAN-style: spatial features, where-mask, AdaIN how, GAN + L1"),
    "ours": Variant(LayoutEditor, "supervised", "digits-ours", "layout editor: predicted boxes, warp of the source"),
    "ours-avatars": Variant(
        MaskedEditor, "supervised", "avatars-ours", "masked U-Net: FiLM by the instruction, copy outside the mask"
    ),
}


def build_model(variant: str, config: ModelConfig) -> EditModel:
    if variant not in VARIANTS:
        raise ConfigError(f"variant: unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    return VARIANTS[variant].model(config)
