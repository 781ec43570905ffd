"""``ours``: a layout editor that moves the user's own pixels (the model IMI ships for digits).

The paper's generator redraws the whole picture from a 128-d vector, so even a
perfect model would lose the user's handwriting (a same-class glyph drawn anew
scores SSIM ≈ 0.84). This model never redraws what it can copy:

1. *Read the layout*: a small CNN predicts the source box (x, y, w, h) on the
   3×3 grid; w = 0 is the empty canvas.
2. *Read the change*: an LSTM reads the instruction; a head over image, text
   and the source-box belief predicts the target box, and a text head the digit.
3. *Compose*: the source box's pixels are warped into the target box by one
   affine ``grid_sample`` (a spatial transformer with a discrete, predicted
   transform); the rest of the canvas is kept, the vacated box is cleared.
   "put" has no source pixels, so it draws the class's exemplar glyph, the
   medoid of the training glyphs of that class (a real handwritten digit,
   chosen when training starts and stored with the weights).

Training is supervised classification of the boxes with the benchmark's scene
labels (the same labels the paper's auxiliary classifier uses, SPEC §2). The
compositor has no weights, so the edit is as sharp as the source.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imi.core.config import ModelConfig
from imi.core.images import normalize
from imi.domains.digits.scenes import GRID, LABEL_SIZES, NULL_DIGIT
from imi.nn.encoders import instruction_encoder
from imi.tasks.edit.model import EditModel

BOX_HEADS = ("x", "y", "w", "h")
BOX_SIZES = [LABEL_SIZES[k] for k in BOX_HEADS]  # 3, 3, 4, 4 (w = h = 0: empty)
DIGITS = NULL_DIGIT  # the exemplar bank has one glyph per class 0..9
GLYPH = 28
CLEAR_MARGIN = 2  # px cleared around a vacated box (see compose)


def split_box_logits(logits: torch.Tensor) -> list[torch.Tensor]:
    """``(B, 14)`` → logits for x, y, w, h."""
    return list(logits.split(BOX_SIZES, dim=1))


def box_masks(boxes: torch.Tensor, size: int, grow: int = 0) -> torch.Tensor:
    """Float ``(B, 1, size, size)``: 1 on the pixels whose centre lies inside each box (none for w = 0).

    ``grow`` widens each non-empty box by that many pixels on every side.
    """
    centre = (torch.arange(size, device=boxes.device, dtype=torch.float32) + 0.5) * GRID / size
    x, y, w, h = (boxes[:, i, None].float() for i in range(4))
    margin = grow * GRID / size
    cols = (centre >= x - margin) & (centre < x + w + margin)
    rows = (centre >= y - margin) & (centre < y + h + margin)
    return (rows[:, :, None] & cols[:, None, :] & (w > 0)[:, :, None]).unsqueeze(1).float()


def _interval(pos: torch.Tensor, size: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A box axis in grid_sample's normalised coordinates: (start, length) of [−1, 1]."""
    return 2 * pos.float() / GRID - 1, 2 * size.float().clamp(min=1) / GRID


def warp_theta(src: torch.Tensor | None, tgt: torch.Tensor) -> torch.Tensor:
    """``(B, 2, 3)`` affine maps from target-box to source-box coordinates.

    ``src`` None means the source is a whole glyph image (the exemplar), whose
    interval is all of [−1, 1].
    """
    theta = tgt.new_zeros(tgt.shape[0], 2, 3, dtype=torch.float32)
    for axis, (pos, size) in enumerate(((0, 2), (1, 3))):
        t_start, t_len = _interval(tgt[:, pos], tgt[:, size])
        if src is None:
            s_start, s_len = torch.full_like(t_start, -1.0), torch.full_like(t_len, 2.0)
        else:
            s_start, s_len = _interval(src[:, pos], src[:, size])
        scale = s_len / t_len
        theta[:, axis, axis] = scale
        theta[:, axis, 2] = s_start - t_start * scale
    return theta


def _warp(image: torch.Tensor, theta: torch.Tensor, size: int) -> torch.Tensor:
    grid = F.affine_grid(theta, [image.shape[0], image.shape[1], size, size], align_corners=False)
    return F.grid_sample(image, grid.to(image.dtype), mode="bilinear", padding_mode="zeros", align_corners=False)


class LayoutEditor(EditModel):
    """Predict source and target boxes, then warp the source's pixels (see the module text)."""

    inference_prefixes = ("im_enc.", "i_enc.", "src_head.", "tgt_head.", "digit_head.", "exemplars")

    def __init__(self, config: ModelConfig):
        super().__init__(config)
        c = config
        w = (c.ch, 2 * c.ch, 2 * c.ch)
        # Quarter-resolution input is plenty to find a box that spans ≥ 1/3 of the image.
        self.im_enc = nn.Sequential(
            nn.AvgPool2d(2),
            nn.Conv2d(c.channels, w[0], 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2),
            nn.Conv2d(w[0], w[1], 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2),
            nn.Conv2d(w[1], w[2], 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(w[2] * (c.image_size // 16) ** 2, c.d_im), nn.ReLU(True),
        )  # fmt: skip
        self.i_enc = instruction_encoder(c)
        n_box = sum(BOX_SIZES)
        self.src_head = nn.Linear(c.d_im, n_box)
        self.tgt_head = nn.Sequential(
            nn.Linear(c.d_im + c.d_i + n_box, c.d_fc), nn.ReLU(True), nn.Linear(c.d_fc, n_box)
        )
        self.digit_head = nn.Linear(c.d_i, DIGITS)
        # Class exemplars in the model's pixel range; black until set_exemplars() is called.
        black = normalize(torch.zeros(()), c.output)
        self.register_buffer("exemplars", black.expand(DIGITS, c.channels, GLYPH, GLYPH).clone())
        self.register_buffer("black", black, persistent=False)

    def set_exemplars(self, glyphs: torch.Tensor) -> None:
        """Store one uint8 ``(10, 28, 28)`` glyph per class (white on black)."""
        if glyphs.shape != (DIGITS, GLYPH, GLYPH):
            raise ValueError(f"exemplars must be (10, 28, 28), got {tuple(glyphs.shape)}")
        self.exemplars.copy_(normalize(glyphs, self.config.output)[:, None].expand_as(self.exemplars))

    def heads(self, x: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor):
        """Logits: source box ``(B, 14)``, target box ``(B, 14)``, digit ``(B, 10)``."""
        h, t = self.im_enc(x), self.i_enc(tokens, lengths)
        src = self.src_head(h)
        belief = torch.cat([p.softmax(1) for p in split_box_logits(src)], dim=1)
        return src, self.tgt_head(torch.cat([h, t, belief], dim=1)), self.digit_head(t)

    def compose(self, x: torch.Tensor, src: torch.Tensor, tgt: torch.Tensor, digit: torch.Tensor) -> torch.Tensor:
        """Render the edit.

        Args:
            x: normalised source ``(B, C, S, S)``.
            src, tgt: long ``(B, 4)`` boxes (x, y, w, h); w = 0 is "no box".
            digit: long ``(B,)``: the exemplar to draw where the source has no box.

        Returns:
            normalised ``(B, C, S, S)``: outside both boxes (and their margins)
            the source as it was, the vacated source box black, the target box filled.
        """
        size = x.shape[-1]
        ink = x - self.black  # zero on the background, so grid_sample's zero padding is "black"
        from_source = _warp(ink, warp_theta(src, tgt), size)
        exemplar = (self.exemplars[digit] - self.black).to(ink.dtype)
        from_exemplar = _warp(exemplar, warp_theta(None, tgt), size)
        empty = (src[:, 2] == 0)[:, None, None, None]
        content = torch.where(empty, from_exemplar, from_source)
        # Both boxes get a margin: resampling a glyph into a box spills its anti-aliasing a pixel
        # or two past the box edge, so the vacated box is cleared and the new one drawn with it
        # (a ghost outline would remain otherwise; with src == tgt the edit is exactly the source).
        m_src, m_tgt = (box_masks(b, size, CLEAR_MARGIN).to(ink.dtype) for b in (src, tgt))
        keep = 1 - torch.maximum(m_src, m_tgt)
        return ink * keep + content * m_tgt + self.black

    def prepare(self, train_set) -> None:
        """Exemplars: the medoid glyph of each class in the train pool."""
        pool = train_set.pool
        self.set_exemplars(torch.from_numpy(class_medoids(pool.images, pool.labels)))

    def boxes(self, x: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor):
        """Predicted ``(src, tgt, digit)``: long ``(B, 4)``, ``(B, 4)``, ``(B,)``."""
        src_l, tgt_l, digit_l = self.heads(x, tokens, lengths)
        src = torch.stack([p.argmax(1) for p in split_box_logits(src_l)], dim=1)
        tgt = torch.stack([p.argmax(1) for p in split_box_logits(tgt_l)], dim=1)
        # No instruction means no change (SPEC §3's zero instruction).
        tgt = torch.where((lengths == 0).to(tgt.device)[:, None], src, tgt)
        for boxes in (src, tgt):  # keep a box on the grid whatever the heads say
            boxes[:, 2:] = torch.minimum(boxes[:, 2:], GRID - boxes[:, :2])
        return src, tgt, digit_l.argmax(1)

    def generate(self, x, tokens, lengths, z):
        return self.compose(x, *self.boxes(x, tokens, lengths))

    def change_map(self, x, tokens, lengths):
        """Both boxes with their margins: everything :meth:`compose` may redraw."""
        src, tgt, _ = self.boxes(x, tokens, lengths)
        return torch.maximum(*(box_masks(b, x.shape[-1], CLEAR_MARGIN) for b in (src, tgt))).to(x.dtype)

    def loss(self, b) -> dict[str, torch.Tensor]:
        """Cross-entropy of the three heads against a StepBatch's scene labels."""
        src_l, tgt_l, digit_l = self.heads(b.source, b.tokens, b.lengths)
        src_ce = sum(F.cross_entropy(p, b.source_labels[:, i + 1]) for i, p in enumerate(split_box_logits(src_l)))
        tgt_ce = sum(F.cross_entropy(p, b.target_labels[:, i + 1]) for i, p in enumerate(split_box_logits(tgt_l)))
        # The instruction's digit: the target's, or the source's for "remove".
        digit = torch.where(b.target_labels[:, 0] == NULL_DIGIT, b.source_labels[:, 0], b.target_labels[:, 0])
        digit_ce = F.cross_entropy(digit_l, digit)
        return {"src_ce": src_ce, "tgt_ce": tgt_ce, "digit_ce": digit_ce, "loss": src_ce + tgt_ce + digit_ce}


def class_medoids(images: np.ndarray, labels: np.ndarray, classes: int = 10) -> np.ndarray:
    """The medoid glyph of each class (least summed L2 distance to its class): uint8 ``(classes, H, W)``."""
    out = []
    for c in range(classes):
        if not (labels == c).any():
            raise ValueError(f"no training glyph of class {c}")
        group = images[labels == c].reshape(int((labels == c).sum()), -1).astype(np.float64)
        sq = (group**2).sum(1)
        dist = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * group @ group.T, 0))
        out.append(images[labels == c][int(dist.sum(1).argmin())])
    return np.stack(out).astype(np.uint8)
