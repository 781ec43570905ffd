"""Training: it learns, it resumes exactly after SIGKILL, it stops on NaN, it runs on 2 processes."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file, save_file

from imi.core.checkpoint import training_state_step
from imi.core.config import ConfigError
from imi.core.stats import read_stats
from imi.presets import resolve
from imi.registry import load_pretrained, read_config
from imi.systems.imi import step as step_module
from imi.training.loop import Trainer, TrainingError

from .conftest import TINY, tiny_config


def test_feature_matching_loss_falls(tmp_path):
    trainer = Trainer(tiny_config(**{"train.max_steps": "150", "train.lr": "1e-3"}), tmp_path / "run")
    before = trainer.validation_score(items=64)
    trainer.fit()
    after = trainer.validation_score(items=64)
    assert after < 0.75 * before, (before, after)


def test_time_budget_stops_the_run_and_resume_counts_time_already_spent(tmp_path):
    config = tiny_config(**{"train.max_steps": "100000", "train.max_minutes": "0.005"})  # 0.3 s
    first = Trainer(config, tmp_path / "run")
    first.fit()
    assert 1 <= first.step < 100000 and first.elapsed_s >= 0.3
    again = Trainer(None, tmp_path / "run", resume=True)
    assert again.elapsed_s == first.elapsed_s
    again.fit()
    assert again.step == first.step  # nothing left of the budget


def test_cosine_schedule_falls_to_zero_and_resume_rebuilds_it(tmp_path):
    config = tiny_config(**{"train.max_steps": "20", "train.lr": "1e-3", "train.lr_schedule": "cosine"})
    trainer = Trainer(config, tmp_path / "run")
    assert trainer.lr_at(0) == 1e-3 and trainer.lr_at(10) == pytest.approx(5e-4) and trainer.lr_at(20) == 0
    trainer.fit()
    lrs = [s["lr"] for s in read_stats(tmp_path / "run" / "stats.jsonl", "lr")]
    assert len(lrs) == 4 and lrs == sorted(lrs, reverse=True) and lrs[-1] < 1e-5
    assert {g["lr"] for opt in trainer.opts.values() for g in opt.param_groups} == {trainer.lr_at(19)}
    again = Trainer(None, tmp_path / "run", resume=True)  # the schedule comes back from config.json
    assert [again.lr_at(s) for s in range(21)] == [trainer.lr_at(s) for s in range(21)]


def test_linear_tail_holds_the_rate_then_falls_to_zero_over_the_tail(tmp_path):
    config = tiny_config(**{"train.max_steps": "20", "train.lr": "1e-3", "train.lr_schedule": "linear-tail",
                            "train.lr_tail": "0.25"})  # fmt: skip
    trainer = Trainer(config, tmp_path / "run")
    lrs = [trainer.lr_at(s) for s in range(21)]
    assert lrs[:16] == [1e-3] * 16  # constant through step 15: the tail is the last 5 steps
    assert lrs[16:] == pytest.approx([8e-4, 6e-4, 4e-4, 2e-4, 0.0])


def test_validation_exports_the_checkpoint_with_the_lowest_score(tmp_path):
    run = tmp_path / "run"
    trainer = Trainer(tiny_config(**{"train.max_steps": "40", "train.checkpoint_every": "10", "train.lr": "1e-3"}), run)
    trainer.fit()
    scores = [(s["step"], s["val_loss"]) for s in read_stats(run / "stats.jsonl", "val_loss")]
    assert [step for step, _ in scores] == [10, 20, 30, 40]
    best_step, best = min(scores, key=lambda s: s[1])
    assert read_config(run / "best")[2] == best_step and trainer.best_val == best
    best_weights, last_weights = (
        load_file(str(run / "best" / "model.safetensors")),
        load_file(str(run / "model.safetensors")),
    )
    same = all(torch.equal(best_weights[k], last_weights[k]) for k in last_weights)
    assert same == (best_step == 40)


def _cli_train(run_dir: Path, *extra: str) -> list[str]:
    flags = [
        a for k, v in {**TINY, "train.max_steps": "100", "train.checkpoint_every": "10"}.items() for a in (f"--{k}", v)
    ]
    return [sys.executable, "-m", "imi", "train", "--run-dir", str(run_dir), *flags, *extra]


def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path):
    reference = tmp_path / "reference"
    subprocess.run(_cli_train(reference), check=True, capture_output=True)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(_cli_train(killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    # Wait on an observable condition: the first training state is on disk.
    while not (killed / "train_state.safetensors").exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the run ended before its first checkpoint"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved_step = training_state_step(killed)
    assert 10 <= saved_step < 100, "the kill must land mid-run"

    resumed = subprocess.run(
        [sys.executable, "-m", "imi", "train", "--resume", str(killed)], capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    ref_stats = {s["step"]: s for s in read_stats(reference / "stats.jsonl", "loss_d")}
    new_stats = {s["step"]: s for s in read_stats(killed / "stats.jsonl", "loss_d")}
    ref_val = read_stats(reference / "stats.jsonl", "val_loss")
    assert ref_val == read_stats(killed / "stats.jsonl", "val_loss")
    assert len(ref_val) == 10
    assert sorted(new_stats) == sorted(ref_stats)  # no duplicated or missing reports
    for step_no in (s for s in ref_stats if s > saved_step):
        for key in ("loss_d", "loss_g", "fmatch", "update_d"):
            assert new_stats[step_no][key] == ref_stats[step_no][key], (step_no, key)
    a, b = load_file(str(reference / "model.safetensors")), load_file(str(killed / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_non_finite_loss_stops_and_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    real = step_module.compute_losses
    calls = {"n": 0}

    def poisoned(*args, **kwargs):
        out = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] > 12:
            out["loss_d"] = out["loss_d"] * float("nan")
        return out

    monkeypatch.setattr(step_module, "compute_losses", poisoned)
    run = tmp_path / "run"
    trainer = Trainer(
        tiny_config(**{"train.max_steps": "20", "train.checkpoint_every": "10", "train.val_items": "0"}), run
    )
    with pytest.raises(TrainingError, match=r"non-finite at step 13.*last finite checkpoint \(step 10\)"):
        trainer.fit()
    assert read_config(run)[2] == 10
    load_pretrained(run)  # the step-10 weights load


def test_divergence_never_writes_a_non_finite_checkpoint(tmp_path):
    """lr 1e30: the first update blows the weights up. Whatever stops the run (a NaN loss, NaN
    weights or a NaN validation loss), the message names the last finite checkpoint, and every
    checkpoint on disk loads: none holds a non-finite weight."""
    run = tmp_path / "run"
    settings = {"train.max_steps": "20", "train.checkpoint_every": "1", "train.val_items": "16", "train.lr": "1e30"}
    trainer = Trainer(tiny_config(**settings), run)
    with pytest.raises(TrainingError, match=r"non-finite.*(no checkpoint was written yet|last finite checkpoint)"):
        trainer.fit()
    assert trainer.step < 20
    for folder in (run, run / "best"):
        if (folder / "model.safetensors").is_file():
            model, _, _ = load_pretrained(folder)
            assert all(torch.isfinite(v).all() for v in model.state_dict().values() if v.is_floating_point())


def test_loading_refuses_non_finite_weights(tiny_run, tmp_path):
    from imi.core.checkpoint import CheckpointError

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_bytes((tiny_run / "config.json").read_bytes())
    weights = load_file(str(tiny_run / "model.safetensors"))
    name = next(k for k, v in weights.items() if v.is_floating_point())
    weights[name] = weights[name].clone().fill_(float("nan"))
    save_file(weights, str(broken / "model.safetensors"))
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        load_pretrained(broken)


def test_a_new_run_refuses_a_used_folder_unless_told_to_overwrite(tmp_path):
    run = tmp_path / "run"
    Trainer(tiny_config(**{"train.max_steps": "6", "train.log_every": "3"}), run).fit()
    with pytest.raises(ConfigError, match=r"already holds a run.*--resume.*--overwrite"):
        Trainer(tiny_config(**{"train.max_steps": "4"}), run)
    Trainer(tiny_config(**{"train.max_steps": "4", "train.log_every": "2"}), run, overwrite=True).fit()
    steps = [r["step"] for r in read_stats(run / "stats.jsonl") if "loss_d" in r]
    assert steps == [2, 4]  # the old run's lines are gone, not mixed in
    assert read_config(run)[2] == 4 and read_config(run / "best")[2] <= 4


def _ddp_worker(rank: int, world: int, port: int, run_dir: str, out_dir: str) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))  # fmt: skip
    trainer = Trainer(tiny_config(**{"train.max_steps": "8"}), Path(run_dir))
    first = trainer.batch_indices(0)
    trainer.fit()
    state = {k: v.contiguous() for k, v in trainer.model.state_dict().items()}
    save_file({**state, "first_batch": torch.from_numpy(first)}, f"{out_dir}/rank{rank}.safetensors")
    trainer.dist.close()


def test_two_process_gloo_keeps_ranks_identical(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_ddp_worker, args=(2, port, str(tmp_path / "run"), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = load_file(str(tmp_path / "rank0.safetensors")), load_file(str(tmp_path / "rank1.safetensors"))
    assert not set(r0.pop("first_batch").tolist()) & set(r1.pop("first_batch").tolist())  # disjoint shards
    initial = Trainer(tiny_config(), tmp_path / "fresh").model.state_dict()
    changed = [k for k in r0 if k.endswith("weight") and not torch.equal(r0[k], initial[k])]
    assert changed, "training must have moved the weights"
    for k in r0:
        assert torch.equal(r0[k], r1[k]), k
    stats = read_stats(tmp_path / "run" / "stats.jsonl")  # only rank 0 logs
    assert [(s["step"], "val_loss" in s) for s in stats] == [(5, False), (8, False), (8, True)]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"model.ch": "-4"}, "model.ch"),
        ({"model.output": "relu"}, "model.output"),
        ({"train.batch_size": "100000"}, "train.batch_size"),
        ({"train.lr": "0"}, "train.lr"),
        ({"train.lr_schedule": "linear"}, "train.lr_schedule"),
        ({"train.lr_tail": "0"}, "train.lr_tail"),
        ({"train.lr": "inf"}, "train.lr"),
        ({"train.lambda_f": "nan"}, "train.lambda_f"),
        ({"train.max_minutes": "inf"}, "train.max_minutes"),
        ({"model.gate_init": "-inf"}, "model.gate_init"),
        ({"data.dev_fraction": "2"}, "data.dev_fraction"),
        ({"train.nope": "1"}, "train.nope"),
        ({"variant": "gpt"}, "variant"),
        ({"train.device": "cuda:7"} if not torch.cuda.is_available() else {"train.device": "tpu"}, "train.device"),
    ],
)
def test_bad_config_fails_before_training(tmp_path, overrides, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        Trainer(tiny_config(**overrides), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_unknown_preset():
    with pytest.raises(ConfigError, match="unknown preset 'digits-huge'"):
        resolve("digits-huge")


def test_data_order_is_a_pure_function_of_the_step(tmp_path):
    t = Trainer(tiny_config(), tmp_path / "run")
    assert np.array_equal(t.batch_indices(7), t.batch_indices(7))
    epoch = np.concatenate([t.batch_indices(s) for s in range(t.steps_per_epoch)])
    assert len(set(epoch.tolist())) == len(epoch)  # no item twice within an epoch
    assert not np.array_equal(t.batch_indices(0), t.batch_indices(t.steps_per_epoch))  # reshuffled next epoch
    assert json.loads((tmp_path / "run" / "config.json").read_text())["format"] == "imi-checkpoint"


def test_bf16_autocast_trains(tmp_path):
    config = tiny_config(**{"train.max_steps": "4", "train.bf16": "true", "train.log_every": "2"})
    trainer = Trainer(config, tmp_path / "r")
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.fit()
    stats = read_stats(tmp_path / "r" / "stats.jsonl", "loss_d")
    assert stats and all(np.isfinite(s["loss_d"]) and np.isfinite(s["loss_g"]) for s in stats)
    assert any(not torch.equal(before[k], v) for k, v in trainer.model.state_dict().items() if k.endswith("weight"))


def test_export_copies_the_selected_checkpoint(tmp_path):
    run, dest = tmp_path / "run", tmp_path / "exported"
    flags = [
        a for k, v in {**TINY, "train.max_steps": "30", "train.checkpoint_every": "10"}.items() for a in (f"--{k}", v)
    ]
    done = subprocess.run(
        [sys.executable, "-m", "imi", "train", "--run-dir", str(run), *flags, "--export", str(dest)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    best_step = min(read_stats(run / "stats.jsonl", "val_loss"), key=lambda r: r["val_loss"])["step"]
    assert read_config(dest)[2] == best_step
    assert (dest / "model.safetensors").read_bytes() == (run / "best" / "model.safetensors").read_bytes()


def test_export_half_stores_float16_that_loads_as_the_rounded_weights(tiny_run, tmp_path):
    dest = tmp_path / "half"
    done = subprocess.run(
        [sys.executable, "-m", "imi", "export", str(tiny_run), str(dest), "--half"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    full, half = load_file(str(tiny_run / "model.safetensors")), load_file(str(dest / "model.safetensors"))
    assert {v.dtype for v in half.values() if v.is_floating_point()} == {torch.float16}
    assert (dest / "model.safetensors").stat().st_size < 0.6 * (tiny_run / "model.safetensors").stat().st_size
    model = load_pretrained(dest)[0]
    state = model.state_dict()
    assert all(torch.equal(state[k], v.half().to(state[k].dtype)) for k, v in full.items() if v.is_floating_point())
    assert {v.dtype for v in state.values() if v.is_floating_point()} == {torch.float32}  # the model's own precision


def test_resume_after_a_half_written_stats_line(tmp_path):
    """A kill during a stats write leaves a partial last line; resume drops it instead of failing on it."""
    run = tmp_path / "run"
    Trainer(tiny_config(**{"train.max_steps": "6", "train.log_every": "2", "train.checkpoint_every": "4"}), run).fit()
    with (run / "stats.jsonl").open("a") as f:
        f.write('{"step": 8, "loss_d": 0.')  # cut off mid-record
    resumed = Trainer(None, run, resume=True)
    assert resumed.step == 6
    assert all(r["step"] <= 6 for r in read_stats(run / "stats.jsonl"))
