"""IMI: image manipulation with natural-language instructions."""

__version__ = "0.1.0"

from imi.pipeline import Editor

__all__ = ["Editor"]
