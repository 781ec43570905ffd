"""Semantic image synthesis with class- and layer-wise VAEs (SPEC-semantic §1) and its two baselines."""

from imi.core.plugins import System
from imi.systems.clvae.config import CLVAEConfig
from imi.systems.clvae.networks import CLVAE
from imi.systems.clvae.recipe import CLVAERecipe

_SYSTEM = dict(model=CLVAE, recipe=CLVAERecipe(), task="synthesize", config=CLVAEConfig)

SYSTEMS = {
    "clvae": System(
        **_SYSTEM,
        presets={"avatar-maps": "avatar-maps"},
        summary="a code per class per layer (masked pooling), CLADE generator, 2-scale patch D",
    ),
    # The baselines: the same generator and discriminators; their presets set model.latent.
    "clvae-global": System(
        **_SYSTEM,
        presets={"avatar-maps": "avatar-maps-global"},
        summary="the global-latent baseline: one VAE code for the whole picture",
    ),
    "spade": System(
        **_SYSTEM,
        presets={"avatar-maps": "avatar-maps-nolatent"},
        summary="the pix2pix/SPADE-style baseline: no latent, the map alone",
    ),
}
