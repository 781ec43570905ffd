"""IMI: image manipulation with natural-language instructions."""

__version__ = "0.1.0"
