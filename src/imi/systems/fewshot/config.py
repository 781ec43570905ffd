"""The few-shot synthesiser's settings (SPEC-semantic §2): a frozen style-based prior, prototypes of
its features from K labelled pictures, and an encoder from maps (or scribbles) to W+."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from imi.core.config import at_least, check, finite
from imi.nn.stylegan import GeneratorSettings


@dataclass(frozen=True)
class FewShotConfig(GeneratorSettings):
    """What the few-shot model is made of. Its generator settings (:class:`imi.nn.stylegan.GeneratorSettings`)
    must equal its prior's.

    Attributes:
        classes, vocab_size: the label classes, the domain's tokenizer.
        prior: the prior checkpoint: a shipped name ("avatar-prior") or a folder path. It is read once,
            when training starts; the few-shot checkpoint then carries the generator's weights.
        shots: K, the labelled (picture, map) pairs: the first K of the train split (the data config's
            ``train`` must be K, so a baseline on the same data sees the same pairs).
        invert_steps: Adam steps of each labelled picture's inversion into W+.
        temperature: the pseudo-labeller's softmax temperature over cosine similarities (its loss only).
        per_class: prototypes per class per example (k-means clusters of its labelled pixels' features).
        first_vote, last_vote: the generator resolutions whose features vote in the pseudo-labeller, by
            index (0 = 4×4, 1 = 8×8, … ``log2(size) − 2`` = the picture's own); both included.
        enc_width: the map encoder's first width (doubling per stage up to 4 ×).
        mix_from: the first W+ layer a seed's style replaces (the layers before it carry the layout the
            encoder found; 64×64: 6 leaves the 4-32 px layers to the map).
        truncation: how far a seed's style is pulled toward the mean w (1: not at all).
        pseudo_batch: pseudo (map, W+) pairs drawn per step.
        scribble: the share of pseudo maps turned into sparse scribbles (unlabelled pixels elsewhere).
        lambda_w, lambda_img, lambda_seg: the encoder's losses: squared error on W+, L1 between its picture
            and the pseudo pair's, and the pseudo-labeller's cross-entropy on its picture against the
            (full) pseudo map.
    """

    classes: int = 10
    vocab_size: int = 14
    prior: str = "avatar-prior"
    shots: int = 5
    invert_steps: int = 500
    temperature: float = 0.1
    per_class: int = 4
    first_vote: int = 1
    last_vote: int = 3
    enc_width: int = 32
    mix_from: int = 6
    truncation: float = 0.7
    pseudo_batch: int = 16
    scribble: float = 0.5
    lambda_w: float = 1.0
    lambda_img: float = 1.0
    lambda_seg: float = 1.0

    def __post_init__(self) -> None:
        finite(self)
        self.check_generator()
        at_least(self, 2, "classes")
        at_least(self, 1, "vocab_size", "shots", "per_class", "invert_steps", "enc_width", "pseudo_batch")
        at_least(self, 0, "lambda_w", "lambda_img", "lambda_seg")
        check(self.temperature > 0, "temperature", f"must be > 0, got {self.temperature}")
        check(0 <= self.scribble <= 1, "scribble", f"must be in [0, 1], got {self.scribble}")
        check(0 <= self.truncation <= 1, "truncation", f"must be in [0, 1], got {self.truncation}")
        check(1 <= self.mix_from <= self.num_ws, "mix_from", f"must be in [1, {self.num_ws}], got {self.mix_from}")
        check(bool(self.prior), "prior", "must name the prior checkpoint")
        top = self.size.bit_length() - 3
        ok = 0 <= self.first_vote <= self.last_vote <= top
        got = f"{self.first_vote}, {self.last_vote}"
        check(ok, "first_vote", f"and last_vote must satisfy 0 ≤ first_vote ≤ last_vote ≤ {top}, got {got}")

    def to_dict(self) -> dict:
        return asdict(self)
