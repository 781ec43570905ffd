"""The checkpoints a demo or a study can use, by domain, loaded once and shared by every session."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from imi.core.checkpoint import CheckpointError
from imi.pipelines.edit import SHIPPED, Editor, shipped_names
from imi.registry import DOMAINS, read_config


@dataclass(frozen=True)
class ModelEntry:
    name: str  # shown in the model menus: the shipped name, or the folder's name
    path: Path
    domain: str
    variant: str
    step: int


class ModelCatalog:
    """Shipped checkpoints plus any extra checkpoint folders, keyed by display name.

    Editors load lazily (the first session that picks a model pays ~0.1 s) and
    are shared: inference runs in eval mode without gradients, so sessions only
    share read-only weights. Their histories live in :class:`EditSession`.
    """

    def __init__(self, extra: list[str | Path] = (), include_shipped: bool = True):
        self.entries: dict[str, ModelEntry] = {}
        paths = [SHIPPED / n for n in shipped_names()] if include_shipped else []
        for path in [*paths, *map(Path, extra)]:
            config, _, step = read_config(path)  # raises CheckpointError with the folder named
            name = path.name if path.name not in self.entries else str(path)
            self.entries[name] = ModelEntry(name, path, config.domain, config.variant, step)
        if not self.entries:
            raise CheckpointError("no checkpoints: none shipped with the package and none given")
        self._editors: dict[str, Editor] = {}
        self._lock = threading.Lock()

    def names(self, domain: str | None = None) -> list[str]:
        return [n for n, e in self.entries.items() if domain is None or e.domain == domain]

    def domains(self) -> list[str]:
        return [d for d in DOMAINS if self.names(d)]  # registry order

    def editor(self, name: str) -> Editor:
        if name not in self.entries:
            raise CheckpointError(f"unknown model {name!r}; available: {', '.join(self.entries)}")
        with self._lock:  # two sessions asking at once load it once
            if name not in self._editors:
                self._editors[name] = Editor.from_pretrained(self.entries[name].path)
            return self._editors[name]

    def label(self, name: str) -> str:
        e = self.entries[name]
        return f"{e.name} ({e.variant}, step {e.step:,})"
