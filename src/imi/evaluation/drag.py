"""``imi drag compare``: the drag editor and the optimisation baseline on the same drags, read by the judge.

The drags are the domain's (:attr:`imi.core.plugins.Domain.drag_tasks`) on prior samples of one seed, so
the judge knows exactly where every handle and pin should go. One table: MD after the edit against MD with
no edit (the drag's length), the pins' drift, identity kept and the time per edit on this machine (batch
1), for the transformer's one pass and for the baseline at a ladder of iteration budgets (one optimisation
run, W+ snapshotted at each budget; a drag that stopped earlier keeps its stopping W+). A second reading of
MD tracks the handles with optical flow (DIS) instead of the judge; how far the tracker lands from the
judge's exact motion is reported too.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from imi.core.errors import ImiError
from imi.core.flow import track
from imi.core.report import provenance, write_metrics
from imi.pipelines.drag import DragEditor
from imi.registry import DOMAINS
from imi.tasks.drag.figure import drag_strip
from imi.tasks.drag.metrics import score_drags, summary
from imi.tasks.drag.optimise import OptimiseSettings
from imi.tasks.drag.points import Drag

BUDGETS = (5, 10, 20, 40, 80, 160)
TIMED = 20  # drags timed one by one (batch 1) per method
FIGURE = 8


def _concat(drags: list[Drag]) -> Drag:
    n = max(d.handles.shape[1] for d in drags)
    m = max(d.pins.shape[1] for d in drags)

    def pad(t: torch.Tensor, k: int) -> torch.Tensor:
        return torch.cat([t, t.new_zeros(t.shape[0], k - t.shape[1], *t.shape[2:])], 1)

    return Drag(*(torch.cat([pad(getattr(d, f), k) for d in drags]) for f, k in
                  (("handles", n), ("targets", n), ("pins", m), ("handle_mask", n), ("pin_mask", m))))  # fmt: skip


def tracked_md(before: torch.Tensor, after: torch.Tensor, drag: Drag, went: torch.Tensor) -> tuple[float, float]:
    """MD read by the flow tracker, and the tracker's mean distance from the judge's landing points ``went``."""
    md, gap = [], []
    for i in range(len(before)):
        h = drag.handles[i][drag.handle_mask[i]].numpy()
        landed = track(before[i].numpy(), after[i].numpy(), h)
        md.append(np.linalg.norm(landed - drag.targets[i][drag.handle_mask[i]].numpy(), axis=1).mean())
        gap.append(np.linalg.norm(landed - went[i][drag.handle_mask[i]].numpy(), axis=1).mean())
    return float(np.mean(md)), float(np.mean(gap))


def _row(before, after, drag, kinds, domain) -> dict:
    scores = score_drags(before, after, drag, domain.motion, domain.identity)
    row = summary(scores)
    for kind in sorted(set(kinds)):
        keep = torch.tensor([k == kind for k in kinds])
        row[kind] = summary({k: v[keep] for k, v in scores.items()}) | {"drags": int(keep.sum())}
    went = domain.motion(before, after, drag.handles)
    row["md_tracker"], row["tracker_vs_judge"] = tracked_md(before, after, drag, went)
    return row


def _timed(fn, n: int) -> float:
    """Median milliseconds of ``fn(i)`` over ``i < n``, after one warm-up call."""
    fn(0)
    times = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def compare(
    editor: DragEditor | str = "canvas-drag",
    drags: int = 200,
    seed: int = 2,
    iterations: int = 160,
    out: Path = Path("runs/drag-compare"),
    batch_size: int = 50,
    progress: bool = True,
) -> tuple[dict, Path]:
    """Score the transformer and the baseline on ``drags`` drags of prior samples of ``seed`` (see the module
    docstring); ``iterations``: the baseline's most (the ladder stops there)."""
    from tqdm import tqdm

    editor = DragEditor.from_pretrained(editor) if isinstance(editor, str | Path) else editor
    domain = DOMAINS[editor.config.domain]
    if domain.drag_tasks is None:
        raise ImiError(f"the {editor.config.domain} domain has no drag judge")
    if not 2 <= drags <= 10_000 or not 0 <= iterations <= 2_000:
        raise ImiError(f"drags must be in [2, 10000] and iterations in [0, 2000], got {drags}, {iterations}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ws = editor.sample_ws(drags, seed)
    before = editor.pictures(ws)
    drag, kinds = domain.drag_tasks(before, seed)
    keep = torch.tensor([k != "none" for k in kinds])
    if not keep.any():
        raise ImiError(f"none of the {drags} prior samples shows anything the {editor.config.domain} judge can drag")
    ws, before, drag, kinds = ws[keep], before[keep], drag.select(keep), [k for k in kinds if k != "none"]
    chunks = range(0, len(ws), batch_size)

    def part(i: int) -> tuple[torch.Tensor, Drag]:
        return ws[i : i + batch_size], drag.select(slice(i, i + batch_size))

    after = torch.cat([editor.pictures(editor.drag_tensors(*part(i))) for i in chunks])
    rows = {"transformer": _row(before, after, drag, kinds, domain)}

    def one_edit(i: int) -> None:
        editor.pictures(editor.drag_tensors(ws[i : i + 1], drag.select(slice(i, i + 1))))

    rows["transformer"]["ms_per_edit"] = _timed(one_edit, min(TIMED, len(ws)))
    rows["transformer"]["iterations"] = 0

    if not iterations:  # the transformer alone (the baseline's rows do not depend on the editor's network)
        doc = {"checkpoint": str(editor.config.preset), "domain": editor.config.domain, "drags": len(ws), "seed": seed,
               "kinds": {k: kinds.count(k) for k in sorted(set(kinds))}, "rows": rows, "ms_per_iteration": None,
               "baseline_budget_for_same_md": None, **provenance()}  # fmt: skip
        write_metrics(out / "compare.json", doc)
        drag_strip(before[:FIGURE], after[:FIGURE], drag.select(slice(0, FIGURE))).save(out / "transformer.png")
        return doc, out
    budgets = (*(b for b in BUDGETS if b < iterations), iterations)
    settings = OptimiseSettings(iterations=iterations, layers=editor.config.model.coarse)
    shots: dict[int, list[torch.Tensor]] = {b: [] for b in budgets}
    used = []
    for i in tqdm(chunks, desc="optimisation baseline", disable=not progress):
        found = editor.optimise_tensors(*part(i), settings, budgets)
        for b in budgets:
            shots[b].append(found.snapshots[b].cpu())
        used.append(found.iterations)
    used = torch.cat(used)
    # Batch-1 timing: the milliseconds one iteration takes, from whole runs capped at the first budget's worth.
    per_it = _timed(lambda i: editor.optimise_tensors(ws[i : i + 1], drag.select(slice(i, i + 1)),
                                                      OptimiseSettings(iterations=10, stop_px=0.0,
                                                                       layers=settings.layers)), 5) / 10  # fmt: skip
    for b in budgets:
        row = _row(before, editor.pictures(torch.cat(shots[b])), drag, kinds, domain)
        took = used.clamp(max=b).float()
        row |= {"iterations": b, "mean_iterations": float(took.mean()), "ms_per_edit": float(took.mean()) * per_it}
        rows[f"optimise-{b}"] = row
    same = [b for b in budgets if rows[f"optimise-{b}"]["md"] <= rows["transformer"]["md"]]
    doc = {
        "checkpoint": str(editor.config.preset), "domain": editor.config.domain, "drags": len(ws), "seed": seed,
        "kinds": {k: kinds.count(k) for k in sorted(set(kinds))}, "rows": rows, "ms_per_iteration": per_it,
        "baseline_budget_for_same_md": same[0] if same else None, **provenance(),
    }  # fmt: skip
    write_metrics(out / "compare.json", doc)
    best = torch.cat(shots[budgets[-1]])[:FIGURE]
    sub = drag.select(slice(0, FIGURE))
    drag_strip(before[:FIGURE], after[:FIGURE], sub).save(out / "transformer.png")
    drag_strip(before[:FIGURE], editor.pictures(best), sub).save(out / "optimise.png")
    return doc, out


def print_compare(doc: dict, console) -> None:
    from rich.table import Table

    table = Table(title=f"Drags of {doc['drags']} prior samples ({doc['domain']}), read by the judge")
    for col in ("method", "iterations", "MD", "MD no edit", "MD ratio", "pin drift", "identity", "MD (flow)",
                "ms / edit"):  # fmt: skip
        table.add_column(col, justify="right")
    for name, r in doc["rows"].items():
        table.add_row(name, f"{r.get('mean_iterations', r['iterations']):.1f}", f"{r['md']:.2f}", f"{r['md_none']:.2f}",
                      f"{r['md_ratio']:.1%}", f"{r['drift']:.2f}", f"{r['identity']:.1%}", f"{r['md_tracker']:.2f}",
                      f"{r['ms_per_edit']:.1f}")  # fmt: skip
    console.print(table)
    if doc["ms_per_iteration"] is None:
        return
    budget = doc["baseline_budget_for_same_md"]
    said = f"{budget} iterations" if budget else "not within its budget"
    console.print(f"the baseline reaches the transformer's MD at: {said}")
