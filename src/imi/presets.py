"""Named presets: a domain's data, a system's network and recipe settings, ready to train.

``resolve(name, overrides)`` is what ``imi train --preset NAME --section.field VALUE`` runs.
"""

from __future__ import annotations

import difflib
from dataclasses import replace

from imi.core.config import ConfigError, ExperimentConfig, ModelConfig, TrainConfig, apply_overrides
from imi.core.text import Vocabulary
from imi.domains.avatarmaps.config import MapDataConfig
from imi.domains.avatarmaps.data import CLASSES
from imi.domains.avatars.config import AvatarDataConfig
from imi.domains.canvas.config import CanvasDataConfig
from imi.domains.canvas.domain import DIGIT_WORDS
from imi.domains.clipscenes.config import SceneDataConfig
from imi.domains.clipscenes.grammar import all_words
from imi.domains.digits.config import DigitDataConfig
from imi.domains.gridmnist.config import GridDataConfig
from imi.systems.clvae.config import CLVAEConfig
from imi.systems.contextgan.config import ContextGANConfig
from imi.systems.drag.config import DragConfig
from imi.systems.fewshot.config import FewShotConfig
from imi.systems.latextgan.config import CaptionGANConfig
from imi.systems.stylegan.config import StyleGANConfig
from imi.systems.stylevae.config import StyleVAEConfig

# The `+l1` variants: an L1 term on G(z, c_r), D and G stepped every iteration (TrainConfig).
_L1 = {"lambda_rec": 100.0, "update_rule": "both"}

PRESETS: dict[str, ExperimentConfig] = {
    # The paper's digit model: ~27M parameters, ~40 images/s on 2 CPU cores.
    "digits-paper": ExperimentConfig(preset="digits-paper", data=DigitDataConfig()),
    # Half the channels and a 256-d image code: practical on 2 CPU cores.
    "digits-small": ExperimentConfig(
        preset="digits-small",
        data=DigitDataConfig(),
        model=ModelConfig(ch=32, d_im=256, d_dis=256),
    ),
    # The variants of issue 5, each at the size `imi bench digits` trains it.
    "digits-sim": ExperimentConfig(
        preset="digits-sim", data=DigitDataConfig(), variant="imi-sim", model=ModelConfig(ch=32, d_im=256, d_dis=256)
    ),
    # Beyond the paper: an L1 term pins what the adversarial terms leave free (the black background);
    # D and G both step every iteration, as in pix2pix (under rule (23) the L1 term keeps G's
    # adversarial loss high, so G is always chosen and D never trains).
    **{
        f"digits-{name}-l1": ExperimentConfig(
            preset=f"digits-{name}-l1",
            data=DigitDataConfig(),
            variant=f"{variant}+l1",
            model=ModelConfig(ch=32, d_im=256, d_dis=256),
            train=TrainConfig(**_L1),
        )
        for name, variant in (("small", "imi-paper"), ("sim", "imi-sim"))
    },
    "digits-cap2image": ExperimentConfig(
        preset="digits-cap2image",
        data=DigitDataConfig(),
        variant="cap2image",
        model=ModelConfig(ch=32, d_im=256, d_dis=256),
    ),
    "digits-tim": ExperimentConfig(
        preset="digits-tim",
        data=DigitDataConfig(),
        variant="tim",
        model=ModelConfig(ch=32, d_i=128, d_emb=64, d_dis=256, aux_labels=False),
    ),
    # ~0.25M parameters; trains at ~2,000 images/s on 2 cores. d_fc is the target head's hidden size.
    "digits-ours": ExperimentConfig(
        preset="digits-ours",
        data=DigitDataConfig(),
        variant="ours",
        model=ModelConfig(ch=16, d_im=128, d_i=64, d_emb=32, d_fc=128, aux_labels=False),
        # 40,000 steps (2.56M triplets, 1.9 epochs): ~15 min on 2 cores; the shipped `digits` checkpoint
        # (its selected step, 35,000, is the one `imi bench digits --minutes 15` evaluated).
        train=TrainConfig(lr=2e-3, beta1=0.9, max_steps=40_000, checkpoint_every=1000, sample_every=1000),
    ),
}

# Avatars (SPEC §4): RGB, tanh output, all λ = 1, 2,200 unsupervised samples alternating with
# 2,200 supervised ones. vocab_size is the avatar tokenizer's (the trainer checks it).
_AVATAR_MODEL = ModelConfig(channels=3, output="tanh", aux_labels=False, vocab_size=203)
_AVATAR_TRAIN = TrainConfig(
    lambda_rw=1.0, lambda_fr=1.0, lambda_gfr=1.0, lambda_f=1.0, unsupervised_samples=2_200,
    max_steps=350_000,  # 5,000 phases of 35 + 35 steps at batch 64
)  # fmt: skip
_SMALL = {"ch": 32, "d_im": 256, "d_dis": 256}
# ours-avatars: a 0.9M-parameter masked U-Net (ch 16 costs a quarter of ch 32 per step on the CPU).
_OURS_AVATARS = replace(_AVATAR_MODEL, ch=16, d_i=128, d_emb=64)
_OURS_AVATARS_TRAIN = TrainConfig(
    lr=2e-3, beta1=0.9, epochs=100_000, max_steps=0, max_minutes=15.0, checkpoint_every=500, sample_every=500
)  # fmt: skip
PRESETS |= {
    # The paper's AIMI-sized set and model (d_im 1024; SIM's φimm is 512×4×4).
    "avatars-paper": ExperimentConfig(
        preset="avatars-paper", data=AvatarDataConfig(), model=_AVATAR_MODEL, train=_AVATAR_TRAIN
    ),
    "avatars-paper-sim": ExperimentConfig(
        preset="avatars-paper-sim", variant="imi-sim", data=AvatarDataConfig(), model=_AVATAR_MODEL, train=_AVATAR_TRAIN
    ),
    # The GANs for 2 CPU cores, w/o and w/ SIM, each also with the L1 term (see digits): the same triplets,
    # 20,000 unlabeled avatars, half-width networks.
    **{
        f"avatars-{name}": ExperimentConfig(
            preset=f"avatars-{name}",
            variant=variant,
            data=AvatarDataConfig(unlabeled=20_000),
            model=replace(_AVATAR_MODEL, **_SMALL),
            train=replace(_AVATAR_TRAIN, **_L1) if name.endswith("-l1") else _AVATAR_TRAIN,
        )
        for name, variant in (
            ("small", "imi-paper"),
            ("sim", "imi-sim"),
            ("small-l1", "imi-paper+l1"),
            ("sim-l1", "imi-sim+l1"),
        )
    },
    # Ours: supervised, no discriminator, no unlabeled half (same data and cache as avatars-small,
    # so `imi bench avatars` tests all three on one split).
    "avatars-ours": ExperimentConfig(
        preset="avatars-ours",
        variant="ours-avatars",
        data=AvatarDataConfig(unlabeled=20_000),
        model=_OURS_AVATARS,
        train=_OURS_AVATARS_TRAIN,
    ),
    # The shipped `avatars` checkpoint: ours on 40,000 train triplets (the same dev and test triplets:
    # an item is a function of seed, split and index). Rendering is cheap; the SPEC's 4,296 are few
    # for one model that must draw every attribute value. 1,000 unlabeled avatars: unused by ours.
    "avatars-ours-40k": ExperimentConfig(
        preset="avatars-ours-40k",
        variant="ours-avatars",
        data=AvatarDataConfig(train_triplets=40_000, unlabeled=1_000),
        # Content may be the source re-coloured; the content loss counts every item once (small parts).
        model=replace(_OURS_AVATARS, recolour=True, per_item=True),
        # 5,000 steps: a constant rate, then down to 0 over the last 1,000 (on dev, 1,000 falling
        # steps did more than 2,000 constant ones; a cosine over the whole run did worse:
        # docs/RESULTS.md). The shipped model trained as two processes of 32 (README); the run
        # selects the step with the lowest validation loss.
        train=replace(_OURS_AVATARS_TRAIN, max_minutes=0.0, max_steps=5_000, lr_schedule="linear-tail", lr_tail=0.2),
    ),
}

# Issue 22: the same editors reading a frozen pretrained sentence encoder instead of the LSTM
# (model.text_encoder "minilm"), so phrasings never seen in training are read. Digits train on
# varied wordings of the templates (five templates teach that only those words matter). The training
# jitter on the unit sentence vectors: digits 0.05 per dimension (|noise| ≈ 1; held-out accuracy
# 51.8 % against 36.9 % at 0.01), avatars 0.01 (0.05 cost 5 points of seen accuracy): docs/RESULTS.md.
PRESETS |= {
    "digits-minilm": replace(
        PRESETS["digits-ours"],
        preset="digits-minilm",
        data=replace(PRESETS["digits-ours"].data, train_phrasing="varied"),
        model=replace(PRESETS["digits-ours"].model, text_encoder="minilm", text_noise=0.05),
    ),
    "avatars-minilm": replace(
        PRESETS["avatars-ours-40k"],
        preset="avatars-minilm",
        model=replace(PRESETS["avatars-ours-40k"].model, text_encoder="minilm", text_noise=0.01),
    ),
}

# Issue 23: the conditional captioning GAN (paper 003) on GridMNIST. Ours: the paper's log-loss
# objective, one image CNN trained by D (G and Q read it), a projection match term and a
# matching-aware term in D, and D and Q reading G's vector snapped softly onto the training captions
# (CaptionGANConfig; docs/RESULTS.md says what each changes). The paper's objective alone, LaTextGAN's
# WGAN-GP and the ablation λ_I = 0 are presets; "sentence" captions also name the cell.
# λ_I 0.3: at 1 the code's pull on G cost accuracy (95.6 % against 97.7 % at 7,000 steps, docs/RESULTS.md).
_CAPTION_MODEL = CaptionGANConfig(snap=4.0, choice=25.0, choice_captions=32, lambda_info=0.3)
_CAPTION_TRAIN = TrainConfig(
    batch_size=64, lr=4e-4, beta1=0.5, beta2=0.999, epochs=1_000, max_steps=15_000, log_every=100,
    sample_every=1_000, checkpoint_every=1_000, val_items=1_000,
)  # fmt: skip
PRESETS |= {
    f"gridmnist-{name}": ExperimentConfig(
        preset=f"gridmnist-{name}", data=GridDataConfig(level=level), variant="caption-gan",
        model=replace(_CAPTION_MODEL, **model), train=_CAPTION_TRAIN,
    )
    for name, level, model in (
        ("word", "word", {}),
        ("word-paper", "word", {"snap": 0.0, "mismatch": 0.0, "choice": 0.0}),
        ("word-wgan", "word", {"objective": "wgan-gp", "critic_steps": 5}),
        ("word-noinfo", "word", {"lambda_info": 0.0}),
        # 160 sentences lie closer together than 10 words (median squared distance to the nearest other
        # caption 7 against 25+): both temperatures shrink with it, and G's vector is pulled onto the
        # caption it chose (the decoder's neighbourhoods are smaller too; commit 1 collapsed G onto one
        # sentence).
        ("sentence", "sentence", {"snap": 1.0, "choice": 7.0, "commit": 0.1}),
    )
}  # fmt: skip


# Issue 24: the context-aware GAN (paper 001) on ClipScenes, at the paper's 60×105 geometry. The CPU
# preset halves the widths of the GPU one and its batch (about 0.5 s a step on 2 cores: 5,000 steps, the
# recognisers and the checks in under an hour) and adds, beyond the paper, the frozen recognisers'
# reading of C as a term in L_G (model.lambda_recog: with the paper's losses alone the stages collapsed
# onto one scene and drew 5 % of the people right at 2,000 steps, docs/RESULTS.md). "paper" is the
# paper's losses alone; "textonly" the paper's baseline (Reed et al.: the same GAN without C, system
# text-gan); "gpu" the widths we would train at the paper's scale.
_SCENE_MODEL = ContextGANConfig(
    vocab_size=len(Vocabulary.build(all_words())), ngf=32, g2_ch=32, g3_ch=16, ndf=16, lambda_recog=1.0
)
_SCENE_TRAIN = TrainConfig(
    batch_size=32, lr=2e-4, beta1=0.5, beta2=0.999, epochs=1_000, max_steps=5_000, log_every=100,
    sample_every=1_000, checkpoint_every=1_000, val_items=500,
)  # fmt: skip
PRESETS |= {
    f"clipscenes{suffix}": ExperimentConfig(
        preset=f"clipscenes{suffix}", data=SceneDataConfig(), variant=variant,
        model=replace(_SCENE_MODEL, **model), train=replace(_SCENE_TRAIN, **train),
    )
    for suffix, variant, model, train in (
        ("", "context-gan", {}, {}),
        ("-paper", "context-gan", {"lambda_recog": 0.0}, {}),
        ("-textonly", "text-gan", {"use_context": False, "lambda_recog": 0.0}, {}),
        ("-gpu", "context-gan", {"ngf": 64, "g2_ch": 64, "g3_ch": 32, "ndf": 32},
         {"batch_size": 64, "max_steps": 60_000, "checkpoint_every": 5_000, "sample_every": 5_000}),
    )
}  # fmt: skip


# Issue 25: semantic synthesis with class- and layer-wise latents (SPEC-semantic §1) on the avatars'
# exact label maps, 64×64. One architecture, three latents: the paper's code per class per layer
# (shipped), one global VAE latent, none (pix2pix/SPADE-style). Betas (0, 0.9) as in SPADE. Beyond the
# paper, the shipped preset penalises what redrawing one class's codes changes outside its region
# (model.lambda_local); "-paper" is the paper's losses alone. About 0.7 s a step on 2 cores with the local
# term: 4,000 steps × 16 maps and the checks in under an hour.
_MAP_MODEL = CLVAEConfig(classes=len(CLASSES), vocab_size=len(Vocabulary.build(CLASSES)))
_MAP_TRAIN = TrainConfig(
    batch_size=16, lr=2e-4, beta1=0.0, beta2=0.9, epochs=1_000, max_steps=4_000, log_every=100,
    sample_every=1_000, checkpoint_every=1_000, val_items=500,
)  # fmt: skip
PRESETS |= {
    f"avatar-maps{suffix}": ExperimentConfig(
        preset=f"avatar-maps{suffix}", data=MapDataConfig(), variant=variant,
        model=replace(_MAP_MODEL, latent=latent, lambda_local=local), train=_MAP_TRAIN,
    )
    for suffix, variant, latent, local in (
        ("", "clvae", "class-layer", 10.0), ("-global", "clvae-global", "global", 0.0),
        ("-nolatent", "spade", "none", 0.0),
    )
}  # fmt: skip
PRESETS["avatar-maps-paper"] = replace(PRESETS["avatar-maps"], preset="avatar-maps-paper", model=_MAP_MODEL)


# Issue 26: the style-based prior of few-shot synthesis (SPEC-semantic §2), trained on the label-map
# benchmark's 40,000 train renders with their maps unread. StyleGAN2's Adam (lr 0.002, betas 0, 0.99),
# batch 32, about 1.05 s a step on 2 cores: 2,500 steps (80,000 pictures) and the checks in under an hour; the
# dev FID in the avatar judge's space selects the exported checkpoint.
PRESETS["avatar-prior"] = ExperimentConfig(
    preset="avatar-prior", data=MapDataConfig(), variant="stylegan",
    model=StyleGANConfig(vocab_size=len(Vocabulary.build(CLASSES))),
    train=TrainConfig(batch_size=32, lr=2e-3, beta1=0.0, beta2=0.99, epochs=1_000, max_steps=2_500, log_every=50,
                      sample_every=500, checkpoint_every=500, val_items=500),
)  # fmt: skip


# The drag editor's prior (issue 27, SPEC-semantic §3): the same generator on canvas digits, whose glyphs sit
# anywhere at any size, so the coarse styles carry the layout a drag moves. "canvas-prior" learns it as a VAE's
# decoder (non-adversarial: it cannot run away; its mapping learns at the full rate, so z ~ N(0, I) meets the
# posterior's codes); "canvas-prior-gan" is the GAN prior's recipe, which collapsed onto one glyph by step 1,000
# here (docs/RESULTS.md).
PRESETS["canvas-prior"] = ExperimentConfig(
    preset="canvas-prior", data=CanvasDataConfig(), variant="stylevae",
    model=StyleVAEConfig(vocab_size=len(Vocabulary.build(DIGIT_WORDS)), mapping_lr=1.0, sigma=0.5),
    train=TrainConfig(batch_size=32, lr=2e-3, beta1=0.9, beta2=0.99, epochs=1_000, max_steps=4_000, log_every=50,
                      sample_every=500, checkpoint_every=500, val_items=500),
)  # fmt: skip
PRESETS["canvas-prior-gan"] = ExperimentConfig(
    preset="canvas-prior-gan", data=CanvasDataConfig(), variant="stylegan",
    model=StyleGANConfig(vocab_size=len(Vocabulary.build(DIGIT_WORDS)), r1_gamma=0.5),
    train=TrainConfig(batch_size=32, lr=2e-3, beta1=0.0, beta2=0.99, epochs=1_000, max_steps=2_000, log_every=50,
                      sample_every=250, checkpoint_every=250, val_items=500),
)  # fmt: skip


# The drag editor (issue 27): the latent transformer on the canvas prior. "canvas-drag-pairs" learns from the
# 20,000 cached flow pairs alone (SPEC-semantic §3); "canvas-drag" gives half of each batch to exact warps of
# the first picture (beyond the paper: the prior's coarse styles carry the glyph's identity too, so a flow pair's
# second latent often shows another digit; a warp never does).
_DRAG = DragConfig(vocab_size=len(Vocabulary.build(DIGIT_WORDS)), prior="canvas-prior", mapping_lr=1.0)
_DRAG_TRAIN = TrainConfig(batch_size=64, lr=3e-4, beta1=0.9, beta2=0.99, epochs=1_000, max_steps=3_000, log_every=50,
                          lr_schedule="cosine", sample_every=500, checkpoint_every=500, val_items=500)  # fmt: skip
PRESETS["canvas-drag-pairs"] = ExperimentConfig(
    preset="canvas-drag-pairs", data=CanvasDataConfig(), variant="drag", model=_DRAG, train=_DRAG_TRAIN
)
PRESETS["canvas-drag"] = ExperimentConfig(
    preset="canvas-drag", data=CanvasDataConfig(), variant="drag", model=replace(_DRAG, warp_share=0.5),
    train=replace(_DRAG_TRAIN, max_steps=2_000),
)  # fmt: skip

# Few-shot synthesis (issue 26, SPEC-semantic §2): K = 1 or 5 labelled pairs — the first K of the train
# split, so the data config's `train` is K — and the prior above. The encoder learns from pseudo pairs the
# recipe draws itself (1,200 steps × 16 + K pairs: under 30 minutes with two such runs side by side on the
# 2 cores, one thread each); the SPADE-style baseline ("-spade": the no-latent model of issue 25) trains on the
# same K pairs, the whole batch every step. Neither chooses a checkpoint by the labelled dev maps: the last is
# exported.
_FEW_TRAIN = TrainConfig(
    lr=1e-3, beta1=0.9, beta2=0.999, epochs=1_000_000, max_steps=1_200, log_every=50, sample_every=300,
    checkpoint_every=300, val_items=300,
)  # fmt: skip
for _k in (1, 5):
    PRESETS[f"avatar-maps-k{_k}"] = ExperimentConfig(
        preset=f"avatar-maps-k{_k}", data=MapDataConfig(train=_k), variant="fewshot",
        model=FewShotConfig(classes=len(CLASSES), vocab_size=_MAP_MODEL.vocab_size, shots=_k),
        train=replace(_FEW_TRAIN, batch_size=_k),
    )  # fmt: skip
    PRESETS[f"avatar-maps-k{_k}-spade"] = ExperimentConfig(
        preset=f"avatar-maps-k{_k}-spade", data=MapDataConfig(train=_k), variant="spade",
        model=replace(_MAP_MODEL, latent="none"),
        train=replace(_MAP_TRAIN, batch_size=_k, epochs=1_000_000, max_steps=1_500, val_items=0),
    )  # fmt: skip


def resolve(preset: str, overrides: dict[str, str] | None = None) -> ExperimentConfig:
    """A preset with dotted overrides applied, e.g. ``{"train.lr": "1e-4"}``."""
    if preset not in PRESETS:
        close = difflib.get_close_matches(preset, PRESETS, n=3)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise ConfigError(f"preset: unknown preset {preset!r}; {hint}`imi train --help` lists all {len(PRESETS)}")
    return apply_overrides(PRESETS[preset], overrides)
