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
from imi.domains.avatars.domain import DOMAIN as AVATARS
from imi.domains.digits.domain import DOMAIN as DIGITS
from imi.systems.imi import SYSTEMS as IMI_SYSTEMS
from imi.systems.ours import SYSTEMS as OURS_SYSTEMS
from imi.systems.tim import SYSTEMS as TIM_SYSTEMS

DOMAINS: dict[str, Domain] = {
    "digits": DIGITS,
    "avatars": AVATARS,
}

SYSTEMS: dict[str, System] = {
    **IMI_SYSTEMS,  # imi-paper, imi-sim, cap2image
    **TIM_SYSTEMS,  # tim
    **OURS_SYSTEMS,  # ours, ours-avatars
}


def require_domain(config: ExperimentConfig, name: str) -> Domain:
    """The domain of ``config``, which a command serving domain ``name`` requires (else a clear error)."""
    if config.domain != name:
        raise ConfigError(f"preset {config.preset!r} is a {config.domain} preset; this command needs a {name} one")
    return DOMAINS[name]


def build_model(variant: str, config: ModelConfig) -> torch.nn.Module:
    """The network of system ``variant``, freshly initialised from ``config``."""
    if variant not in SYSTEMS:
        raise ConfigError(f"variant: unknown variant {variant!r}; choose one of {', '.join(SYSTEMS)}")
    return SYSTEMS[variant].model(config)


def read_config(path: str | Path) -> tuple[ExperimentConfig, list[str], int]:
    """``(experiment config, vocabulary, step)`` of a checkpoint folder (any registered domain)."""
    return ckpt.read_config(path, {name: d.data_config for name, d in DOMAINS.items()})


def load_pretrained(path: str | Path, device: str | torch.device = "cpu"):
    """Rebuild a checkpoint's model in eval mode: ``(model, config, vocabulary)``."""
    config, vocab, _ = read_config(path)
    model = ckpt.load_weights(path, build_model(config.variant, config.model))
    return model.to(device).eval(), config, vocab
