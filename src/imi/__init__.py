"""IMI: image manipulation with natural-language instructions."""

__version__ = "0.1.0"

from imi.pipelines.edit import Editor
from imi.pipelines.session import EditSession

__all__ = ["EditSession", "Editor"]
