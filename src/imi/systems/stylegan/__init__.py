"""The style-based prior (SPEC-semantic §2): an unconditional StyleGAN2-like generator of unlabelled
pictures, the prior of the few-shot synthesiser and the drag editor."""

from imi.core.plugins import System
from imi.systems.stylegan.config import StyleGANConfig
from imi.systems.stylegan.networks import StyleGAN
from imi.systems.stylegan.recipe import StyleGANRecipe

SYSTEMS = {
    "stylegan": System(
        model=StyleGAN,
        recipe=StyleGANRecipe(),
        task="sample",
        config=StyleGANConfig,
        presets={},  # not a label-map synthesiser: `imi bench avatar-maps` compares those
        summary="StyleGAN2-like: mapping to W, a style per layer, modulated convs, residual D, R1, EMA",
    ),
}
