"""``imi eval`` and ``imi analyze`` on any checkpoint: load it, find its domain, let the domain measure.

The checkpoint's own data config picks the split, so a model is always tested on the items it
was held out from; the domain (:class:`imi.core.plugins.Domain`) writes and prints the report.
"""

from __future__ import annotations

from pathlib import Path

from imi.core.errors import ImiError
from imi.core.report import display_name
from imi.pipelines.load import load_pipeline
from imi.registry import DOMAINS

BASELINE = "copy-source"


def evaluate_checkpoint(
    checkpoint: str,
    split: str = "test",
    limit: int | None = None,
    out: Path | None = None,
    batch_size: int = 512,
    seed: int = 0,
    recognizer: str | Path | None = None,
    progress: bool = True,
    domain: str = "digits",
    phrasing: str | None = None,
) -> tuple[dict, Path]:
    """Evaluate ``checkpoint`` (a shipped name, a folder, or ``copy-source`` on ``domain``'s default
    data); returns ``(metrics, report folder)``."""
    editor = None if checkpoint == BASELINE else load_pipeline(checkpoint)  # an Editor or a Captioner
    name = display_name(checkpoint)
    if editor is not None:
        domain = editor.config.domain
    if domain not in DOMAINS:
        raise ImiError(f"unknown domain {domain!r}; choose one of {', '.join(DOMAINS)}")
    d = DOMAINS[domain]
    data = editor.config.data if editor is not None else d.data_config()
    # ``phrasing`` only when asked for: a domain written before it existed keeps working.
    extra = {} if phrasing is None else {"phrasing": phrasing}
    doc, folder = d.evaluate(editor, name, data, split, limit, out, batch_size, seed, recognizer, progress, **extra)
    return {"domain": domain, **doc}, folder


def print_report(doc: dict, out: Path, console) -> None:
    DOMAINS[doc["domain"]].print_report(doc, out, console)


def analyze_checkpoint(checkpoint: str, out: Path | None = None) -> tuple[dict, Path, list[Path]]:
    """Every analysis of the checkpoint's domain (a run folder adds curves and model selection)."""
    editor = load_pipeline(checkpoint)
    path = Path(checkpoint)
    run_dir = next((p for p in (path, path.parent) if (p / "stats.jsonl").is_file()), None)
    out = Path(out) if out is not None else Path("runs") / "analyze" / path.name
    out.mkdir(parents=True, exist_ok=True)
    return DOMAINS[editor.config.domain].analyze(editor, checkpoint, run_dir, out)
