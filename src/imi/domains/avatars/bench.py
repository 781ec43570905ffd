"""The avatar half of ``imi bench``: evaluation, phase analysis and figures of ``imi bench avatars``.

Called by :func:`imi.evaluation.bench.run_bench` once every variant has trained. Writes,
in the bench folder: ``bench.json``, ``bench.md``, ``fig11.png`` (the first
dev edit across phases, one row per variant), ``fig15.png`` (test edits with
error and change maps) and ``dev_ssim.png`` (dev SSIM against phases).
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import numpy as np

from imi.core import report
from imi.core.checkpoint import FIXED
from imi.core.stats import read_stats
from imi.domains.avatars import evaluate as avatar_run
from imi.domains.avatars.dataset import AvatarBenchmark
from imi.tasks.edit.measure import latency_ms

FIG11_COLUMNS = 6


def validation_curve(run_dir: Path) -> list[tuple[int, float, float]]:
    """``(step, phase, dev SSIM)`` of every validation record of a run."""
    file = run_dir / "stats.jsonl"
    if not file.is_file():
        return []
    return [(r["step"], r["phase"], r["val_ssim"]) for r in read_stats(file, "val_ssim") if "phase" in r]


def first_reach(curve: list[tuple[int, float, float]], target: float) -> float | None:
    """The first phase whose dev SSIM is ≥ ``target`` (None: never within the budget)."""
    return next((phase for _, phase, value in curve if value >= target), None)


def bench_report(
    cfg, editors: dict, data, facts: dict, say, command: str | None, progress: bool = False
) -> tuple[dict, Path]:
    """Evaluate the trained avatar variants and write the report; returns ``(doc, folder)``."""
    bench = AvatarBenchmark(data, build=True, workers=os.cpu_count() or 1)
    probe = bench.split("test").batch(np.arange(1))
    for name, editor in editors.items():
        facts[name]["latency_ms"] = round(latency_ms(editor, probe, cfg.latency_reps), 3)
        curve = validation_curve(cfg.out / name)
        facts[name]["phases"] = round(curve[-1][1], 2) if curve else None
        facts[name]["dev_ssim_curve"] = curve
        facts[name]["first_phase_at_target"] = first_reach(curve, cfg.ssim_target)
        facts[name]["best_dev_ssim"] = max((v for *_, v in curve), default=None)
    say(f"evaluating {len(editors)} variants and the references on the avatar test split, both phrasings")
    evaluated, result = avatar_run.evaluate_editors(editors, bench, "test", min(cfg.batch_size, 256), cfg.seed)
    doc = {
        "command": command,
        "config": {**asdict(cfg), "out": str(cfg.out)},
        "variants": facts,
        **evaluated,
    }
    report.write_metrics(cfg.out / "bench.json", doc)
    (cfg.out / "bench.md").write_text(markdown(doc) + "\n")
    fig11(cfg.out, list(editors), cfg.out / "fig11.png")
    avatar_run.fig15(result, editors, cfg.out / "fig15.png", f"avatar test edits, {cfg.minutes:g} min per variant")
    dev_ssim_figure(facts, cfg.ssim_target, cfg.out / "dev_ssim.png")
    return doc, cfg.out


TRAINING = (  # (header, key, format)
    ("steps", "steps", "{:,}"),
    ("phases", "phases", "{:.1f}"),
    ("train img/s", "train_images_per_s", "{:,.0f}"),
    ("params (inference)", "inference_params", "{:,}"),
    ("best dev SSIM", "best_dev_ssim", "{:.4f}"),
    ("edit ms (batch 1)", "latency_ms", "{:.2f}"),
)


def training_markdown(doc: dict) -> str:
    target = doc["config"]["ssim_target"]
    headers = [h for h, _, _ in TRAINING] + [f"first phase with dev SSIM ≥ {target:g}"]
    lines = ["| variant | " + " | ".join(headers) + " |", "|" + "---|" * (1 + len(headers))]
    for name, f in doc["variants"].items():
        cells = ["—" if f.get(k) is None else fmt.format(f[k]) for _, k, fmt in TRAINING]
        reach = f.get("first_phase_at_target")
        cells.append("not reached" if reach is None else f"{reach:.1f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(doc: dict) -> str:
    cfg = doc["config"]
    return "\n".join([
        f"Budget {cfg['minutes']:g} min of training per variant, seed {cfg['seed']}. A phase is 2,200 supervised "
        "samples (the GANs also see 2,200 unlabeled ones per phase).",
        "",
        training_markdown(doc),
        "",
        avatar_run.markdown(doc),
    ])  # fmt: skip


def print_bench(doc: dict, out: Path, console) -> None:
    from rich.table import Table

    t = Table(title=f"imi bench avatars: {doc['config']['minutes']:g} min per variant")
    t.add_column("variant", no_wrap=True)
    for header, _, _ in TRAINING:
        t.add_column(header, justify="right")
    t.add_column(f"phase at dev SSIM ≥ {doc['config']['ssim_target']:g}", justify="right")
    for name, f in doc["variants"].items():
        cells = ["—" if f.get(k) is None else fmt.format(f[k]) for _, k, fmt in TRAINING]
        reach = f.get("first_phase_at_target")
        t.add_row(name, *cells, "not reached" if reach is None else f"{reach:.1f}")
    console.print(t)
    avatar_run.print_tables(doc, console, f"avatar test split ({doc['items']:,} edits × 2 phrasings)")
    console.print(f"wrote bench.json, bench.md, fig11.png, fig15.png, dev_ssim.png in {out}")


def fig11(out: Path, names: list[str], path: Path) -> Path | None:
    """Paper Fig. 11: the first dev edit at evenly spaced phases, one row per variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    rows = {}
    for name in names:
        phase_of = {step: phase for step, phase, _ in validation_curve(out / name)}
        files = sorted((out / name / "samples" / FIXED).glob("step-*.png"))
        files = [f for f in files if int(f.stem.split("-")[1]) in phase_of]
        if files:
            pick = np.unique(np.linspace(0, len(files) - 1, FIG11_COLUMNS).round().astype(int))
            rows[name] = [(phase_of[int(files[i].stem.split("-")[1])], files[i]) for i in pick]
    if not rows:
        return None
    cols = max(len(r) for r in rows.values())
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.3 * cols + 1.2, 1.45 * len(rows) + 0.3), squeeze=False)
    for i, (name, picks) in enumerate(rows.items()):
        for j in range(cols):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(picks):
                ax.set_visible(False)
                continue
            phase, file = picks[j]
            ax.imshow(np.asarray(Image.open(file).convert("RGB")))
            ax.set_xlabel(f"phase {phase:.1f}", fontsize=6, labelpad=1)
        axes[i, 0].set_ylabel(name, fontsize=7)
    fig.suptitle("the first dev edit across training (Fig. 11)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def dev_ssim_figure(facts: dict, target: float, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    for name, f in facts.items():
        curve = np.array([(p, v) for _, p, v in f["dev_ssim_curve"]]).reshape(-1, 2)
        ax.plot(curve[:, 0], curve[:, 1], marker="o", markersize=2, linewidth=1, label=name)
    ax.axhline(target, color="k", linestyle=":", linewidth=1, label=f"target {target:g}")
    ax.set_xlabel("phase (2,200 supervised samples)", fontsize=8)
    ax.set_ylabel("dev SSIM", fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
