"""The avatar benchmark as the rest of the package sees it (:class:`imi.core.plugins.Domain`)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from imi.core.config import PHASE_SAMPLES, ExperimentConfig
from imi.core.plugins import Domain
from imi.domains.avatars.analyze import analyze_avatars
from imi.domains.avatars.bench import bench_report, print_bench
from imi.domains.avatars.config import AvatarDataConfig
from imi.domains.avatars.dataset import AvatarBenchmark, avatar_tokenizer, edit_at, sentence_at
from imi.domains.avatars.edits import sample_record
from imi.domains.avatars.evaluate import evaluate_editor, print_report
from imi.domains.avatars.judge import load_avatar_recognizer
from imi.domains.avatars.meaning import MEANING
from imi.domains.avatars.metrics import judge_edit
from imi.domains.avatars.render import render


def benchmark(config: AvatarDataConfig, build: bool = False, workers: int = 1) -> AvatarBenchmark:
    """The pre-rendered cache; ``build`` renders what is missing (with ``workers`` processes)."""
    return AvatarBenchmark(config, build=build, workers=workers)


def bench_settings(config: ExperimentConfig) -> dict[str, str]:
    """Validate and sample once per phase's worth of supervised samples (Fig. 11 reads them), and
    lift the epoch limit: the SPEC's 4,296 triplets last few epochs, so the budget decides."""
    every = str(max(1, round(PHASE_SAMPLES / config.train.batch_size)))
    return {"train.checkpoint_every": every, "train.sample_every": every, "train.epochs": "100000"}


def test_items(config: AvatarDataConfig) -> int:
    return config.test_triplets


def test_item(config: AvatarDataConfig, index: int) -> tuple[np.ndarray, str]:
    """Test item ``index`` (wrapped), rendered directly (no cache): uint8 ``(S, S, 3)`` and its seen sentence."""
    k = index % config.test_triplets
    edit, _, source, _ = edit_at(config.seed, "test", k, config.image_size)
    return source, sentence_at(config.seed, "test", k, edit, "seen")[0]


def random_item(seed: int, size: int = 64) -> np.ndarray:
    """A fresh random avatar (not from any split), uint8 ``size×size×3``."""
    return render(sample_record(np.random.default_rng([seed, 7919])), size)


@lru_cache(maxsize=1)
def _recognizer():
    return load_avatar_recognizer()


def edit_ok(generated, batch):
    """Bool ``(B,)``: the shipped judge reads every changed attribute at its target value."""
    return judge_edit(_recognizer().read(generated), batch.source_attrs, batch.target_attrs)[0]


DOMAIN = Domain(
    name="avatars",
    data_config=AvatarDataConfig,
    benchmark=benchmark,
    tokenizer=avatar_tokenizer,
    evaluate=evaluate_editor,
    print_report=print_report,
    analyze=analyze_avatars,
    bench_report=bench_report,
    print_bench=print_bench,
    bench_settings=bench_settings,
    test_items=test_items,
    test_item=test_item,
    edit_ok=edit_ok,
    meaning=MEANING,
    demo={"random_item": random_item},
)
