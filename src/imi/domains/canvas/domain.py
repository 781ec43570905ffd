"""Canvas digits as the rest of the package sees it (:class:`imi.core.plugins.Domain`)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from imi.core.errors import ImiError
from imi.core.plugins import Domain
from imi.core.text import Tokenizer, Vocabulary
from imi.domains.canvas.config import CanvasDataConfig
from imi.domains.canvas.data import CanvasDigits
from imi.domains.canvas.drag import drag_tasks, identity, motion
from imi.domains.canvas.judge import features

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def benchmark(config: CanvasDataConfig, build: bool = False, workers: int = 1) -> CanvasDigits:
    """The pictures are drawn on the fly: nothing to build."""
    return CanvasDigits(config)


@lru_cache(maxsize=1)
def tokenizer() -> Tokenizer:
    """The digit words (the pictures have no text; checkpoints keep these as their vocabulary)."""
    return Tokenizer(Vocabulary.build(DIGIT_WORDS), strict=False)


@lru_cache(maxsize=4)
def _test_split(config: CanvasDataConfig):
    return CanvasDigits(config).split("test")


def test_items(config: CanvasDataConfig) -> int:
    return config.test


def test_item(config: CanvasDataConfig, index: int) -> tuple[np.ndarray, str]:
    """Test picture ``index`` (wrapped around the split): uint8 ``(S, S, 3)`` and no text."""
    return _test_split(config).batch([index % config.test]).image[0].permute(1, 2, 0).numpy(), ""


def _no_report(*args, **kwargs):
    raise ImiError("canvas digits are evaluated through their drag editor (`imi drag compare`); a prior: `imi sample`")


DOMAIN = Domain(
    name="canvas-digits",
    data_config=CanvasDataConfig,
    benchmark=benchmark,
    tokenizer=tokenizer,
    evaluate=_no_report,
    print_report=_no_report,
    analyze=_no_report,
    bench_report=_no_report,
    print_bench=_no_report,
    test_items=test_items,
    test_item=test_item,
    tasks=("sample", "drag"),
    features=features,
    drag_tasks=drag_tasks,
    motion=motion,
    identity=identity,
)
