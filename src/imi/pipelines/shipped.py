"""The checkpoints shipped inside the package, and finding a checkpoint by name or path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from imi.core.checkpoint import SHIPPED, CheckpointError
from imi.core.errors import ImiError
from imi.registry import SYSTEMS


def task_of_folder(folder: Path) -> str | None:
    try:
        variant = json.loads((folder / "config.json").read_text())["experiment"]["variant"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return SYSTEMS[variant].task if variant in SYSTEMS else None


def shipped_names(task: str | None = "edit") -> list[str]:
    """The shipped checkpoints of ``task`` (None: of every task), sorted."""
    if not SHIPPED.is_dir():
        return []
    folders = (p for p in SHIPPED.iterdir() if (p / "config.json").is_file())
    return sorted(p.name for p in folders if task is None or task_of_folder(p) == task)


def locate(name_or_path: str | Path, task: str) -> Path:
    """A checkpoint folder: an existing path, or the shipped checkpoint of ``task`` by that name."""
    path = Path(name_or_path)
    if path.exists():
        found = task_of_folder(path)
        if found is not None and found != task:
            raise CheckpointError(f"{path} is a {found} checkpoint, not a {task} one")
        return path
    if str(name_or_path) in shipped_names(None) and str(name_or_path) not in shipped_names(task):
        other = task_of_folder(SHIPPED / str(name_or_path))
        raise CheckpointError(f"{name_or_path} is a shipped {other} checkpoint, not a {task} one")
    if str(name_or_path) not in shipped_names(task):
        known = ", ".join(shipped_names(task)) or "none"
        raise CheckpointError(
            f"{name_or_path}: neither a folder nor a shipped checkpoint (shipped {task} models: {known})"
        )
    return SHIPPED / str(name_or_path)


def check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**63:
        raise ImiError(f"seed must be an integer in [0, 2^63), got {seed!r:.40}")
