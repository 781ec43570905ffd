"""Tokenizer and vocabulary for instructions.

Instructions are lower-cased and split into words: runs of letters and
digits in any script (``zéro`` is one word), apostrophes inside a word kept,
punctuation dropped. Token id 0 is padding and 1 is ``<unk>``; the strict mode used for
digits refuses unknown words instead of mapping them to ``<unk>``, naming the
nearest known words so a typo is easy to fix; the lenient mode refuses an
instruction none of whose words it knows (the model would read only
``<unk>``). An empty instruction encodes to length 0, which the model reads as
"no change" (the zero instruction vector); text with no words at all
(``"!!! ???"``) is refused rather than read as empty.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

from imi.core.errors import EmptyInstructionError, InstructionError, UnknownWordError

PAD, UNK = "<pad>", "<unk>"
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")  # letters and digits of any script, inner apostrophes
_SHOWN = 30  # characters of a word a message quotes


def _quote(word: str) -> str:
    return repr(word if len(word) <= _SHOWN else word[:_SHOWN] + "…")


def words(text: str) -> list[str]:
    """``"Move Zero, to the left!"`` → ``["move", "zero", "to", "the", "left"]``."""
    if not isinstance(text, str):
        raise InstructionError(f"an instruction must be a string, got {type(text).__name__}")
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
        aliases: words read as others before the lookup (digits: numerals as digit words).
    """

    vocab: Vocabulary
    strict: bool = True
    aliases: tuple[tuple[str, str], ...] = ()  # (word typed, vocabulary word), e.g. ("3", "three")

    reads_text = False  # token ids; imi.core.sentences.SentenceTokenizer reads the sentences themselves

    def encode(self, text: str) -> list[int]:
        tokens = self.words(text)
        if not tokens and text.strip():
            raise EmptyInstructionError(f"the instruction {_quote(text.strip())} has no words: type what should change")
        unknown = [w for w in dict.fromkeys(tokens) if w not in self.vocab]
        if unknown and (self.strict or len(unknown) == len(set(tokens))):
            raise UnknownWordError(self._unknown_message(unknown, none_known=not self.strict), unknown)
        return [self.vocab.id(w) for w in tokens]

    def words(self, text: str) -> list[str]:
        """The words of ``text`` with the aliases applied (what :meth:`encode` looks up)."""
        alias = dict(self.aliases)
        return [alias.get(w, w) for w in words(text)]

    def _unknown_message(self, unknown: list[str], none_known: bool = False) -> str:
        parts = []
        suggested = 0
        for w in unknown[:10]:
            near = difflib.get_close_matches(w, self.vocab.words, n=3, cutoff=0.6)
            suggested += bool(near)
            parts.append(f"{_quote(w)} (did you mean {', '.join(near)}?)" if near else _quote(w))
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        if none_known:  # lenient: some unknown words are fine, but with none known the model reads only <unk>
            return (f"none of the words is known ({'; '.join(parts)}{more}); the model would read only <unk>. "
                    f"Known words include: {' '.join(self.vocab.words[:40])} …")  # fmt: skip
        words_ = "s" * (len(unknown) > 1)
        known = "" if suggested == len(unknown) else f". Known words: {' '.join(self.vocab.words)}"
        return f"unknown word{words_} {'; '.join(parts)}{more}{known}"

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
