"""The drag editor's settings (SPEC-semantic §3): a frozen style-based prior, the pairs it learns from, and
the latent transformer."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from imi.core.config import at_least, check, finite
from imi.nn.stylegan import GeneratorSettings

FLOWS = ("dis", "farneback")


@dataclass(frozen=True)
class DragConfig(GeneratorSettings):
    """What the drag editor is made of. Its generator settings (:class:`imi.nn.stylegan.GeneratorSettings`)
    must equal its prior's.

    Attributes:
        vocab_size: the domain's tokenizer (the trainer checks it; a drag reads no words).
        prior: the prior checkpoint: a shipped name ("canvas-prior") or a folder path. It is read when
            training starts; the drag checkpoint then carries the generator's weights.
        coarse: the W+ layers a pair moves and the transformer rewrites (the layout layers; 64×64: 4 = the
            4-16 px convolutions); the later layers pass through unchanged.
        pairs, dev_pairs: training and dev pairs in the cache (built once from the prior).
        truncation: the pairs' styles are drawn at this truncation (the pictures the editor will meet).
        alpha_min, alpha_max: how far the second latent moves toward the other style, drawn uniformly.
        candidates: flow points kept per pair (on the first picture's foreground), of which each training
            step draws its tokens.
        flow: the optical flow: "dis" (OpenCV's DIS, medium preset) or "farneback".
        fb_tolerance: a point's flow is reliable when the backward flow brings it back within this many pixels.
        max_logexp: … and when its log-expansion (from the flow's Jacobian) is within ±this (no tearing).
        max_tokens: tokens per training example, at most (at least one).
        pin_below: a token whose flow is shorter than this (pixels) becomes a pin: zero displacement, flagged.
        warp_share: beyond the paper, the share of each batch that learns from exact warps instead of flow
            pairs: the first picture moved or scaled about a point by a random affine map (a procedural,
            label-free motion), the tokens its exact displacements, and the loss the L1 between the picture of
            the predicted latent and the warped picture (through the frozen generator). A flow pair's second
            latent may show another glyph (the prior's layout and identity share its coarse layers); a warp
            never does. 0: the paper's pairs alone.
        lambda_warp: the warp examples' loss weight.
        warp_shift, warp_scale: the warps' largest translation (pixels) and largest |log scale|.
        d_model, heads, enc_layers, dec_layers: the transformer (encoder over the tokens, decoder over the
            latent layers).
    """

    vocab_size: int = 14
    prior: str = "canvas-prior"
    coarse: int = 4
    pairs: int = 20_000
    dev_pairs: int = 500
    truncation: float = 0.8
    alpha_min: float = 0.3
    alpha_max: float = 1.0
    candidates: int = 48
    flow: str = "dis"
    fb_tolerance: float = 1.0
    max_logexp: float = 0.5
    max_tokens: int = 6
    pin_below: float = 0.75
    warp_share: float = 0.0
    lambda_warp: float = 10.0
    warp_shift: float = 16.0
    warp_scale: float = 0.35
    d_model: int = 192
    heads: int = 4
    enc_layers: int = 3
    dec_layers: int = 3

    def __post_init__(self) -> None:
        finite(self)
        self.check_generator()
        at_least(self, 1, "vocab_size", "coarse", "pairs", "dev_pairs", "candidates", "max_tokens", "heads",
                 "enc_layers", "dec_layers")  # fmt: skip
        check(self.coarse <= self.num_ws, "coarse", f"must be ≤ {self.num_ws} (the W+ layers), got {self.coarse}")
        check(0 < self.alpha_min <= self.alpha_max <= 1, "alpha_min", "and alpha_max need 0 < min ≤ max ≤ 1")
        check(0 < self.truncation <= 1, "truncation", f"must be in (0, 1], got {self.truncation}")
        check(self.flow in FLOWS, "flow", f"must be one of {FLOWS}, got {self.flow!r}")
        check(self.d_model % self.heads == 0, "d_model", f"must be a multiple of heads ({self.heads})")
        at_least(self, 0, "fb_tolerance", "max_logexp", "pin_below", "lambda_warp", "warp_shift", "warp_scale")
        check(0 <= self.warp_share <= 1, "warp_share", f"must be in [0, 1], got {self.warp_share}")
        check(bool(self.prior), "prior", "must name the prior checkpoint")

    def to_dict(self) -> dict:
        return asdict(self)
