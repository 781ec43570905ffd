"""The context-aware GAN (paper 001): text + a context image → a picture, in three stages."""

from imi.core.plugins import System
from imi.systems.contextgan.config import ContextGANConfig
from imi.systems.contextgan.networks import ContextGAN
from imi.systems.contextgan.recipe import ContextGANRecipe

SYSTEMS = {
    "context-gan": System(
        model=ContextGAN,
        recipe=ContextGANRecipe(),
        task="generate",
        presets={"clipscenes": "clipscenes"},
        summary="Reed's DCGAN + 2 StackGAN-II stages, one matching-aware D per scale, context one-hots C",
        config=ContextGANConfig,
    ),
}
