"""Our editors: the layout editor for digits (predicted boxes, a warp of the source) and the masked
U-Net for avatars (FiLM by the instruction, the source copied outside the mask)."""

from imi.core.plugins import System
from imi.systems.ours.layout import LayoutEditor
from imi.systems.ours.masked import MaskedEditor
from imi.systems.ours.recipe import SupervisedRecipe

SYSTEMS = {
    "ours": System(
        LayoutEditor,
        SupervisedRecipe(),
        "edit",
        {"digits": "digits-ours"},
        "layout editor: predicted boxes, warp of the source",
    ),
    "ours-avatars": System(
        MaskedEditor,
        SupervisedRecipe(),
        "edit",
        {"avatars": "avatars-ours"},
        "masked U-Net: FiLM by the instruction, copy outside the mask",
    ),
}
