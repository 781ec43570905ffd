"""The digit benchmark as the rest of the package sees it (:class:`imi.core.plugins.Domain`)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from imi.core.plugins import Domain
from imi.domains.digits.analyze import analyze_editor
from imi.domains.digits.bench import bench_report, print_bench
from imi.domains.digits.config import DigitDataConfig
from imi.domains.digits.dataset import DigitBenchmark, digit_tokenizer
from imi.domains.digits.evaluate import evaluate_editor, print_report
from imi.domains.digits.judge import load_recognizer
from imi.domains.digits.meaning import MEANING


def benchmark(config: DigitDataConfig, build: bool = False, workers: int = 1) -> DigitBenchmark:
    """The triplets are drawn on the fly: nothing to build."""
    return DigitBenchmark(config)


@lru_cache(maxsize=4)
def _test_split(config: DigitDataConfig):
    return DigitBenchmark(config).split("test")


def test_items(config: DigitDataConfig) -> int:
    return len(_test_split(config))


def test_item(config: DigitDataConfig, index: int) -> tuple[np.ndarray, str]:
    """Test triplet ``index`` (wrapped around the split): uint8 ``(S, S)`` source and its instruction."""
    split = _test_split(config)
    batch = split.batch([index % len(split)])
    return batch.source[0, 0].numpy(), batch.instructions()[0]


@lru_cache(maxsize=1)
def _recognizer():
    return load_recognizer()


def edit_ok(generated, batch) -> torch.Tensor:
    """Bool ``(B,)``: the shipped recogniser reads exactly the target scene (the edit accuracy of ``imi eval``)."""
    return (_recognizer().read(generated).labels == batch.target_labels).all(1)


DOMAIN = Domain(
    name="digits",
    data_config=DigitDataConfig,
    benchmark=benchmark,
    tokenizer=digit_tokenizer,
    evaluate=evaluate_editor,
    print_report=print_report,
    analyze=analyze_editor,
    bench_report=bench_report,
    print_bench=print_bench,
    test_items=test_items,
    test_item=test_item,
    edit_ok=edit_ok,
    meaning=MEANING,
    demo={"sketch": True, "blank": True},
)
