"""Avatar reports: ``imi eval`` on an avatar checkpoint and the tables and figures of ``imi bench avatars``.

:func:`evaluate_editors` runs :func:`imi.domains.avatars.metrics.evaluate_avatars`
for several editors on one split and returns a JSON-ready document;
:func:`markdown` and :func:`print_tables` render it; :func:`fig15` draws the
paper's Fig. 15 (source, target, each model's edit with its error map and, for
models that have one, the map of what it redraws).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from imi.core import report
from imi.core.errors import ImiError
from imi.domains.avatars.attributes import NAMES
from imi.domains.avatars.dataset import SPLITS, AvatarBenchmark
from imi.domains.avatars.grammar import PHRASINGS
from imi.domains.avatars.judge import load_avatar_recognizer
from imi.domains.avatars.metrics import REFERENCES, evaluate_avatars

# (key, header, format) of the summary columns, reported for each phrasing.
COLUMNS = (
    ("ssim_mean", "SSIM", "{:.4f}"),
    ("edit_acc", "edit acc", "{:.1%}"),
    ("consistency", "consistency", "{:.1%}"),
    ("preservation", "preservation", "{:.4f}"),
)


def evaluate_editors(editors: dict, bench: AvatarBenchmark, split: str = "test", batch_size: int = 64,
                     seed: int = 0, recognizer: str | Path | None = None, examples: int = 8):  # fmt: skip
    """Evaluate named :class:`imi.pipelines.edit.Editor` s (and the references) on ``split``.

    Returns ``(doc, result)``: the JSON document (``rows[name][phrasing][attribute]``,
    references included) and the raw :class:`AvatarEvalResult` (its examples feed the figures).
    """
    if split not in SPLITS:
        raise ImiError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if batch_size < 1:
        raise ImiError(f"--batch-size must be ≥ 1, got {batch_size}")
    for name, editor in editors.items():
        if editor.channels != 3:
            raise ImiError(f"{name}: not an avatar model (it edits {editor.channels}-channel images)")
    judge = load_avatar_recognizer(recognizer)

    def edit_fn(editor):
        return editor.edit_batch

    result = evaluate_avatars({n: edit_fn(e) for n, e in editors.items()}, bench, judge, split, batch_size, seed,
                              examples)  # fmt: skip
    doc = {
        "split": split,
        "items": result.items,
        "seed": seed,
        "seconds": round(result.seconds, 1),
        **report.provenance(),
        "recognizer_accuracy": judge.accuracy,
        "unknown_words": {p: {"unknown": u, "words": w} for p, (u, w) in result.unknown.items()},
        "rows": {**result.models, **result.references},
    }
    return doc, result


def _cells(summary: dict) -> list[str]:
    return ["—" if summary.get(k) is None else fmt.format(summary[k]) for k, _, fmt in COLUMNS]


def summary_markdown(rows: dict) -> str:
    """One row per system: the :data:`COLUMNS` for seen, then held-out phrasing."""
    head = " | ".join(f"{h} ({p})" for p in PHRASINGS for _, h, _ in COLUMNS)
    lines = [f"| system | {head} |", "|" + "---|" * (1 + len(PHRASINGS) * len(COLUMNS))]
    for name, by_phrasing in rows.items():
        cells = [c for p in PHRASINGS for c in _cells(by_phrasing[p]["all"])]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def attribute_markdown(rows: dict, phrasing: str = "seen") -> str:
    """Edit accuracy / consistency per edited attribute (``n`` = test edits of that attribute)."""
    names = list(rows)
    lines = ["| attribute | n | " + " | ".join(names) + " |", "|" + "---|" * (2 + len(names))]
    for attr in NAMES:
        n = rows[names[0]][phrasing][attr]["n"]
        if not n:
            continue
        cells = []
        for name in names:
            s = rows[name][phrasing][attr]
            cells.append(f"{s['edit_acc']:.0%} / {s['consistency']:.0%}")
        lines.append(f"| {attr} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(doc: dict) -> str:
    """The summary table, then edit accuracy / consistency per attribute for each phrasing."""
    unknown = ", ".join(f"{p}: {v['unknown']} of {v['words']} words" for p, v in doc["unknown_words"].items())
    lines = [
        f"{doc['items']:,} {doc['split']} triplets, each edited with a seen and a held-out phrasing; seed "
        f"{doc['seed']}; {doc['date']}, {doc['machine']}. Words unknown to the tokenizer: {unknown}. "
        f"`{REFERENCES[1]}` is the ground truth read by the same judge (its ceiling).",
        "",
        summary_markdown(doc["rows"]),
    ]
    for phrasing in PHRASINGS:
        lines += ["", f"Edit accuracy / consistency by edited attribute ({phrasing} phrasing):", ""]
        lines.append(attribute_markdown(doc["rows"], phrasing))
    return "\n".join(lines)


def print_tables(doc: dict, console, title: str) -> None:
    """One table per phrasing: the :data:`COLUMNS` for every system."""
    from rich.table import Table

    for phrasing in PHRASINGS:
        t = Table(title=f"{title}: {phrasing} phrasing")
        t.add_column("system", no_wrap=True)
        for _, header, _ in COLUMNS:
            t.add_column(header, justify="right")
        for name, by_phrasing in doc["rows"].items():
            t.add_row(name, *_cells(by_phrasing[phrasing]["all"]))
        console.print(t)


def error_map(generated: torch.Tensor, target: torch.Tensor) -> np.ndarray:
    """Mean absolute error over channels, uint8 ``(C, S, S)`` pair → float ``(S, S)`` in [0, 1]."""
    return (generated.float() - target.float()).abs().mean(0).numpy() / 255


def fig15(result, editors: dict, path: Path, title: str = "") -> Path | None:
    """Paper Fig. 15: per example, source | target | for each model: its edit, error map and (when the
    model has one) its change map. Examples are the first of the seen-phrasing test batch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ex = result.examples
    n = len(ex["source"])
    if n == 0 or not editors:
        return None
    texts = ex["instruction"][PHRASINGS[0]]
    maps = {}
    for name, editor in editors.items():
        tokens, lengths = editor.tokenizer.batch(texts)
        maps[name] = editor.change_map(ex["source"], tokens, lengths)
    columns = [("source", None), ("target", None)]
    for name in editors:
        columns += [(name, "edit"), (name, "error")] + ([(name, "map")] if maps[name] is not None else [])
    fig, axes = plt.subplots(n, len(columns), figsize=(1.25 * len(columns) + 1.8, 1.3 * n + 0.5), squeeze=False)
    for i in range(n):
        for j, (name, kind) in enumerate(columns):
            ax = axes[i, j]
            if kind is None:
                image = ex[name][i]
                ax.imshow(image.numpy().transpose(1, 2, 0))
            elif kind == "edit":
                ax.imshow(ex["generated"][PHRASINGS[0]][name][i].numpy().transpose(1, 2, 0))
            elif kind == "error":
                ax.imshow(error_map(ex["generated"][PHRASINGS[0]][name][i], ex["target"][i]), cmap="magma",
                          vmin=0, vmax=1)  # fmt: skip
            else:
                ax.imshow(maps[name][i, 0].numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                label = name if kind in (None, "edit") else f"{kind}"
                ax.set_title(label, fontsize=7)
        axes[i, 0].set_ylabel(texts[i], fontsize=6, rotation=0, ha="right", va="center", wrap=True)
    if title:
        fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def evaluate_editor(editor, name: str, data, split: str = "test", limit: int | None = None, out: Path | None = None,
                    batch_size: int = 64, seed: int = 0, recognizer: str | Path | None = None,
                    progress: bool = True, phrasing: str | None = None):  # fmt: skip
    """``imi eval`` on avatars (the references alone when ``editor`` is None): metrics.json,
    metrics.md, fig15.png; returns ``(doc, out)``. Avatar splits are small and always whole, and
    always measured in both phrasings."""
    if phrasing is not None:
        raise ImiError("--phrasing: the avatar report always measures both phrasings (seen and heldout)")
    if limit is not None:
        raise ImiError("--limit: avatar splits are small and always evaluated whole")
    bench = AvatarBenchmark(data, build=True, workers=os.cpu_count() or 1)
    editors = {name: editor} if editor is not None else {}
    doc, result = evaluate_editors(editors, bench, split, min(batch_size, 256), seed, recognizer)
    doc = {"checkpoint": name, "model_config": editor.config.to_dict() if editor else None, **doc}
    out = Path(out) if out is not None else Path("runs") / "eval" / f"{name.replace('/', '-')}-{split}"
    out.mkdir(parents=True, exist_ok=True)
    report.write_metrics(out / "metrics.json", doc)
    (out / "metrics.md").write_text(markdown(doc) + "\n")
    fig15(result, editors, out / "fig15.png", f"{name} on {split} (seen phrasing)")
    return doc, out


def print_report(doc: dict, out: Path, console) -> None:
    name = doc["checkpoint"]
    print_tables(doc, console, f"{name} on the {doc['split']} split ({doc['items']:,} avatar edits × 2 phrasings)")
    console.print(f"wrote metrics.json, metrics.md, fig15.png in {out}")
