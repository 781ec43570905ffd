"""Typed configuration: one dataclass per component, validated on creation.

Every field error names the field, so a bad value fails before any work starts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from imi.core.errors import ConfigError


def check(ok: bool, field: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"{field}: {message}")


def finite(config: object) -> None:
    """Refuse NaN and ±inf in every float field: ``lr = inf`` would pass ``lr > 0`` and train garbage."""
    for f in fields(config):
        value = getattr(config, f.name)
        if isinstance(value, float):
            check(math.isfinite(value), f.name, f"must be a finite number, got {value}")


def at_least(config: object, bound: float, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        check(value >= bound, name, f"must be ≥ {bound}, got {value}")


PHASE_SAMPLES = 2_200  # supervised samples per phase (paper §3.5.2), also the unit of runs that do not alternate

ACTIVATIONS = ("linear", "tanh", "sigmoid")
COND_INITS = ("dcgan", "unit")
TEXT_ENCODERS = ("lstm", "minilm")  # imi.core.sentences
UPDATE_RULES = ("full", "adversarial", "both")


@dataclass(frozen=True)
class ModelConfig:
    """Network sizes (SPEC §3). Defaults are the paper's digit model.

    Attributes:
        channels: image channels (1 digits, 3 avatars).
        image_size: side of the square images; a power of two ≥ 16.
        ch: base width of the DCGAN conv stacks (paper 64; doubles per stage).
        d_im, d_i, d_fc: sizes of φim, φi_T, φfc.
        d_emb: word embedding size of the instruction LSTM.
        d_dis: hidden size of FC_Dis (W_d φd + W_fc φfc).
        z_dim: noise size.
        output: generator output activation (linear / tanh / sigmoid).
        aux_labels: add the digit auxiliary heads (digit, x, y, w, h).
        vocab_size: number of token ids (set from the tokenizer).
        recolour: ours-avatars only: the content may also be the source times a per-pixel
            gain, so a colour edit keeps the strokes drawn over the recoloured region.
        per_item: ours-avatars only: average the content loss within each item's change
            before averaging over items, so a nose counts as much as a background.
        gate_init: ours-avatars with ``recolour``: the initial bias of the gate between the
            re-coloured source and the drawn picture (0: even odds; 3: 95 % re-coloured source).
        gain_loss: ours-avatars with ``recolour``: also fit the re-coloured source alone to the
            target inside the change (L1, as the content), so the gain learns whatever the gate says.
        gain_size: ours-avatars with ``recolour``: 0 predicts the gain per pixel; S/16, S/8, S/4
            or S/2 (S = image_size) predicts it on that coarser grid (from the decoder stage of that size) and upsamples
            it, so one gain re-colours a whole region, strokes included.
        cond_init: the paper's GANs: how the layers that carry the condition start. "dcgan": N(0, 0.02)
            like every other layer, which crushes a unit-norm condition (cosine 0.9999 between the codes
            of different images; the condition holds 1e-6 of G's first-layer variance). "unit" (a choice
            where the paper is silent): the fusion layer and D's W_fc read their unit-norm inputs with
            N(0, 1) weights, and G's first layer gives the condition as much weight as the noise
            (N(0, 0.02·√z_dim) on its columns, since |z| ≈ √z_dim and |φfc| = 1).
        text_encoder: what reads the instruction. "lstm": the paper's word embedding + LSTM over the
            domain's closed vocabulary (``d_emb``, ``vocab_size``). "minilm" (beyond the paper): the frozen
            pretrained sentence encoder of :mod:`imi.core.sentences` (384-d) and a trained two-layer
            projection to ``d_i``, so words never seen in training are still read.
        text_noise: "minilm" only: the standard deviation of Gaussian jitter added to the unit-norm
            sentence vectors in training (then re-normalised), so that nearby wordings, which a new
            phrasing lands among, read alike. 0: none.
    """

    channels: int = 1
    image_size: int = 64
    ch: int = 64
    d_im: int = 1024
    d_i: int = 128
    d_fc: int = 128
    d_emb: int = 128
    d_dis: int = 1024
    z_dim: int = 100
    output: str = "linear"
    aux_labels: bool = True
    vocab_size: int = 25
    recolour: bool = False
    per_item: bool = False
    gate_init: float = 0.0
    gain_loss: bool = False
    gain_size: int = 0
    cond_init: str = "unit"
    text_encoder: str = "lstm"
    text_noise: float = 0.0

    def __post_init__(self) -> None:
        finite(self)
        at_least(self, 1, "channels", "ch", "d_im", "d_i", "d_fc", "d_emb", "d_dis", "z_dim", "vocab_size")
        size = self.image_size
        check(size >= 16 and size & (size - 1) == 0, "image_size", f"must be a power of two ≥ 16, got {size}")
        check(self.output in ACTIVATIONS, "output", f"unknown activation {self.output!r}; choose {ACTIVATIONS}")
        coarse = [size >> k for k in (4, 3, 2, 1)]  # the decoder's stages below full size
        check(self.gain_size in [0, *coarse], "gain_size", f"must be 0 or one of {coarse}, got {self.gain_size}")
        check(self.cond_init in COND_INITS, "cond_init", f"must be one of {COND_INITS}, got {self.cond_init!r}")
        check(self.text_noise >= 0, "text_noise", f"must be ≥ 0, got {self.text_noise}")
        check(
            self.text_encoder in TEXT_ENCODERS,
            "text_encoder",
            f"must be one of {TEXT_ENCODERS}, got {self.text_encoder!r}",
        )

    def to_dict(self) -> dict:
        return asdict(self)


LR_SCHEDULES = ("constant", "cosine", "linear-tail")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and bookkeeping (SPEC §4).

    Attributes:
        batch_size: images per step and process.
        epochs: passes over the train split; ``max_steps`` > 0 stops earlier.
        lr, beta1, beta2: Adam.
        lr_schedule: "constant"; "cosine": the learning rate follows half a
            cosine from ``lr`` at step 0 to 0 at the run's last step;
            "linear-tail": ``lr`` until the last ``lr_tail`` of the run, then
            linearly down to 0 at its last step. Each is a function of the
            step alone, so resuming keeps it exact.
        lr_tail: the share of the run's steps that "linear-tail" decays over.
        lambda_rr, lambda_rw, lambda_fr, lambda_gfr, lambda_f: loss weights of (21)/(22).
        lambda_mask: weight of SIM's mask loss (variant imi-sim).
        lambda_l1: weight of the L1 reconstruction term (variant tim).
        lambda_rec: the paper's recipe: weight of ``|G(z, c_r) − x|₁`` added to L_G (imi-paper+l1,
            imi-sim+l1; beyond the paper: its losses alone leave a grey background).
        update_rule: the paper's recipe. "full": rule (23) on the whole of L_D and L_G (the literal
            reading: the label and feature-matching terms, which only one side can lower, tip the
            comparison, and D is stepped on ~0 % of iterations). "adversarial" (a reading of the
            paper, the default): rule (23) compares only the adversarial terms,
            λrr·L_Drr + λrw·L_Drw + λfr·L_Dfr against λgfr·L_Gfr, and the stepped side then
            descends its whole loss. "both" (beyond the paper): D and G are each stepped every
            iteration, on gradients from the same forward pass.
        unsupervised_samples: avatars (paper §3.5.2): training alternates this
            many unlabeled samples with as many supervised ones; the
            supervised half is a "phase". 0 trains on triplets only (digits).
        seed: seeds weights, noise, the (c_r, c_w, x) draw and the data order.
        log_every, sample_every, checkpoint_every: in steps.
        device: "auto", "cpu", "cuda", "cuda:1" …
        bf16: bfloat16 autocast for the forward passes.
        threads: CPU threads per process; 0 = all cores divided by processes.
        max_minutes: wall-clock training budget, summed over resumes; 0 = none.
            Runs stop at the first step past it (equal budgets, issue 5).
        val_items: dev triplets scored by the feature-matching loss at every
            checkpoint; the lowest so far is exported to ``best/`` (model
            selection, paper §5.3). 0 disables it.
    """

    batch_size: int = 64
    epochs: int = 20
    max_steps: int = 0
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    lr_schedule: str = "constant"
    lr_tail: float = 0.2
    lambda_rr: float = 1.0
    lambda_rw: float = 0.5
    lambda_fr: float = 0.5
    lambda_gfr: float = 2.0
    lambda_f: float = 2.0
    lambda_mask: float = 1.0
    lambda_l1: float = 100.0
    lambda_rec: float = 0.0
    update_rule: str = "adversarial"
    unsupervised_samples: int = 0
    seed: int = 0
    log_every: int = 50
    sample_every: int = 500
    checkpoint_every: int = 500
    device: str = "auto"
    bf16: bool = False
    threads: int = 0
    max_minutes: float = 0.0
    val_items: int = 256

    def __post_init__(self) -> None:
        finite(self)
        at_least(self, 1, "batch_size", "epochs", "log_every", "sample_every", "checkpoint_every")
        at_least(self, 0, "max_steps", "threads", "max_minutes", "val_items", "unsupervised_samples")
        check(self.lr > 0, "lr", f"must be > 0, got {self.lr}")
        schedules = ", ".join(LR_SCHEDULES)
        check(self.lr_schedule in LR_SCHEDULES, "lr_schedule", f"must be one of {schedules}, got {self.lr_schedule!r}")
        rules = ", ".join(UPDATE_RULES)
        check(self.update_rule in UPDATE_RULES, "update_rule", f"must be one of {rules}, got {self.update_rule!r}")
        check(0 < self.lr_tail <= 1, "lr_tail", f"must be in (0, 1], got {self.lr_tail}")
        for name in ("beta1", "beta2"):
            check(0 <= getattr(self, name) < 1, name, f"must be in [0, 1), got {getattr(self, name)}")
        at_least(self, 0, "lambda_rr", "lambda_rw", "lambda_fr", "lambda_gfr", "lambda_f")
        at_least(self, 0, "lambda_mask", "lambda_l1", "lambda_rec")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything a run needs; saved with the run as ``config.json``.

    ``data`` is the domain's own data config (a frozen dataclass with a class-level
    ``domain`` name), so the experiment knows its benchmark without a branch on it.
    """

    preset: str
    data: Any
    variant: str = "imi-paper"
    model: Any = ModelConfig()  # the system's network settings (ModelConfig for the edit systems)
    train: TrainConfig = TrainConfig()

    @property
    def domain(self) -> str:
        """The benchmark the data config describes (``type(data).domain``)."""
        return type(self.data).domain

    def to_dict(self) -> dict:
        return {"domain": self.domain, **asdict(self)}

    @classmethod
    def from_dict(
        cls, d: dict, data_configs: Mapping[str, type], model_configs: Mapping[str, type] | None = None
    ) -> ExperimentConfig:
        """Rebuild a saved config; ``data_configs`` maps each domain name to its data config class,
        ``model_configs`` each variant whose network settings are not :class:`ModelConfig` to its class.

        Configs written before the domain was saved by name are read by their data fields: the one
        domain whose data config has all those fields (fields added since take their defaults)."""
        try:
            name = d.get("domain") or next(
                (n for n, t in data_configs.items() if set(d["data"]) <= {f.name for f in fields(t)}), None
            )
            if name not in data_configs:
                known = ", ".join(data_configs)
                raise ConfigError(f"domain: {name!r} is not a known domain ({known})")
            return cls(
                preset=d["preset"],
                data=data_configs[name](**d["data"]),
                variant=d.get("variant", "imi-paper"),
                model=(model_configs or {}).get(d.get("variant", "imi-paper"), ModelConfig)(**d["model"]),
                train=TrainConfig(**d["train"]),
            )
        except (KeyError, TypeError) as err:
            raise ConfigError(f"not an IMI experiment config: {err}") from None


def _parse_value(field: str, current: object, text: str) -> object:
    if isinstance(current, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{field}: expected true/false, got {text!r}")
    if current is None and text.lower() in ("none", "null", ""):
        return None
    try:
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
    except ValueError:
        raise ConfigError(f"{field}: expected a {type(current).__name__}, got {text!r}") from None
    return text


def apply_overrides(config: ExperimentConfig, overrides: dict[str, str] | None = None) -> ExperimentConfig:
    """``config`` with dotted overrides applied, e.g. ``{"train.lr": "1e-4"}``."""
    import difflib

    sections: dict[str, dict[str, object]] = {"data": {}, "model": {}, "train": {}}
    top: dict[str, object] = {}
    for key, text in (overrides or {}).items():
        section, _, name = key.partition(".")
        if section == "variant" and not name:
            top["variant"] = text
            continue
        known = sections.get(section)
        names = getattr(config, section).__dataclass_fields__ if known is not None else {}
        if name not in names:
            all_keys = [f"{s}.{f}" for s in sections for f in getattr(config, s).__dataclass_fields__]
            near = difflib.get_close_matches(key, all_keys, n=3)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise ConfigError(f"{key}: no such setting{hint}")
        known[name] = _parse_value(key, getattr(getattr(config, section), name), text)
    built = {}
    for section, values in sections.items():
        try:
            built[section] = replace(getattr(config, section), **values)
        except ConfigError as err:
            raise ConfigError(f"{section}.{err}") from None
    return replace(config, **top, **built)
