"""The paper's system (000): CNN + LSTM encoders, a conditional DCGAN and a matching-aware D under
update rule (23); with Source Image Masking (SIM); and the text-only cap2image baseline."""

from imi.core.plugins import System
from imi.systems.imi.networks import Cap2ImageModel, IMIModel, SIMModel
from imi.systems.imi.recipe import PaperRecipe

SYSTEMS = {
    "imi-paper": System(
        IMIModel,
        PaperRecipe(),
        "edit",
        {"digits": "digits-small", "avatars": "avatars-small"},
        "the paper: CNN+LSTM → FC → DCGAN, matching-aware D, rule (23)",
    ),
    "imi-paper+l1": System(
        IMIModel,
        PaperRecipe(),
        "edit",
        {"digits": "digits-small-l1", "avatars": "avatars-small-l1"},
        "the paper + an L1 term on G(z, c_r) (beyond the paper)",
    ),
    "imi-sim": System(
        SIMModel,
        PaperRecipe(),
        "edit",
        {"digits": "digits-sim", "avatars": "avatars-sim"},
        "the paper + Source Image Masking (SPEC §5)",
    ),
    "imi-sim+l1": System(
        SIMModel,
        PaperRecipe(),
        "edit",
        {"digits": "digits-sim-l1", "avatars": "avatars-sim-l1"},
        "SIM + an L1 term on G(z, c_r) (beyond the paper)",
    ),
    "cap2image": System(
        Cap2ImageModel,
        PaperRecipe(),
        "edit",
        {"digits": "digits-cap2image"},
        "text-only conditional GAN (paper Fig. 2/3)",
    ),
}
