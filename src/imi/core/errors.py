"""Errors a user can cause. The CLI prints them as one line and exits non-zero."""


class ImiError(Exception):
    """Base class of every error that is the user's to fix (bad input, bad config)."""


class DataError(ImiError, ValueError):
    """A data file is missing, corrupt, or too small for what was asked."""


class InstructionError(ImiError, ValueError):
    """An instruction cannot be used (not a string, no words, an empty batch …)."""


class EmptyInstructionError(InstructionError):
    """The instruction has no words to act on."""


class NotUnderstoodError(InstructionError):
    """The instruction reader did not understand the instruction (not something this domain can do,
    or too far from anything it was trained on); ``reading`` holds its best guess and signals."""

    def __init__(self, message: str, reading=None):
        super().__init__(message)
        self.reading = reading


class NoChangeError(InstructionError):
    """An interactive edit changed no pixel; it is not recorded as a step."""


class UnknownWordError(ImiError, KeyError):
    """An instruction contains words outside the vocabulary."""

    def __init__(self, message: str, words: list[str]):
        super().__init__(message)
        self.words = words

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class RecognizerError(ImiError, ValueError):
    """A recogniser (a domain's judge) is missing, damaged, or not accurate enough to judge."""


class TrainingError(ImiError, RuntimeError):
    """Training stopped for a reason the user must look at (a non-finite loss or weights)."""


class ConfigError(ImiError, ValueError):
    """A configuration value is out of range or of the wrong kind."""


class ImageInputError(ImiError, ValueError):
    """An input image cannot be read or used."""


class CheckpointError(ImiError, ValueError):
    """A checkpoint is missing, foreign or damaged."""


class StudyError(ImiError):
    """The study file is missing, not a study, or asked for something it cannot give."""
