"""One sink for training statistics: JSON lines, one object per report."""

from __future__ import annotations

import json
from pathlib import Path


class StatsWriter:
    """Appends ``{"step": …, name: value, …}`` lines to ``stats.jsonl``."""

    def __init__(self, path: Path, enabled: bool = True):
        self.path = path
        self.enabled = enabled

    def report(self, step: int, values: dict[str, float]) -> None:
        if self.enabled:
            with self.path.open("a") as f:
                f.write(json.dumps({"step": step, **values}) + "\n")

    def truncate_after(self, step: int) -> None:
        """Drop reports newer than ``step`` (a killed run may have logged past its checkpoint)."""
        if self.enabled and self.path.exists():
            keep = [line for line in self.path.read_text().splitlines() if line and json.loads(line)["step"] <= step]
            self.path.write_text("".join(line + "\n" for line in keep))


def read_stats(path: Path, key: str | None = None) -> list[dict]:
    """All records of ``stats.jsonl``, or only those holding ``key`` (e.g. "loss_d", "val_loss")."""
    records = [json.loads(line) for line in Path(path).read_text().splitlines() if line]
    return [r for r in records if key is None or key in r]
