"""The scene judge: reads the place and which of the 20 people a ClipScenes picture shows (SPEC §4).

It learns from scenes of its own seed (no benchmark split uses it), degraded the way the GAN's early
stages are (box-downscaled 2× or 4× and upsampled back, plus noise and mirroring), and is measured on
fresh held-out renders. It may only judge with at least :data:`GATE` accuracy on each head, the place
and the exact set of people: :func:`save_scene_judge` refuses to save a weaker one and
:func:`load_scene_judge` refuses to load one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from imi.core.config import at_least, check
from imi.core.gated import JudgeFile
from imi.domains.clipscenes.config import SceneDataConfig
from imi.domains.clipscenes.data import ClipScenes
from imi.domains.clipscenes.schema import N_PEOPLE, PEOPLE, PLACES
from imi.nn.recognizer import Recognizer

FORMAT = "imi-scene-judge"
VERSION = 1
GATE = 0.98
SHIPPED = Path(__file__).resolve().parents[2] / "recognizers" / "clipscenes"
TRAIN_SEED, HELD_OUT_SEED = 1_000_003, 2_000_003
HEADS = ("place", "people")
FILE = JudgeFile(
    FORMAT, VERSION, GATE, HEADS, "scene judge", "imi recognizer train-clipscenes --out {path}",
    lambda: {"places": list(PLACES), "people": [p.name for p in PEOPLE]},
)
SIZE = (60, 105)  # what it reads at (the paper's picture); other sizes are resized to it


@dataclass(frozen=True)
class SceneJudgeConfig:
    """``imi recognizer train-clipscenes``.

    Attributes:
        width: channels of the first conv block.
        albums, held_out_albums: its own training albums and the fresh ones of the gate (4 scenes each).
        steps, batch_size, lr: AdamW with a one-cycle schedule.
        seed: weights, augmentation (the scenes' seeds are fixed: :data:`TRAIN_SEED`, :data:`HELD_OUT_SEED`).
        threads: CPU threads (0 = all cores).
    """

    width: int = 24
    albums: int = 4_000
    held_out_albums: int = 500
    steps: int = 2_000
    batch_size: int = 64
    lr: float = 3e-3
    seed: int = 0
    threads: int = 0

    def __post_init__(self) -> None:
        at_least(self, 1, "width", "albums", "held_out_albums", "steps", "batch_size")
        at_least(self, 0, "seed", "threads")
        check(self.lr > 0, "lr", f"must be > 0, got {self.lr}")


class SceneJudge(torch.nn.Module):
    """The recogniser plus what it was measured at (``accuracy``)."""

    def __init__(self, config: SceneJudgeConfig | None = None):
        super().__init__()
        self.config = config or SceneJudgeConfig()
        self.net = Recognizer({"place": len(PLACES), "people": N_PEOPLE}, self.config.width)
        self.accuracy: dict[str, float] = {}

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.net(x)

    @torch.no_grad()
    def read(self, images: torch.Tensor, batch_size: int = 512) -> dict[str, torch.Tensor]:
        """uint8 ``(B, 3, H, W)`` (any size: resized to the judge's) → ``place`` long ``(B,)``,
        ``people`` bool ``(B, 20)``, ``people_p`` float ``(B, 20)`` and ``features`` ``(B, F)``."""
        outs: dict[str, list[torch.Tensor]] = {"place": [], "people": [], "people_p": [], "features": []}
        for s in range(0, len(images), batch_size):
            x = images[s : s + batch_size].float() / 127.5 - 1
            if tuple(x.shape[-2:]) != SIZE:
                x = F.interpolate(x, size=SIZE, mode="bilinear", align_corners=False)
            f = self.net.features(x)
            pooled = torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1)
            p = torch.sigmoid(self.net.heads["people"](pooled))
            outs["place"].append(self.net.heads["place"](pooled).argmax(1))
            outs["people"].append(p > 0.5)
            outs["people_p"].append(p)
            outs["features"].append(pooled)
        return {k: torch.cat(v) for k, v in outs.items()}


def degrade(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """float ``(B, 3, H, W)`` in [-1, 1]: a third each kept, box-downscaled 2×, 4× (and upsampled back,
    as the judge reads the GAN's stage-1 and -2 pictures), then noise and a random mirror."""
    b, _, h, w = x.shape
    factor = torch.randint(3, (b,), generator=gen)
    out = x.clone()
    for f, scale in ((1, 2), (2, 4)):
        rows = (factor == f).nonzero().flatten()
        if len(rows):
            small = F.adaptive_avg_pool2d(x[rows], (h // scale, w // scale))
            out[rows] = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    out = out + 0.03 * torch.randn(out.shape, generator=gen)
    flip = torch.rand(b, generator=gen) < 0.5
    out[flip] = out[flip].flip(-1)
    return out.clamp(-1, 1)


def _scenes(seed: int, albums: int, cache_dir: str | None, workers: int):
    config = SceneDataConfig(train_albums=albums, dev_albums=1, test_albums=1, seed=seed, cache_dir=cache_dir)
    split = ClipScenes(config, build=True, workers=workers).split("train")
    b = split.batch(np.arange(len(split)))
    return b.image, b.place, b.people


def measure(judge: SceneJudge, images: torch.Tensor, place: torch.Tensor, people: torch.Tensor) -> dict[str, float]:
    """Accuracy of each head on ``images`` as they are and downscaled 2× and 4× (the stages' sizes)."""
    acc: dict[str, float] = {"images": len(images)}
    h, w = images.shape[-2:]
    for name, scale in (("", 1), ("_x2", 2), ("_x4", 4)):
        x = images if scale == 1 else F.adaptive_avg_pool2d(images.float(), (h // scale, w // scale)).round().byte()
        read = judge.read(x)
        acc[f"place{name}"] = float((read["place"] == place).float().mean())
        acc[f"people{name}"] = float((read["people"] == people).all(1).float().mean())
    return acc


def train_scene_judge(
    config: SceneJudgeConfig, workers: int = 1, cache_dir: str | None = None, progress: bool = True
) -> SceneJudge:
    """Train on degraded renders of its own scenes, then measure on fresh held-out ones."""
    from tqdm import tqdm

    if config.threads:
        torch.set_num_threads(config.threads)
    images, place, people = _scenes(TRAIN_SEED, config.albums, cache_dir, workers)
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    judge = SceneJudge(config).train()
    opt = torch.optim.AdamW(judge.parameters(), lr=config.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.steps)
    bar = tqdm(range(config.steps), desc="scene judge", unit="step", disable=not progress)
    for _ in bar:
        k = torch.randint(len(images), (config.batch_size,), generator=gen)
        out = judge(degrade(images[k].float() / 127.5 - 1, gen))
        loss = (
            F.cross_entropy(out["place"], place[k])
            + F.binary_cross_entropy_with_logits(out["people"], people[k].float()) * N_PEOPLE
        )  # per picture, not per output: the rare positives must count
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        bar.set_postfix(loss=f"{loss.item():.3f}")
    judge.eval()
    judge.accuracy = measure(judge, *_scenes(HELD_OUT_SEED, config.held_out_albums, cache_dir, workers))
    return judge


def save_scene_judge(path: Path, judge: SceneJudge, provenance: dict) -> None:
    """Weights + ``config.json`` with the held-out accuracies; refuses a judge below the gate."""
    FILE.save(path, judge.net, asdict(judge.config), judge.accuracy, provenance)


def load_scene_judge(path: str | Path | None = None) -> SceneJudge:
    """The shipped judge by default; refuses one below the gate or made for another label catalogue."""
    judge, accuracy = FILE.load(SHIPPED if path is None else Path(path),
                                lambda config: SceneJudge(SceneJudgeConfig(**config)), lambda j: j.net)  # fmt: skip
    judge.accuracy = accuracy
    return judge.eval()
