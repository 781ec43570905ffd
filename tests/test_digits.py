"""The triplet data set: split sizes, purity, determinism, and the change mask."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from imi.core.config import ConfigError
from imi.core.permutation import Permutation
from imi.domains.digits.config import DigitDataConfig
from imi.domains.digits.dataset import DigitBenchmark
from imi.domains.digits.render import render_scene
from imi.domains.digits.scenes import RULES, Scene


@pytest.fixture(scope="module")
def bench():
    return DigitBenchmark()


def test_split_sizes(bench):
    train, dev, test = (bench.split(s) for s in ("train", "dev", "test"))
    assert len(test) == 369_000
    assert len(train) + len(dev) == 4000 * 369
    assert len(dev) == round(0.1 * 4000 * 369)
    assert test.action_counts == {"put": 9000, "remove": 36000, "move": 108000, "expand": 108000, "compress": 108000}


def test_train_and_dev_partition_the_pool():
    small = DigitBenchmark(DigitDataConfig(train_per_class=3, test_per_class=1))
    train, dev = small.split("train"), small.split("dev")
    a, b = train.pool_index(np.arange(len(train))), dev.pool_index(np.arange(len(dev)))
    assert sorted(np.concatenate([a, b]).tolist()) == list(range(30 * 369))


@pytest.mark.parametrize("n", [1, 2, 5, 369, 1000, 4097])
def test_permutation_is_a_bijection(n):
    assert sorted(Permutation(n, seed=3)(np.arange(n)).tolist()) == list(range(n))


def test_items_match_the_rules(bench):
    test = bench.split("test")
    batch = test.batch(np.arange(369 * 2, 369 * 3))  # all triplets of pool glyph 2
    digit = int(test.pool.labels[2])
    assert batch.instructions() == [r.instruction(digit) for r in RULES]
    for i in (0, 9, 50, 200, 368):
        src, tgt = RULES[i].scenes(digit)
        assert batch.source_labels[i].tolist() == list(src.labels())
        assert batch.target_labels[i].tolist() == list(tgt.labels())
        assert np.array_equal(batch.source[i, 0].numpy(), render_scene(test.pool.images[2], src))
        assert np.array_equal(batch.target[i, 0].numpy(), render_scene(test.pool.images[2], tgt))


def test_change_mask_marks_exactly_the_differing_pixels(bench):
    batch = bench.split("train").batch(np.arange(256))
    assert torch.equal(batch.change, batch.source != batch.target)
    assert batch.change.any(dim=(1, 2, 3)).all()  # every edit changes something


def test_listing_matches_spec_format(bench):
    records = bench.split("test").describe(0)
    assert len(records) == 369
    r = records[0]
    assert list(r) == ["glyph", "label", "instruction", "source", "target"]
    assert r["source"] == {"digit": None, "x": 0, "y": 0, "w": 0, "h": 0}
    assert r["glyph"] == int(bench.test_pool.file_index[0])
    assert Scene(**r["target"]).renderable()


def _fingerprint() -> str:
    bench = DigitBenchmark()
    batch = bench.split("train").batch(np.arange(0, 1_000_000, 9973))
    digest = hashlib.sha256()
    for t in (batch.source, batch.target, batch.tokens, batch.glyph):
        digest.update(t.numpy().tobytes())
    return digest.hexdigest()


def test_deterministic_across_processes():
    code = "from tests.test_digits import _fingerprint; print(_fingerprint())"
    root = Path(__file__).resolve().parents[1]
    outs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root).stdout
        for _ in range(2)
    }
    assert outs == {_fingerprint() + "\n"}


def test_different_seed_different_split():
    a = DigitBenchmark(DigitDataConfig(seed=0)).split("train").pool_index(np.arange(100))
    b = DigitBenchmark(DigitDataConfig(seed=1)).split("train").pool_index(np.arange(100))
    assert not np.array_equal(a, b)


def test_bad_config_names_the_field():
    with pytest.raises(ConfigError, match="dev_fraction"):
        DigitDataConfig(dev_fraction=1.5)
    with pytest.raises(ConfigError, match="idx_images/idx_labels"):
        DigitDataConfig(idx_images="x")


def test_out_of_range_index(bench):
    with pytest.raises(IndexError, match="out of range"):
        bench.split("dev").batch([len(bench.split("dev"))])


def test_json_roundtrip(bench):
    assert json.loads(json.dumps(bench.split("train").describe(5)[100]))["label"] in range(10)
