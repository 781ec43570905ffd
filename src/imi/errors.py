"""Every error a user can cause, in one place: catch :class:`ImiError` for all of them.

The Python API raises these (never a bare ``TypeError`` or a library's own error for bad input);
the CLI prints them as one line and exits with status 2; the web app and the study server show
them in their status line and keep running. See docs/RELIABILITY.md.
"""

from imi.core.errors import (
    CheckpointError,
    ConfigError,
    DataError,
    EmptyInstructionError,
    ImageInputError,
    ImiError,
    InstructionError,
    NoChangeError,
    RecognizerError,
    StudyError,
    TrainingError,
    UnknownWordError,
)

__all__ = [
    "CheckpointError",
    "ConfigError",
    "DataError",
    "EmptyInstructionError",
    "ImageInputError",
    "ImiError",
    "InstructionError",
    "NoChangeError",
    "RecognizerError",
    "StudyError",
    "TrainingError",
    "UnknownWordError",
]
