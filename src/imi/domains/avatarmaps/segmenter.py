"""The segmenter: reads an avatar picture back into a label map (SPEC-semantic §1, evaluation).

A small U-Net trained on real renders of the train split, degraded the way generated pictures are
(2× box blur, colour gain and offset, noise) so that it reads shapes rather than exact pixels. Its
own mIoU on the real test renders is the ceiling every generated picture's layout fidelity is
reported against. It may only judge with at least :data:`GATE` mIoU there: :data:`FILE` refuses to
save or load a weaker one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from imi.core.config import at_least, check
from imi.core.errors import RecognizerError
from imi.core.gated import JudgeFile
from imi.domains.avatarmaps.config import MapDataConfig
from imi.domains.avatarmaps.data import CLASSES, AvatarMaps
from imi.tasks.synthesize.metrics import confusion, iou

FORMAT = "imi-segmenter"
VERSION = 1
GATE = 0.95  # mIoU on the real test renders (the shipped one: 0.972); a weaker one could not score the 0.85 target
SHIPPED = Path(__file__).resolve().parents[2] / "recognizers" / "avatar-maps"
FILE = JudgeFile(
    FORMAT, VERSION, GATE, ("miou",), "segmenter", "imi recognizer train-avatar-maps --out {path}",
    lambda: {"classes": list(CLASSES)}, catalogue_name="class list",
)  # fmt: skip


@dataclass(frozen=True)
class SegmenterConfig:
    """``imi recognizer train-avatar-maps``.

    Attributes:
        width: channels at full resolution (×2 per halving, three halvings).
        steps, batch_size, lr: AdamW with a one-cycle schedule, on the train split's renders.
        seed: weights, order and augmentation.
        threads: CPU threads (0 = all cores).
    """

    width: int = 16
    steps: int = 2_000
    batch_size: int = 32
    lr: float = 3e-3
    seed: int = 0
    threads: int = 0

    def __post_init__(self) -> None:
        at_least(self, 1, "width", "steps", "batch_size")
        at_least(self, 0, "threads")
        check(self.lr > 0, "lr", f"must be > 0, got {self.lr}")


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )  # fmt: skip


class Segmenter(nn.Module):
    """uint8 or float-in-[0, 255] ``(B, 3, S, S)`` → logits ``(B, K, S, S)`` (a 4-level U-Net)."""

    def __init__(self, config: SegmenterConfig | None = None, classes: int = len(CLASSES)):
        super().__init__()
        self.config = config or SegmenterConfig()
        w = [self.config.width * 2**i for i in range(4)]
        self.downs = nn.ModuleList([_conv(3, w[0]), _conv(w[0], w[1]), _conv(w[1], w[2]), _conv(w[2], w[3])])
        self.ups = nn.ModuleList(nn.ConvTranspose2d(w[i + 1], w[i], 2, stride=2) for i in range(3))
        self.merges = nn.ModuleList(_conv(2 * w[i], w[i]) for i in range(3))
        self.out = nn.Conv2d(w[0], classes, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float() / 127.5 - 1
        skips = []
        for i, down in enumerate(self.downs):
            x = down(F.max_pool2d(x, 2) if i else x)
            skips.append(x)
        for i in reversed(range(3)):
            x = self.merges[i](torch.cat([self.ups[i](x), skips[i]], 1))
        return self.out(x)

    @torch.no_grad()
    def read(self, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """Label maps of uint8 ``(B, 3, S, S)`` pictures: long ``(B, S, S)``."""
        if images.dim() != 4 or images.shape[1] != 3:
            raise RecognizerError(f"the segmenter reads (B, 3, S, S) pictures, got {tuple(images.shape)}")
        was_training = self.training
        self.eval()
        out = [self(chunk).argmax(1) for chunk in images.split(batch_size)]
        self.train(was_training)
        return torch.cat(out) if out else torch.zeros(0, *images.shape[2:], dtype=torch.long)


def degrade(images: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Generator-like defects on uint8 ``(B, 3, S, S)`` → float in [0, 255]: a 2× box blur on a third,
    a colour gain and offset per channel, and pixel noise."""
    x = images.float()
    b = len(x)
    blur = torch.rand(b, generator=gen) < 1 / 3
    if blur.any():
        x[blur] = F.interpolate(F.avg_pool2d(x[blur], 2), scale_factor=2.0, mode="bilinear", align_corners=False)
    gain = 1 + 0.15 * (torch.rand(b, 3, 1, 1, generator=gen) * 2 - 1)
    offset = 20 * (torch.rand(b, 3, 1, 1, generator=gen) * 2 - 1)
    noise = torch.randn(x.shape, generator=gen) * 8 * torch.rand(b, 1, 1, 1, generator=gen)
    return (x * gain + offset + noise).clamp(0, 255)


def measure(model: Segmenter, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """mIoU and per-class IoU of ``model`` on uint8 pictures and their long label maps."""
    per_class = iou(confusion(model.read(images), labels, len(CLASSES)))
    return {
        "miou": float(np.nanmean(per_class)),
        **{f"iou_{c}": float(v) for c, v in zip(CLASSES, per_class, strict=True)},
    }


def train_segmenter(
    config: SegmenterConfig, data: MapDataConfig, progress: bool = True
) -> tuple[Segmenter, dict[str, float]]:
    """Fit on the train split (class-weighted cross-entropy: small parts count), measure on the test split."""
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    bench = AvatarMaps(data, build=True, workers=max(1, torch.get_num_threads()))
    train, test = bench.split("train"), bench.split("test")
    counts = np.bincount(train.labels[:2_000].ravel(), minlength=len(CLASSES)).astype(np.float64)
    weight = torch.tensor((counts.sum() / np.maximum(counts, 1)) ** 0.5, dtype=torch.float32)
    weight = weight / weight.mean()  # ∝ 1/√frequency: eyebrows matter without drowning the background
    model = Segmenter(config)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.steps)
    model.train()
    for _ in tqdm(range(config.steps), desc="train segmenter", disable=not progress):
        b = train.batch(torch.randint(len(train), (config.batch_size,), generator=gen).numpy())
        loss = F.cross_entropy(model(degrade(b.image, gen)), b.labels, weight=weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    model.eval()
    t = test.batch(np.arange(len(test)))
    return model, measure(model, t.image, t.labels)


def save_segmenter(path: Path, model: Segmenter, accuracy: dict[str, float], provenance: dict) -> None:
    FILE.save(path, model, asdict(model.config), accuracy, provenance)


def load_segmenter(path: str | Path | None = None) -> Segmenter:
    """A saved segmenter in eval mode (the shipped one by default); refuses one below the gate."""
    model, accuracy = FILE.load(Path(path or SHIPPED), lambda c: Segmenter(SegmenterConfig(**c)))
    model.accuracy = accuracy
    return model.eval()


@lru_cache(maxsize=1)
def shipped_segmenter() -> Segmenter:
    return load_segmenter()
