"""One loader for every task: a checkpoint's system says which pipeline serves it."""

from __future__ import annotations

from pathlib import Path

from imi.pipelines.caption import Captioner
from imi.pipelines.drag import DragEditor
from imi.pipelines.edit import Editor
from imi.pipelines.generate import SceneGenerator
from imi.pipelines.prior import StylePrior
from imi.pipelines.shipped import SHIPPED, shipped_names, task_of_folder
from imi.pipelines.synthesize import Synthesizer

PIPELINES = {"edit": Editor, "caption": Captioner, "generate": SceneGenerator, "synthesize": Synthesizer,
             "sample": StylePrior,
             "drag": DragEditor}


def task_of(name_or_path: str | Path) -> str:
    """The task of a checkpoint folder or shipped name (``edit`` when it cannot tell: the loader then
    gives the edit pipeline's error)."""
    path = Path(name_or_path)
    if not path.exists() and str(name_or_path) in shipped_names(None):
        path = SHIPPED / str(name_or_path)
    return task_of_folder(path) or "edit"


def load_pipeline(name_or_path: str | Path, device: str = "cpu"):
    """The pipeline of a checkpoint: an :class:`Editor`, a :class:`Captioner`, a :class:`SceneGenerator` or a
    :class:`Synthesizer`."""
    return PIPELINES[task_of(name_or_path)].from_pretrained(name_or_path, device)
