"""The judge: a CNN that reads a digit scene ``(digit incl. null, x, y, w, h)`` from an image.

GeNeVA judged generated scenes with an independent detector; this is ours for
the digit benchmark. It has two small networks, because the two questions are
of different difficulty:

* the *locator* reads the box (x, y, w, h) from a 32×32 view of the canvas;
  ``w = h = 0`` is the empty canvas. Boxes are coarse (3×3 cells), so this is easy.
* the *reader* classifies the digit from the box cropped and resized to a
  square (24×24), i.e. it undoes the renderer's stretch and reads an MNIST-like glyph.

A recogniser may only judge if it read held-out (test-glyph) renders with at
least :data:`GATE` accuracy on every head; :func:`load_recognizer` enforces
this from the accuracies measured at training time and saved next to the weights.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from imi.core.config import at_least, check
from imi.core.errors import RecognizerError
from imi.core.gated import JudgeFile
from imi.core.glyphs import GlyphSet
from imi.domains.digits.render import render_batch
from imi.domains.digits.scenes import CELL, GRID, NULL_DIGIT, boxes

FORMAT = "imi-recognizer"
VERSION = 1
READ_SIZE = 24  # the reader's input side; a one-cell glyph is only 21 px on the 64 px canvas
GATE = 0.995  # minimum held-out accuracy per head before a recogniser may judge
HEADS = ("digit", "x", "y", "w", "h")
SHIPPED = Path(__file__).resolve().parents[2] / "recognizers" / "digits"
FILE = JudgeFile(FORMAT, VERSION, GATE, HEADS, "recogniser", "imi recognizer train --out {path}", gate_on_save=False)


@dataclass(frozen=True)
class RecognizerConfig:
    """Architecture and training of the recogniser (``imi recognizer train``).

    Attributes:
        width: channels of the reader's first block (the locator uses half).
        steps, batch_size, lr, weight_decay: AdamW with a one-cycle schedule.
        seed: seeds weights, scenes and augmentation.
        noise: largest std of the additive pixel noise (grey levels), so that
            the judge reads imperfect generated images too.
        threads: CPU threads; 0 = all cores.
    """

    width: int = 16
    steps: int = 3000
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 5e-4
    seed: int = 0
    noise: float = 24.0
    threads: int = 0

    def __post_init__(self) -> None:
        at_least(self, 1, "width", "steps", "batch_size")
        at_least(self, 0, "seed", "noise", "threads", "weight_decay")
        check(self.lr > 0, "lr", f"must be > 0, got {self.lr}")


def _block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class Locator(nn.Module):
    """uint8-scaled ``(B, 1, 64, 64)`` → logits of x (3), y (3), w (4), h (4) and a 64-d feature."""

    def __init__(self, width: int):
        super().__init__()
        c = width
        self.body = nn.Sequential(
            nn.AvgPool2d(2),  # 64 → 32: cells are 10.7 px here, plenty for a 3×3 grid
            *_block(1, c), nn.MaxPool2d(2),
            *_block(c, 2 * c), nn.MaxPool2d(2),
            *_block(2 * c, 2 * c), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * c * 16, 64), nn.ReLU(inplace=True),
        )  # fmt: skip
        self.heads = nn.Linear(64, 3 + 3 + 4 + 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.body(x)
        return self.heads(f), f


class Reader(nn.Module):
    """A cropped glyph ``(B, 1, 24, 24)`` → 10 digit logits and a ``4·width`` feature."""

    def __init__(self, width: int):
        super().__init__()
        c = width
        self.body = nn.Sequential(
            *_block(1, c), *_block(c, c), nn.MaxPool2d(2),
            *_block(c, 2 * c), *_block(2 * c, 2 * c), nn.MaxPool2d(2),
            nn.Conv2d(2 * c, 4 * c, 3, bias=False), nn.BatchNorm2d(4 * c), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )  # fmt: skip
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(4 * c, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.body(x)
        return self.head(self.drop(f)), f


def crop_boxes(images: torch.Tensor, box: torch.Tensor, size: int = READ_SIZE) -> torch.Tensor:
    """Cut each image's box and resize it to ``size × size``: the renderer's stretch, undone.

    Args:
        images: float ``(B, 1, S, S)``.
        box: long ``(B, 4)`` = (x, y, w, h) in cells; an empty box crops the whole canvas.

    Returns:
        float ``(B, 1, size, size)``.
    """
    x, y, w, h = box.float().unbind(1)
    empty = (w == 0) | (h == 0)
    x, y = torch.where(empty, 0.0, x), torch.where(empty, 0.0, y)
    w, h = torch.where(empty, float(GRID), w), torch.where(empty, float(GRID), h)
    # affine_grid maps output [-1, 1] to input [-1, 1]: scale = box/canvas, shift = box centre.
    theta = torch.zeros(len(box), 2, 3)
    theta[:, 0, 0], theta[:, 0, 2] = w / GRID, (2 * x + w) / GRID - 1
    theta[:, 1, 1], theta[:, 1, 2] = h / GRID, (2 * y + h) / GRID - 1
    grid = F.affine_grid(theta.to(images), [len(box), 1, 2 * size, 2 * size], align_corners=False)
    # Sample at twice the size and average down: less aliasing from the 64 px canvas.
    return F.avg_pool2d(F.grid_sample(images, grid, align_corners=False), 2)


@dataclass
class Reading:
    """What the recogniser read: ``labels`` long ``(B, 5)``, ``features`` float ``(B, F)`` (unit norm)."""

    labels: torch.Tensor
    features: torch.Tensor


class Recognizer(nn.Module):
    """Reads scenes from uint8 ``(B, 1, 64, 64)`` images; see the module docstring."""

    def __init__(self, config: RecognizerConfig | None = None):
        super().__init__()
        self.config = config or RecognizerConfig()
        self.locator = Locator(max(8, self.config.width // 2))
        self.reader = Reader(self.config.width)
        self.accuracy: dict[str, float] = {}

    @staticmethod
    def scale(images: torch.Tensor) -> torch.Tensor:
        return images.float() / 255.0

    @staticmethod
    def decode_box(logits: torch.Tensor) -> torch.Tensor:
        """Box logits ``(B, 14)`` → ``(B, 4)`` = (x, y, w, h); w or h of 0 means empty (all zero)."""
        x, y, w, h = (part.argmax(1) for part in logits.split([3, 3, 4, 4], dim=1))
        box = torch.stack([x, y, w, h], 1)
        empty = (w == 0) | (h == 0)
        return torch.where(empty[:, None], 0, box)

    @torch.no_grad()
    def read(self, images: torch.Tensor, batch_size: int = 2048) -> Reading:
        """Read uint8 ``(B, 1, 64, 64)`` images (eval mode, in chunks)."""
        if images.dim() != 4 or images.shape[1:] != (1, 64, 64):
            raise RecognizerError(f"the digit recogniser reads (B, 1, 64, 64) images, got {tuple(images.shape)}")
        was_training = self.training
        self.eval()
        labels, feats = [], []
        for chunk in images.split(batch_size):
            x = self.scale(chunk)
            box_logits, f_loc = self.locator(x)
            box = self.decode_box(box_logits)
            digit_logits, f_read = self.reader(crop_boxes(x, box))
            empty = box[:, 2] == 0
            digit = torch.where(empty, NULL_DIGIT, digit_logits.argmax(1))
            labels.append(torch.cat([digit[:, None], box], 1))
            feats.append(F.normalize(torch.cat([F.normalize(f_loc, dim=1), F.normalize(f_read, dim=1)], 1), dim=1))
        self.train(was_training)
        return Reading(torch.cat(labels), torch.cat(feats))


# ----------------------------------------------------------------------------- data


BOXES = torch.tensor(boxes())  # (36, 4)


def scene_labels(digits: torch.Tensor, box_index: torch.Tensor) -> torch.Tensor:
    """Scenes from glyph classes ``(B,)`` and box indices ``(B,)`` in 0..36 (36 = empty)."""
    empty = box_index == len(BOXES)
    box = BOXES[box_index.clamp(max=len(BOXES) - 1)]
    labels = torch.cat([digits[:, None], box], 1)
    return torch.where(empty[:, None], torch.tensor([NULL_DIGIT, 0, 0, 0, 0]), labels)


def all_scenes(pool: GlyphSet) -> tuple[torch.Tensor, torch.Tensor]:
    """Every glyph in every one of its 37 scenes: uint8 images ``(37N, 1, 64, 64)``, labels ``(37N, 5)``."""
    n = len(pool)
    glyph = torch.arange(n).repeat_interleave(len(BOXES) + 1)
    box = torch.arange(len(BOXES) + 1).repeat(n)
    labels = scene_labels(torch.from_numpy(pool.labels)[glyph], box)
    images = render_batch(torch.from_numpy(pool.images)[glyph], labels).unsqueeze(1)
    return images, labels


def _augment_glyphs(glyphs: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random small affine warps of float glyphs ``(B, 28, 28)``: rotation ±15°, scale, shear, shift."""
    n = len(glyphs)
    u = torch.rand(n, 5, generator=gen) - 0.5
    angle, scale, shear = u[:, 0] * 0.52, 1 + u[:, 1] * 0.3, u[:, 2] * 0.3
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack(
        [torch.stack([cos, -sin + shear, u[:, 3] * 0.25], 1), torch.stack([sin, cos, u[:, 4] * 0.25], 1)], 1
    )
    grid = F.affine_grid(theta, [n, 1, CELL, CELL], align_corners=False)
    return F.grid_sample(glyphs[:, None], grid, align_corners=False)[:, 0]


def _degrade(images: torch.Tensor, noise: float, gen: torch.Generator) -> torch.Tensor:
    """Generator-like defects on float ``(B, 1, S, S)`` in [0, 255]: dimming, blur, noise."""
    n = len(images)
    gain = 0.6 + 0.4 * torch.rand(n, 1, 1, 1, generator=gen)
    blurred = F.avg_pool2d(F.pad(images, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    blur = (torch.rand(n, 1, 1, 1, generator=gen) < 0.3).float()
    sigma = noise * torch.rand(n, 1, 1, 1, generator=gen)
    out = gain * (blur * blurred + (1 - blur) * images) + sigma * torch.randn(images.shape, generator=gen)
    return out.clamp(0, 255).round()


def training_batch(pool: GlyphSet, batch_size: int, noise: float, gen: torch.Generator):
    """Random scenes of random train glyphs, augmented: ``(uint8 images (B,1,64,64), labels (B,5))``."""
    glyph = torch.randint(len(pool), (batch_size,), generator=gen)
    box = torch.randint(len(BOXES) + 1, (batch_size,), generator=gen)
    labels = scene_labels(torch.from_numpy(pool.labels)[glyph], box)
    glyphs = _augment_glyphs(torch.from_numpy(pool.images)[glyph].float(), gen)
    images = render_batch(glyphs, labels).unsqueeze(1).float()
    return _degrade(images, noise, gen).to(torch.uint8), labels


# ----------------------------------------------------------------------------- accuracy


def measure(recognizer: Recognizer, pool: GlyphSet) -> dict[str, float]:
    """Accuracy per head (and of the whole scene) on all 37 scenes of every glyph of ``pool``."""
    images, labels = all_scenes(pool)
    read = recognizer.read(images).labels
    hit = read == labels
    acc = {head: float(hit[:, i].float().mean()) for i, head in enumerate(HEADS)}
    acc["scene"] = float(hit.all(1).float().mean())
    acc["images"] = len(labels)
    return acc


def passes_gate(accuracy: dict[str, float]) -> bool:
    return FILE.passes(accuracy)


# ----------------------------------------------------------------------------- files


def save_recognizer(path: Path, recognizer: Recognizer, provenance: dict) -> None:
    """Weights (safetensors) and ``config.json`` with the measured accuracies (the gate is checked on load)."""
    FILE.save(path, recognizer, asdict(recognizer.config), recognizer.accuracy, provenance)


def load_recognizer(path: str | Path | None = None) -> Recognizer:
    """Load a recogniser (the shipped one by default) and refuse it if it failed the accuracy gate."""
    recognizer, accuracy = FILE.load(SHIPPED if path is None else Path(path),
                                     lambda config: Recognizer(RecognizerConfig(**config)))  # fmt: skip
    recognizer.accuracy = accuracy
    return recognizer.to(memory_format=torch.channels_last).eval()  # faster CPU convolutions


def recognizer_loss(model: Recognizer, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the four box heads plus the digit head (on the true box; digits only)."""
    x = model.scale(images)
    box_logits, _ = model.locator(x)
    # Empty scenes: w = h = 0 and x = y = 0 are the targets, as in the labels.
    loss = sum(F.cross_entropy(part, labels[:, i + 1]) for i, part in enumerate(box_logits.split([3, 3, 4, 4], 1)))
    present = labels[:, 0] != NULL_DIGIT
    digit_logits, _ = model.reader(crop_boxes(x[present], labels[present, 1:]))
    return loss + F.cross_entropy(digit_logits, labels[present, 0], label_smoothing=0.1)


def train_recognizer(config: RecognizerConfig, train_pool: GlyphSet, progress: bool = True) -> Recognizer:
    """Train both networks on augmented renders of ``train_pool`` glyphs (never the test pool)."""
    from tqdm import tqdm

    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    model = Recognizer(config).train()
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.steps)
    bar = tqdm(range(config.steps), desc="recogniser", unit="step", disable=not progress)
    for _ in bar:
        loss = recognizer_loss(model, *training_batch(train_pool, config.batch_size, config.noise, gen))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        bar.set_postfix(loss=f"{loss.item():.3f}")
    return model.eval()
