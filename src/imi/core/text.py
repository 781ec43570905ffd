"""Tokenizer and vocabulary for instructions.

Instructions are lower-cased and split on white space (punctuation is
dropped). Token id 0 is padding and 1 is ``<unk>``; the strict mode used for
digits refuses unknown words instead of mapping them to ``<unk>``, naming the
nearest known words so a typo is easy to fix. An empty instruction encodes to
length 0, which the model reads as "no change" (the zero instruction vector).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

from imi.core.errors import UnknownWordError

PAD, UNK = "<pad>", "<unk>"
_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    """``"Move Zero, to the left!"`` → ``["move", "zero", "to", "the", "left"]``."""
    if not isinstance(text, str):
        raise TypeError(f"an instruction must be a string, got {type(text).__name__}")
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class Vocabulary:
    """Ordered word list; ids are positions, 0 = ``<pad>``, 1 = ``<unk>``."""

    itos: tuple[str, ...]

    @classmethod
    def build(cls, texts: Iterable[str]) -> Vocabulary:
        seen = dict.fromkeys(w for t in texts for w in words(t))
        return cls((PAD, UNK, *sorted(seen)))

    def __post_init__(self) -> None:
        if self.itos[:2] != (PAD, UNK):
            raise ValueError(f"a vocabulary must start with {PAD!r}, {UNK!r}")
        object.__setattr__(self, "_stoi", {w: i for i, w in enumerate(self.itos)})

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, word: str) -> bool:
        return word in self._stoi

    def id(self, word: str) -> int:
        return self._stoi.get(word, 1)

    @property
    def words(self) -> list[str]:
        return list(self.itos[2:])


@dataclass(frozen=True)
class Tokenizer:
    """Turns instructions into padded id tensors for the LSTM.

    Attributes:
        vocab: the known words.
        strict: raise :class:`UnknownWordError` on unknown words (digits);
            otherwise map them to ``<unk>`` (free-form avatar sentences).
    """

    vocab: Vocabulary
    strict: bool = True

    def encode(self, text: str) -> list[int]:
        tokens = words(text)
        unknown = [w for w in dict.fromkeys(tokens) if w not in self.vocab]
        if unknown and self.strict:
            raise UnknownWordError(self._unknown_message(unknown), unknown)
        return [self.vocab.id(w) for w in tokens]

    def _unknown_message(self, unknown: list[str]) -> str:
        parts = []
        for w in unknown:
            near = difflib.get_close_matches(w, self.vocab.words, n=3, cutoff=0.5)
            parts.append(f"{w!r} (did you mean {', '.join(near)}?)" if near else repr(w))
        return f"unknown word{'s' * (len(unknown) > 1)} {'; '.join(parts)}. Known words: {' '.join(self.vocab.words)}"

    def batch(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Encode and right-pad.

        Returns:
            ``ids`` long ``(B, T)`` with T = the longest instruction (at least
            1), padded with 0, and ``lengths`` long ``(B,)``; length 0 means
            "no instruction".
        """
        seqs = [self.encode(t) for t in texts]
        lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
        ids = torch.zeros(len(seqs), max([1, *map(len, seqs)]), dtype=torch.long)
        for row, seq in enumerate(seqs):
            ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        return ids, lengths

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(self.vocab.itos[i] for i in ids if i != 0)
