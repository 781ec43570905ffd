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
        """Drop reports newer than ``step`` (a killed run may have logged past its checkpoint) and a
        half-written last line (a kill during a write)."""
        if self.enabled and self.path.exists():
            keep = [line for line in self.path.read_text().splitlines() if (r := _parse(line)) and r["step"] <= step]
            self.path.write_text("".join(line + "\n" for line in keep))


def _parse(line: str) -> dict | None:
    """One record, or None for an empty or half-written line (a run killed while writing it)."""
    try:
        record = json.loads(line) if line.strip() else None
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) and "step" in record else None


def read_stats(path: Path, key: str | None = None) -> list[dict]:
    """All records of ``stats.jsonl`` (a half-written line left out), or only those holding ``key``."""
    records = [r for line in Path(path).read_text().splitlines() if (r := _parse(line))]
    return [r for r in records if key is None or key in r]
