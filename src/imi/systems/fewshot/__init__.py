"""Few-shot semantic synthesis with a GAN prior (SPEC-semantic §2): K labelled pairs, prototypes of
the prior's features, pseudo-labelled pairs without end, and an encoder from maps or scribbles to W+."""

from imi.core.plugins import System
from imi.systems.fewshot.config import FewShotConfig
from imi.systems.fewshot.networks import FewShot
from imi.systems.fewshot.recipe import FewShotRecipe

SYSTEMS = {
    "fewshot": System(
        model=FewShot,
        recipe=FewShotRecipe(),
        task="synthesize",
        config=FewShotConfig,
        presets={},  # its data differ (K train pairs): `imi fewshot compare` sets it against the baselines
        summary="K labelled pairs: prototypes of a StyleGAN prior's features pseudo-label its pictures; map → W+",
    ),
}
