"""A new benchmark and a new system plug in through the registry alone (issue 18).

The ``bars`` domain and ``bar-net`` system live under ``tests/plugins``; registering them (three
dictionary entries) is all it takes for the trainer, ``imi eval``, ``imi bench``, ``imi analyze``
and the pipeline to run them.
"""

import numpy as np
import pytest
from rich.console import Console

from imi import Editor, presets, registry
from imi.core.config import ExperimentConfig, ModelConfig, TrainConfig
from imi.core.errors import UnknownWordError
from imi.evaluation.bench import BenchConfig, run_bench
from imi.evaluation.run import analyze_checkpoint, evaluate_checkpoint, print_report
from imi.training.loop import Trainer

from .plugins import bar_net, bars


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    monkeypatch.setitem(registry.DOMAINS, "bars", bars.DOMAIN)
    monkeypatch.setitem(registry.SYSTEMS, "bar-net", bar_net.SYSTEMS["bar-net"])
    preset = ExperimentConfig(
        preset="bars-bar-net",
        data=bars.BarsDataConfig(),
        variant="bar-net",
        model=ModelConfig(image_size=16, d_emb=8, output="sigmoid", vocab_size=len(bars.tokenizer().vocab)),
        train=TrainConfig(lr=3e-3, beta1=0.9, batch_size=32, max_steps=300, threads=1, val_items=64,
                          log_every=50, sample_every=1000, checkpoint_every=100),
    )  # fmt: skip
    monkeypatch.setitem(presets.PRESETS, "bars-bar-net", preset)


@pytest.fixture()
def run(tmp_path):
    return Trainer(presets.resolve("bars-bar-net"), tmp_path / "run").fit()


def test_train_then_eval_and_analyze_through_the_registry(run, tmp_path):
    doc, folder = evaluate_checkpoint(str(run), out=tmp_path / "eval")
    assert doc["domain"] == "bars" and (folder / "metrics.json").is_file()
    exact = doc["exact"]
    # Trained for 300 steps, the model moves the bar exactly far more often than copying the source does.
    assert exact["model"] > 0.9 > 0.5 > exact["copy-source"]
    print_report(doc, folder, Console(file=None, quiet=True))
    analysis, _, _ = analyze_checkpoint(str(run), tmp_path / "analyze")
    assert analysis["findings"] == {"words": float(len(bars.tokenizer().vocab))}


def test_the_pipeline_edits_a_new_domain_with_its_strictness(run):
    editor = Editor.from_pretrained(run)
    source = bars.canvas(0)[0]
    out = np.asarray(editor.edit(source, "move the bar to column three"))
    assert (np.abs(out.astype(int) - bars.canvas(2)[0]) < 64).all()
    with pytest.raises(UnknownWordError, match="seven"):  # bars is strict: an unknown word is an error
        editor.edit(source, "move the bar to column seven")


def test_bench_trains_and_reports_a_new_domain(tmp_path):
    cfg = BenchConfig(minutes=0.05, domain="bars", out=tmp_path / "bench", latency_reps=1, threads=1)
    doc, folder = run_bench(cfg, command="test")
    assert list(doc["variants"]) == ["bar-net"] and (folder / "bench.json").is_file()
    assert doc["variants"]["bar-net"]["steps"] > 0
