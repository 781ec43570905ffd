"""The TIM-GAN-style peer: spatial features, a where-mask and an AdaIN "how", GAN + L1."""

from imi.core.plugins import System
from imi.systems.tim.network import TIMModel
from imi.systems.tim.recipe import TIMRecipe

SYSTEMS = {
    "tim": System(
        TIMModel,
        TIMRecipe(),
        "edit",
        {"digits": "digits-tim"},
        "TIM-GAN-style: spatial features, where-mask, AdaIN how, GAN + L1",
    ),
}
