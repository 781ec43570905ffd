"""Errors a user can cause. The CLI prints them as one line and exits non-zero."""


class ImiError(Exception):
    """Base class of every error that is the user's to fix (bad input, bad config)."""


class DataError(ImiError, ValueError):
    """A data file is missing, corrupt, or too small for what was asked."""


class UnknownWordError(ImiError, KeyError):
    """An instruction contains words outside the vocabulary."""

    def __init__(self, message: str, words: list[str]):
        super().__init__(message)
        self.words = words

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class RecognizerError(ImiError, ValueError):
    """A recogniser (a domain's judge) is missing, damaged, or not accurate enough to judge."""
