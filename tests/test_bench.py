"""``imi bench digits`` end to end with a tiny budget, and its refusals."""

import json
import subprocess
import sys

import pytest

from imi.core.config import ConfigError
from imi.evaluation.bench import BenchConfig, bench_presets

from .conftest import TINY

BUDGET_MIN = 0.02  # 1.2 s of training per variant
TINY_BENCH = {**TINY, "train.val_items": "32"}
VARIANTS = list(bench_presets("digits"))  # every digit variant (ours-avatars has its own bench)


def _bench(out, *extra: str) -> subprocess.CompletedProcess:
    flags = [a for k, v in TINY_BENCH.items() for a in (f"--{k}", v)]
    cmd = [sys.executable, "-m", "imi", "bench", "digits", "--out", str(out), "--limit", "150",
           "--latency-reps", "3", "--threads", "1", *extra, *flags]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    done = _bench(out, "--minutes", str(BUDGET_MIN))
    assert done.returncode == 0, done.stderr[-2000:]
    return out, json.loads((out / "bench.json").read_text())


def test_bench_trains_every_variant_under_the_budget_and_evaluates_them_together(bench_run):
    out, doc = bench_run
    assert list(doc["variants"]) == list(VARIANTS)
    assert list(doc["metrics"]) == [*VARIANTS, "copy-source"]
    for name, facts in doc["variants"].items():
        assert facts["steps"] >= 1 and facts["train_seconds"] >= BUDGET_MIN * 60, name
        assert facts["latency_ms"] > 0 and facts["inference_params"] > 0
        assert doc["metrics"][name]["all"]["n"] == 150  # every model saw the same items
    assert doc["config"]["minutes"] == BUDGET_MIN and doc["config"]["seed"] == 0
    assert doc["command"].startswith("imi bench digits")
    table = (out / "bench.md").read_text()
    assert all(f"| {name} |" in table for name in [*VARIANTS, "copy-source"])
    assert (out / "examples.png").stat().st_size > 0 and (out / "ssim_hist.png").stat().st_size > 0


def test_a_second_bench_resumes_its_runs_and_refuses_another_budget(bench_run):
    out, doc = bench_run
    again = _bench(out, "--minutes", str(BUDGET_MIN), "--variants", "ours")
    assert again.returncode == 0, again.stderr[-2000:]
    redo = json.loads((out / "bench.json").read_text())
    assert redo["variants"]["ours"]["steps"] == doc["variants"]["ours"]["steps"]  # budget already spent
    other = _bench(out, "--minutes", "5", "--variants", "ours")
    assert other.returncode == 2 and "0.02-minute budget" in other.stderr and "use another --out" in other.stderr


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"minutes": 0}, "minutes"),
        ({"variants": ("ours", "dalle")}, "unknown dalle"),
        ({"variants": ("ours-avatars",)}, "unknown ours-avatars"),  # an avatar variant on the digit bench
        ({"domain": "faces"}, "domain"),
        ({"domain": "avatars", "ssim_target": 1.5}, "ssim_target"),
        ({"variants": ()}, "at least one"),
        ({"variants": ("ours", "ours")}, "each variant once"),
        ({"limit": 0}, "limit"),
        ({"overrides": {"variant": "tim"}}, "--variants"),
    ],
)
def test_bad_bench_settings_are_refused(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        BenchConfig(**kwargs)


def test_cli_names_an_unknown_variant(tmp_path):
    done = subprocess.run([sys.executable, "-m", "imi", "bench", "digits", "--variants", "ours,nope",
                           "--out", str(tmp_path)], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2 and "unknown nope" in done.stderr
