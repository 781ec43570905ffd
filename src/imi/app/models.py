"""The checkpoints a demo or a study can use, by domain, loaded once and shared by every session."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from imi.core.checkpoint import CheckpointError
from imi.pipelines.caption import Captioner
from imi.pipelines.edit import Editor
from imi.pipelines.load import PIPELINES
from imi.pipelines.shipped import SHIPPED, shipped_names
from imi.registry import DOMAINS, SYSTEMS, read_config


@dataclass(frozen=True)
class ModelEntry:
    name: str  # shown in the model menus: the shipped name, or the folder's name
    path: Path
    domain: str
    variant: str
    step: int
    task: str  # "edit", "caption" or "generate": which pipeline serves it


class ModelCatalog:
    """Shipped checkpoints plus any extra checkpoint folders, keyed by display name.

    Pipelines (editors, captioners) load lazily (the first session that picks a model pays ~0.1 s) and
    are shared: inference runs in eval mode without gradients, so sessions only
    share read-only weights. Their histories live in :class:`EditSession`.
    """

    def __init__(self, extra: list[str | Path] = (), include_shipped: bool = True):
        self.entries: dict[str, ModelEntry] = {}
        paths = [SHIPPED / n for n in shipped_names(None)] if include_shipped else []
        for path in [*paths, *map(Path, extra)]:
            config, _, step = read_config(path)  # raises CheckpointError with the folder named
            name = path.name if path.name not in self.entries else str(path)
            task = SYSTEMS[config.variant].task
            self.entries[name] = ModelEntry(name, path, config.domain, config.variant, step, task)
        if not self.entries:
            raise CheckpointError("no checkpoints: none shipped with the package and none given")
        self._loaded: dict[str, Editor | Captioner] = {}
        self._lock = threading.Lock()

    def names(self, domain: str | None = None, task: str = "edit") -> list[str]:
        """The models of ``task`` (on ``domain``, or any)."""
        return [n for n, e in self.entries.items() if e.task == task and (domain is None or e.domain == domain)]

    def domains(self, task: str = "edit") -> list[str]:
        return [d for d in DOMAINS if self.names(d, task)]  # registry order

    def _load(self, name: str, task: str):
        if name not in self.names(task=task):
            raise CheckpointError(f"unknown {task} model {name!r}; available: {', '.join(self.names(task=task))}")
        with self._lock:  # two sessions asking at once load it once
            if name not in self._loaded:
                self._loaded[name] = PIPELINES[task].from_pretrained(self.entries[name].path)
            return self._loaded[name]

    def pipeline(self, name: str, task: str):
        """The shared pipeline of model ``name``, which must be a ``task`` model."""
        return self._load(name, task)

    def editor(self, name: str) -> Editor:
        return self._load(name, "edit")

    def captioner(self, name: str) -> Captioner:
        return self._load(name, "caption")

    def label(self, name: str) -> str:
        e = self.entries[name]
        return f"{e.name} ({e.variant}, step {e.step:,})"
