"""Every domain and system the package knows, one line each, and the lookups built on them.

Adding a benchmark: a folder under ``imi/domains/`` exporting ``DOMAIN``, and a line in
:data:`DOMAINS`. Adding a system: a folder under ``imi/systems/`` exporting its entries, and a
line in :data:`SYSTEMS`. The trainer, pipelines, evaluation, bench, demo and study find them here;
nothing else branches on their names. Tests may add entries (and remove them) for throwaway
domains and systems of their own.
"""

from __future__ import annotations

from pathlib import Path

import torch

from imi.core import checkpoint as ckpt
from imi.core.config import ConfigError, ExperimentConfig, ModelConfig
from imi.core.plugins import Domain, System
from imi.domains.avatarmaps.domain import DOMAIN as AVATAR_MAPS
from imi.domains.avatars.domain import DOMAIN as AVATARS
from imi.domains.canvas.domain import DOMAIN as CANVAS_DIGITS
from imi.domains.clipscenes.domain import DOMAIN as CLIPSCENES
from imi.domains.digits.domain import DOMAIN as DIGITS
from imi.domains.gridmnist.domain import DOMAIN as GRIDMNIST
from imi.systems.clvae import SYSTEMS as CLVAE_SYSTEMS
from imi.systems.contextgan import SYSTEMS as CONTEXTGAN_SYSTEMS
from imi.systems.drag import SYSTEMS as DRAG_SYSTEMS
from imi.systems.fewshot import SYSTEMS as FEWSHOT_SYSTEMS
from imi.systems.imi import SYSTEMS as IMI_SYSTEMS
from imi.systems.latextgan import SYSTEMS as LATEXTGAN_SYSTEMS
from imi.systems.ours import SYSTEMS as OURS_SYSTEMS
from imi.systems.stylegan import SYSTEMS as STYLEGAN_SYSTEMS
from imi.systems.stylevae import SYSTEMS as STYLEVAE_SYSTEMS
from imi.systems.tim import SYSTEMS as TIM_SYSTEMS

DOMAINS: dict[str, Domain] = {
    "digits": DIGITS,
    "avatars": AVATARS,
    "gridmnist": GRIDMNIST,
    "clipscenes": CLIPSCENES,
    "avatar-maps": AVATAR_MAPS,
    "canvas-digits": CANVAS_DIGITS,
}

SYSTEMS: dict[str, System] = {
    **IMI_SYSTEMS,  # imi-paper, imi-sim, cap2image
    **TIM_SYSTEMS,  # tim
    **OURS_SYSTEMS,  # ours, ours-avatars
    **LATEXTGAN_SYSTEMS,  # caption-gan
    **CONTEXTGAN_SYSTEMS,  # context-gan, text-gan
    **CLVAE_SYSTEMS,  # clvae, clvae-global, spade
    **STYLEGAN_SYSTEMS,  # stylegan (the unconditional prior)
    **STYLEVAE_SYSTEMS,  # stylevae (the same generator as a VAE decoder)
    **FEWSHOT_SYSTEMS,  # fewshot (K labelled maps + the prior)
    **DRAG_SYSTEMS,  # drag (the latent transformer on a prior)
}


def require_domain(config: ExperimentConfig, name: str) -> Domain:
    """The domain of ``config``, which a command serving domain ``name`` requires (else a clear error)."""
    if config.domain != name:
        raise ConfigError(f"preset {config.preset!r} is a {config.domain} preset; this command needs a {name} one")
    return DOMAINS[name]


def system(variant: str) -> System:
    """The system registered as ``variant`` (a clear error for an unknown one)."""
    if variant not in SYSTEMS:
        raise ConfigError(f"variant: unknown variant {variant!r}; choose one of {', '.join(SYSTEMS)}")
    return SYSTEMS[variant]


def build_model(variant: str, config: ModelConfig) -> torch.nn.Module:
    """The network of system ``variant``, freshly initialised from ``config``."""
    wanted = system(variant).config
    if not isinstance(config, wanted):
        raise ConfigError(f"model: variant {variant!r} takes a {wanted.__name__}, got a {type(config).__name__}")
    return SYSTEMS[variant].model(config)


def read_config(path: str | Path) -> tuple[ExperimentConfig, list[str], int]:
    """``(experiment config, vocabulary, step)`` of a checkpoint folder (any registered domain)."""
    data = {name: d.data_config for name, d in DOMAINS.items()}
    return ckpt.read_config(path, data, {name: s.config for name, s in SYSTEMS.items()})


def load_pretrained(path: str | Path, device: str | torch.device = "cpu"):
    """Rebuild a checkpoint's model in eval mode: ``(model, config, vocabulary)``."""
    config, vocab, _ = read_config(path)
    model = ckpt.load_weights(path, build_model(config.variant, config.model))
    return model.to(device).eval(), config, vocab
