"""IMI: image manipulation with natural-language instructions."""

__version__ = "0.1.0"

from imi.pipeline import Editor
from imi.session import EditSession

__all__ = ["EditSession", "Editor"]
