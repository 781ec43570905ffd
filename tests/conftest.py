"""Shared fixtures: tiny configs and a tiny trained checkpoint."""

from pathlib import Path

import pytest

from imi.core.config import ExperimentConfig
from imi.presets import resolve

# Small enough that a step takes milliseconds on one core.
TINY = {
    "model.ch": "8",
    "model.d_im": "32",
    "model.d_dis": "32",
    "model.d_i": "16",
    "model.d_fc": "16",
    "model.d_emb": "16",
    "model.z_dim": "8",
    "train.batch_size": "16",
    "train.log_every": "5",
    "train.sample_every": "1000",
    "train.checkpoint_every": "1000",
    "train.threads": "1",
    "data.train_per_class": "20",
    "data.test_per_class": "5",
}


def tiny_config(**overrides: str) -> ExperimentConfig:
    return resolve("digits-small", {**TINY, **overrides})


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """A run folder trained for a few steps (weights, training state, stats)."""
    from imi.training.loop import Trainer

    run = tmp_path_factory.mktemp("runs") / "tiny"
    Trainer(tiny_config(**{"train.max_steps": "10"}), run).fit()
    return run


@pytest.fixture(scope="session")
def digits():
    """The shipped digit editor (it really edits: sessions refuse a step that changes nothing)."""
    from imi import Editor

    return Editor.from_pretrained("digits")


@pytest.fixture(scope="session")
def avatars():
    """The shipped avatar editor."""
    from imi import Editor

    return Editor.from_pretrained("avatars")


@pytest.fixture(scope="session")
def tiny_synth():
    """``(latent) →`` a Synthesizer over an untrained 16×16 avatar-maps model with that latent."""
    import torch

    from imi.pipelines.synthesize import Synthesizer
    from imi.systems.clvae.networks import CLVAE

    def make(latent: str) -> Synthesizer:
        torch.manual_seed(0)
        config = resolve("avatar-maps", {"model.size": "16", "model.latent": latent, "model.code_dim": "4",
                                         "model.global_dim": "6", "model.ngf": "4", "model.nef": "4"})  # fmt: skip
        model = CLVAE(config.model).eval()
        for norm in (m for m in model.modules() if hasattr(m, "embed")):
            torch.nn.init.normal_(norm.out.weight, std=0.5)  # untrained norms ignore codes (zero init)
        return Synthesizer(model, config)

    return make
