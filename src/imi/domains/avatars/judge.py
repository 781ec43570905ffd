"""The avatar judge: a CNN that reads all attributes of an avatar from its picture.

It gives *edit accuracy* (the edited attribute reads as the target value) and
*consistency* (every other attribute still reads as before) for the avatar
benchmark, the way :mod:`imi.domains.digits.judge` does for digits.

It learns from its own rendered avatars (a seed stream no benchmark split
uses), degraded with blur and noise so that it also reads imperfect
generated pictures, and it is measured on fresh held-out renders. It may
only judge with at least :data:`GATE` accuracy on every attribute:
:func:`save_avatar_recognizer` refuses to save a weaker one and
:func:`load_avatar_recognizer` refuses to load one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imi.core.config import at_least, check
from imi.core.errors import RecognizerError
from imi.core.gated import JudgeFile
from imi.domains.avatars.attributes import ATTRIBUTES, NAMES
from imi.domains.avatars.config import AvatarDataConfig

FORMAT = "imi-avatar-recognizer"
VERSION = 1
GATE = 0.98  # minimum held-out accuracy per attribute before the recogniser may judge
SHIPPED = Path(__file__).resolve().parents[2] / "recognizers" / "avatars"
SIZES = tuple(len(a) for a in ATTRIBUTES)
# Its own avatars: seeds far from any benchmark seed, so it never trains on a test picture.
TRAIN_SEED, HELD_OUT_SEED = 1_000_003, 2_000_003
FILE = JudgeFile(
    FORMAT, VERSION, GATE, NAMES, "avatar recogniser", "imi recognizer train-avatars --out {path}",
    lambda: {"attributes": {a.name: list(a.values) for a in ATTRIBUTES}}, "attribute catalogue",
)


@dataclass(frozen=True)
class AvatarRecognizerConfig:
    """``imi recognizer train-avatars``.

    Attributes:
        width: channels of the first conv block (doubling per block).
        avatars: rendered training avatars (cached like the benchmark).
        held_out: fresh avatars for the accuracy gate.
        steps, batch_size, lr, weight_decay: AdamW, one-cycle schedule.
        noise: largest std of the additive pixel noise (grey levels).
        seed: weights and augmentation.
        threads: CPU threads (0 = all cores).
    """

    width: int = 32
    avatars: int = 30_000
    held_out: int = 5_000
    steps: int = 3_000
    batch_size: int = 128
    lr: float = 3e-3
    weight_decay: float = 5e-4
    noise: float = 12.0
    seed: int = 0
    threads: int = 0

    def __post_init__(self) -> None:
        at_least(self, 1, "width", "avatars", "held_out", "steps", "batch_size")
        at_least(self, 0, "noise", "seed", "threads", "weight_decay")
        check(self.lr > 0, "lr", f"must be > 0, got {self.lr}")


def _block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class AvatarRecognizer(nn.Module):
    """uint8 ``(B, 3, 64, 64)`` → one logit vector per attribute.

    The face parts sit at fixed places and are a few pixels big, so the
    features are flattened at 4×4 rather than pooled: the heads know *where*
    a pattern is, not only that it is somewhere.
    """

    def __init__(self, config: AvatarRecognizerConfig | None = None):
        super().__init__()
        self.config = config or AvatarRecognizerConfig()
        c = self.config.width
        self.body = nn.Sequential(
            *_block(3, c), *_block(c, c), nn.MaxPool2d(2),          # 32
            *_block(c, 2 * c), nn.MaxPool2d(2),                      # 16
            *_block(2 * c, 4 * c), nn.MaxPool2d(2),                  # 8
            *_block(4 * c, 4 * c), nn.MaxPool2d(2),                  # 4
            nn.Flatten(), nn.Dropout(0.2), nn.Linear(4 * c * 16, 256), nn.ReLU(inplace=True),
        )  # fmt: skip
        self.heads = nn.Linear(256, sum(SIZES))
        self.accuracy: dict[str, float] = {}

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        """uint8 or float-in-[0, 255] ``(B, 3, 64, 64)`` → ``len(NAMES)`` logit tensors ``(B, K_a)``."""
        return list(self.heads(self.body(images.float() / 255.0)).split(SIZES, dim=1))

    @torch.no_grad()
    def read(self, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        """Attribute value indices of uint8 ``(B, 3, 64, 64)`` pictures: long ``(B, len(NAMES))``."""
        if images.dim() != 4 or images.shape[1:] != (3, 64, 64):
            raise RecognizerError(f"the avatar recogniser reads (B, 3, 64, 64) images, got {tuple(images.shape)}")
        was_training = self.training
        self.eval()
        out = [torch.stack([h.argmax(1) for h in self(chunk)], 1) for chunk in images.split(batch_size)]
        self.train(was_training)
        return torch.cat(out) if out else torch.zeros(0, len(NAMES), dtype=torch.long)


def degrade(images: torch.Tensor, noise: float, gen: torch.Generator) -> torch.Tensor:
    """Generator-like defects on float ``(B, 3, S, S)`` in [0, 255]: blur on 30%, noise up to ``noise``.

    No brightness change (unlike the digit judge): here the colour *is* the
    attribute, and a dimmed "light" skin would be a "tan" one.
    """
    n = len(images)
    blurred = F.avg_pool2d(F.pad(images, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    blur = (torch.rand(n, 1, 1, 1, generator=gen) < 0.3).float()
    sigma = noise * torch.rand(n, 1, 1, 1, generator=gen)
    out = blur * blurred + (1 - blur) * images + sigma * torch.randn(images.shape, generator=gen)
    return out.clamp(0, 255).round()


def avatar_pool(count: int, seed: int, workers: int = 1, cache_dir: str | None = None):
    """``count`` rendered random avatars of seed ``seed``: uint8 ``(N, 3, 64, 64)`` and long ``(N, 13)``.

    Rendered once into the avatar cache (as the benchmark's unlabeled pool).
    """
    from imi.domains.avatars.dataset import AvatarBenchmark

    one = {"train_triplets": 1, "dev_triplets": 1, "test_triplets": 1}
    bench = AvatarBenchmark(
        AvatarDataConfig(**one, unlabeled=count, seed=seed, cache_dir=cache_dir), build=True, workers=workers
    )
    images = torch.from_numpy(np.array(bench.cache.load("unlabeled"))).permute(0, 3, 1, 2)
    return images.contiguous(), torch.from_numpy(bench.cache.load("unlabeled_attrs").astype(np.int64))


def measure(model: AvatarRecognizer, images: torch.Tensor, attrs: torch.Tensor) -> dict[str, float]:
    """Accuracy per attribute (and of the whole record) on clean renders."""
    hit = model.read(images) == attrs
    acc = {name: float(hit[:, i].float().mean()) for i, name in enumerate(NAMES)}
    acc["record"] = float(hit.all(1).float().mean())
    acc["images"] = len(images)
    return acc


def passes_gate(accuracy: dict[str, float]) -> bool:
    return FILE.passes(accuracy)


def train_avatar_recognizer(
    config: AvatarRecognizerConfig, workers: int = 1, cache_dir: str | None = None, progress: bool = True
) -> AvatarRecognizer:
    """Train on degraded renders of its own avatars, then measure it on fresh held-out ones."""
    from tqdm import tqdm

    if config.threads:
        torch.set_num_threads(config.threads)
    images, attrs = avatar_pool(config.avatars, TRAIN_SEED + config.seed, workers, cache_dir)
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    model = AvatarRecognizer(config).train()
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.steps)
    bar = tqdm(range(config.steps), desc="avatar recogniser", unit="step", disable=not progress)
    for _ in bar:
        k = torch.randint(len(images), (config.batch_size,), generator=gen)
        x = degrade(images[k].float(), config.noise, gen)
        loss = sum(F.cross_entropy(logits, attrs[k, i]) for i, logits in enumerate(model(x)))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        bar.set_postfix(loss=f"{loss.item():.3f}")
    model.eval()
    model.accuracy = measure(model, *avatar_pool(config.held_out, HELD_OUT_SEED, workers, cache_dir))
    return model


def save_avatar_recognizer(path: Path, model: AvatarRecognizer, provenance: dict) -> None:
    """Weights + ``config.json`` with the held-out accuracies; refuses a model below the gate."""
    FILE.save(path, model, asdict(model.config), model.accuracy, provenance)


def load_avatar_recognizer(path: str | Path | None = None) -> AvatarRecognizer:
    """Load a recogniser (the shipped one by default); refuse it if it failed the gate or its attributes differ."""
    model, accuracy = FILE.load(SHIPPED if path is None else Path(path),
                                lambda config: AvatarRecognizer(AvatarRecognizerConfig(**config)))  # fmt: skip
    model.accuracy = accuracy
    return model.eval()
