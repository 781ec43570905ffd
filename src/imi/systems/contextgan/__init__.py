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
    # The paper's baseline (Reed et al.): the same stages and discriminators without C; its preset sets
    # model.use_context = false.
    "text-gan": System(
        model=ContextGAN,
        recipe=ContextGANRecipe(),
        task="generate",
        presets={"clipscenes": "clipscenes-textonly"},
        summary="the text-only baseline (Reed et al.): the same three stages and Ds without C",
        config=ContextGANConfig,
    ),
}
