"""One pass over a split that measures models and the copy-source baseline together.

Batches follow the split's item order. For each batch every model edits the
sources once; the recogniser reads the generated images once. Everything
about the *ground truth* is read once per glyph and cached: a glyph has only
37 scenes (36 boxes + the empty canvas), and every source, every target and
every retrieval candidate of the glyph is one of them. That cache also makes
the copy-source baseline nearly free: its "generated" image is the source.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from imi.core.ssim import ssim
from imi.domains.digits.dataset import DigitTriplets, TripletBatch
from imi.domains.digits.judge import BOXES, Recognizer, all_scenes
from imi.domains.digits.metrics import ItemMetrics, preservation, summarise
from imi.domains.digits.scenes import RULES

EMPTY = len(BOXES)  # scene index of the empty canvas; boxes are 0..35
_BOX_INDEX = {tuple(b): i for i, b in enumerate(BOXES.tolist())}

# The edit under test: (batch, seed) → uint8 images shaped like batch.source.
EditFn = Callable[[TripletBatch, int], torch.Tensor]


def scene_index(box: tuple | None) -> int:
    return EMPTY if box is None else _BOX_INDEX[tuple(box)]


def _candidate_table() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Retrieval candidates per rule: the distinct targets of all rules that share its source.

    Returns ``(candidates (369, K) long, valid (369, K) bool, true column (369,) long)``.
    """
    by_source: dict[int, list[int]] = {}
    for rule in RULES:
        targets = by_source.setdefault(scene_index(rule.source), [])
        if scene_index(rule.target) not in targets:
            targets.append(scene_index(rule.target))
    k = max(len(t) for t in by_source.values())
    cand = torch.zeros(len(RULES), k, dtype=torch.long)
    valid = torch.zeros(len(RULES), k, dtype=torch.bool)
    true = torch.zeros(len(RULES), dtype=torch.long)
    for r, rule in enumerate(RULES):
        targets = by_source[scene_index(rule.source)]
        cand[r, : len(targets)] = torch.tensor(targets)
        valid[r, : len(targets)] = True
        true[r] = targets.index(scene_index(rule.target))
    return cand, valid, true


CANDIDATES, CANDIDATE_VALID, CANDIDATE_TRUE = _candidate_table()
SOURCE_SCENE = torch.tensor([scene_index(r.source) for r in RULES])


class SceneCache:
    """The recogniser's reading of all 37 scenes of each glyph, computed on first use."""

    def __init__(self, split: DigitTriplets, recognizer: Recognizer):
        self.split, self.recognizer = split, recognizer
        self.labels: dict[int, torch.Tensor] = {}
        self.features: dict[int, torch.Tensor] = {}

    def fill(self, glyphs: torch.Tensor) -> None:
        todo = [g for g in torch.unique(glyphs).tolist() if g not in self.labels]
        if not todo:
            return
        images, _ = all_scenes(self.split.pool.subset(np.array(todo)))
        reading = self.recognizer.read(images)
        for i, g in enumerate(todo):
            rows = slice(i * (EMPTY + 1), (i + 1) * (EMPTY + 1))
            self.labels[g], self.features[g] = reading.labels[rows], reading.features[rows]

    def stack(self, glyphs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, 37, 5)`` labels and ``(B, 37, F)`` features of each item's glyph."""
        self.fill(glyphs)
        g = glyphs.tolist()
        return torch.stack([self.labels[i] for i in g]), torch.stack([self.features[i] for i in g])


def retrieval_rank(query: torch.Tensor, scene_features: torch.Tensor, rules: torch.Tensor) -> torch.Tensor:
    """How many candidates beat the true target: 0 means RS@1 (``(B,)`` long).

    Args:
        query: ``(B, F)`` unit features of the generated images.
        scene_features: ``(B, 37, F)`` unit features of each glyph's scenes.
        rules: ``(B,)`` rule indices.
    """
    cand, valid, true = CANDIDATES[rules], CANDIDATE_VALID[rules], CANDIDATE_TRUE[rules]
    feats = torch.gather(scene_features, 1, cand[..., None].expand(-1, -1, scene_features.shape[-1]))
    sims = torch.einsum("bf,bkf->bk", query, feats)
    true_sim = sims.gather(1, true[:, None])
    # Ties count against the query, so a constant output cannot score RS@1 by luck.
    beaten = (sims >= true_sim) & valid
    beaten[torch.arange(len(rules)), true] = False
    return beaten.sum(1)


@dataclass
class EvalResult:
    """Summaries (see :func:`imi.domains.digits.metrics.summarise`) plus the examples for the figure.

    ``models`` and ``edit_seconds`` (time spent inside each edit function) map
    a model's name to its value; ``examples`` holds the shared ``source``,
    ``target`` and ``instruction`` lists and, per model name, ``generated``
    and ``ssim`` lists.
    """

    models: dict[str, dict]
    copy_source: dict
    items: int
    seconds: float
    examples: dict = field(default_factory=dict)
    edit_seconds: dict[str, float] = field(default_factory=dict)


def example_items(split: DigitTriplets, items: np.ndarray, per_action: int = 2) -> np.ndarray:
    """``per_action`` items of each action, spread evenly over ``items`` (positions into ``items``)."""
    rules = split.pool_index(items) % len(RULES)
    actions = np.array([RULES[r].action for r in rules])
    picks = []
    for action in dict.fromkeys(r.action for r in RULES):
        where = np.flatnonzero(actions == action)
        if len(where):
            picks.append(where[np.linspace(0, len(where) - 1, min(per_action, len(where))).astype(int)])
    return np.unique(np.concatenate(picks)) if picks else np.zeros(0, dtype=np.int64)


def evaluate(
    edits: Mapping[str, EditFn],
    split: DigitTriplets,
    recognizer: Recognizer,
    items: np.ndarray,
    batch_size: int = 512,
    seed: int = 0,
    progress: bool = True,
) -> EvalResult:
    """Measure each named edit (none: only the baseline) and copy-source on ``items`` of ``split``.

    Every model sees the same batches; the batch starting at position ``p`` of
    ``items`` is edited with noise seed ``seed + p``.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    cache = SceneCache(split, recognizer)
    metrics, baseline = {name: ItemMetrics() for name in edits}, ItemMetrics()
    edit_seconds = dict.fromkeys(edits, 0.0)
    show = set(example_items(split, items).tolist())
    examples: dict = {"source": [], "target": [], "instruction": [], "generated": {n: [] for n in edits},
                      "ssim": {n: [] for n in edits}}  # fmt: skip
    started = time.perf_counter()
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=not progress) as bar:
        task = bar.add_task("evaluating", total=len(items))
        for start in range(0, len(items), batch_size):
            b = split.batch(items[start : start + batch_size])
            scene_labels, scene_feats = cache.stack(b.glyph)
            rows = torch.arange(len(b))

            # Copy-source: its reading is the cached reading of the source scene.
            src_scene = SOURCE_SCENE[b.triplet]
            base_ssim = ssim(b.source, b.target)
            base_read = scene_labels[rows, src_scene]
            baseline.add(
                b.action,
                base_ssim,
                (base_read == b.target_labels).all(1),
                retrieval_rank(scene_feats[rows, src_scene], scene_feats, b.triplet),
                preservation(b.source, b.source, b.source_labels, b.target_labels),
            )
            picked = [p - start for p in range(start, start + len(b)) if p in show] if edits else []
            if picked:
                texts = b.instructions()
                for j in picked:
                    examples["source"].append(b.source[j])
                    examples["target"].append(b.target[j])
                    examples["instruction"].append(texts[j])
            for name, edit in edits.items():
                tick = time.perf_counter()
                generated = edit(b, seed + start)
                edit_seconds[name] += time.perf_counter() - tick
                gen_ssim = ssim(generated, b.target)
                reading = recognizer.read(generated)
                metrics[name].add(
                    b.action,
                    gen_ssim,
                    (reading.labels == b.target_labels).all(1),
                    retrieval_rank(reading.features, scene_feats, b.triplet),
                    preservation(generated, b.source, b.source_labels, b.target_labels),
                )
                for j in picked:
                    examples["generated"][name].append(generated[j])
                    examples["ssim"][name].append(float(gen_ssim[j]))
            bar.advance(task, len(b))
    return EvalResult(
        models={name: summarise(m) for name, m in metrics.items()},
        copy_source=summarise(baseline),
        items=len(items),
        seconds=time.perf_counter() - started,
        examples=examples,
        edit_seconds=edit_seconds,
    )
