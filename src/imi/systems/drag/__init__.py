"""The drag editor (SPEC-semantic §3): a latent transformer that moves a style-based prior's W+ so its
picture follows dragged and pinned points, trained from latent pairs and their optical flow, no labels."""

from imi.core.plugins import System
from imi.systems.drag.config import DragConfig
from imi.systems.drag.networks import DragTransformer
from imi.systems.drag.recipe import DragTransformerRecipe

SYSTEMS = {
    "drag": System(
        model=DragTransformer,
        recipe=DragTransformerRecipe(),
        task="drag",
        config=DragConfig,
        presets={},  # compared with the optimisation baseline by `imi drag compare`, not by a bench
        summary="latent transformer: W+ and (position, displacement, feature) tokens → W+, from flow pairs",
    ),
}
