"""The conditional captioning GAN (paper 003): LaTextGAN conditioned on the image, with an InfoGAN code."""

from imi.core.plugins import System
from imi.systems.latextgan.config import CaptionGANConfig
from imi.systems.latextgan.networks import CaptionGAN
from imi.systems.latextgan.recipe import CaptionGANRecipe

SYSTEMS = {
    "caption-gan": System(
        model=CaptionGAN,
        recipe=CaptionGANRecipe(),
        task="caption",
        presets={"gridmnist": "gridmnist-word"},
        summary="LaTextGAN + image condition + InfoGAN code: Dec(G(c, X)), c ~ N(0, I3)",
        config=CaptionGANConfig,
    ),
}
