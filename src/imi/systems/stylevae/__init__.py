"""The style-based VAE prior: the GAN prior's generator learnt as a VAE's decoder (non-adversarial), the
prior of the drag editor on canvas digits."""

from imi.core.plugins import System
from imi.systems.stylevae.config import StyleVAEConfig
from imi.systems.stylevae.networks import StyleVAE
from imi.systems.stylevae.recipe import StyleVAERecipe

SYSTEMS = {
    "stylevae": System(
        model=StyleVAE,
        recipe=StyleVAERecipe(),
        task="sample",
        config=StyleVAEConfig,
        presets={},
        summary="the style-based generator as a VAE decoder: ELBO, no discriminator, EMA decoder",
    ),
}
