"""What every report records: its date and machine, its JSON file, and a short name for a checkpoint."""

from __future__ import annotations

import json
import time
from pathlib import Path


def display_name(checkpoint: str) -> str:
    """A short name for tables: the folder name, with its run for a ``best/`` selection."""
    path = Path(checkpoint)
    return f"{path.parent.name}/{path.name}" if path.name == "best" else path.name


def provenance() -> dict[str, str]:
    """``date`` and ``machine`` of a report (architecture, torch threads, torch version)."""
    import platform

    import torch

    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
    }


def write_metrics(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc, indent=2) + "\n")
