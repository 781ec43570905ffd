"""The context-aware GAN's settings (SPEC-context-gan §2). The paper gives the sizes of the pictures
and the stages; the widths are ours (recorded in docs/RESULTS.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from imi.core.config import at_least, check, finite


@dataclass(frozen=True)
class ContextGANConfig:
    """Context network + three-stage generator + one discriminator per stage.

    Attributes:
        height, width: the last stage's picture (paper: 60×105); stage k is ``⌊· / 2^(3−k)⌋`` of it
            (15×26, 30×52, 60×105).
        vocab_size: the domain's words (set from its tokenizer; the trainer checks it). The text is read
            by the project's frozen sentence encoder (all-MiniLM-L6-v2, 384-d), standing in for Reed's
            char-CNN-RNN.
        text_dim: the sentence vectors' size; ``t_dim``: what each network projects them to (Reed: 128).
        places, people: the sizes of the two one-hot halves of the context vector C; ``kinds``: the
            people come in that many kinds of ``people / kinds`` looks each ("a woman" names a kind).
        use_context: False is the text-only baseline (Reed et al.: the same GAN without C).
        z_dim: uniform noise in [-1, 1] (Reed: 100).
        ngf: stage 1's widest block (4·ngf channels at 4×7, halving per upsampling).
        g2_ch, g3_ch: stages 2 and 3 (StackGAN stage-II: the previous picture encoded to ``2·ch``
            channels at half its size, C and T tiled onto it, ``res_blocks`` residual blocks, two
            upsamplings to the stage's size).
        cond_ch: stages 2 and 3 project ``[T, C]`` to this many numbers before tiling them onto the
            picture's features.
        ndf: the discriminators' first width (doubling per stride-2 conv down to ≤ 4 rows).
        mismatch: weight of Reed's matching-aware term (real picture, another scene's text and C) in
            L_D; real = 1, fake and mismatched share the other half (Reed: 1).
        stage_weights: the weight of each stage's loss in L_D and L_G (paper: a plain sum).
        lambda_recog: beyond the paper: weight of a term in L_G that asks the frozen context recognisers
            to read the place and the person of ``C`` in the last stage's picture (an AC-GAN-style
            auxiliary loss with a fixed classifier; its gradient reaches every stage); 0 is the paper.
        recog_width, recog_steps, recog_lr: the context recognisers (Algorithm 1), trained on the train
            split before the GAN and then frozen.
    """

    height: int = 60
    width: int = 105
    vocab_size: int = 60
    text_dim: int = 384
    t_dim: int = 128
    places: int = 2
    people: int = 20
    kinds: int = 4
    use_context: bool = True
    z_dim: int = 100
    ngf: int = 64
    g2_ch: int = 64
    g3_ch: int = 32
    res_blocks: int = 2
    cond_ch: int = 32
    ndf: int = 32
    mismatch: float = 1.0
    stage_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    lambda_recog: float = 0.0
    recog_width: int = 16
    recog_steps: int = 1_000
    recog_lr: float = 3e-3

    def __post_init__(self) -> None:
        weights = self.stage_weights  # a list read back from JSON, or "1,1,0.5" from the command line
        if isinstance(weights, str):
            try:
                weights = [float(w) for w in weights.split(",")]
            except ValueError:
                check(False, "stage_weights", f"must be three numbers like 1,1,1, got {weights!r}")
        object.__setattr__(self, "stage_weights", tuple(float(w) for w in weights))
        finite(self)
        at_least(self, 24, "height", "width")
        at_least(
            self, 1, "vocab_size", "text_dim", "t_dim", "places", "people", "kinds", "z_dim", "ngf", "g2_ch", "g3_ch"
        )
        at_least(self, 1, "ndf", "recog_width", "cond_ch")
        at_least(self, 0, "res_blocks", "mismatch", "recog_steps", "lambda_recog")
        check(len(self.stage_weights) == 3 and min(self.stage_weights) >= 0, "stage_weights",
              f"must be three weights ≥ 0, got {self.stage_weights}")  # fmt: skip
        check(self.people % self.kinds == 0, "kinds", f"must divide people ({self.people}), got {self.kinds}")
        check(self.mismatch <= 1, "mismatch", f"must be in [0, 1], got {self.mismatch}")
        check(self.recog_lr > 0, "recog_lr", f"must be > 0, got {self.recog_lr}")

    @property
    def c_dim(self) -> int:
        return self.places + self.people if self.use_context else 0

    def stage_sizes(self) -> list[tuple[int, int]]:
        return [(self.height // 2 ** (2 - k), self.width // 2 ** (2 - k)) for k in range(3)]

    def to_dict(self) -> dict:
        return asdict(self)
