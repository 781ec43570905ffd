"""What an edit system trains on: the model-ready batch every recipe step takes."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch


@dataclass
class StepBatch:
    """Model-ready tensors on the training device.

    ``source``/``target`` normalised ``(B, C, S, S)``; ``tokens`` ``(B, T)``;
    ``lengths`` ``(B,)``; ``source_labels``/``target_labels`` ``(B, 5)`` or None;
    ``change`` bool ``(B, C, S, S)`` (source ≠ target) or None; ``supervised``
    False for the unlabeled half of avatar training (§3.5.2: ``target`` is then
    the shuffled batch that gives the wrong condition, and no mask is learnt).
    """

    source: torch.Tensor
    target: torch.Tensor
    tokens: torch.Tensor
    lengths: torch.Tensor
    source_labels: torch.Tensor | None
    target_labels: torch.Tensor | None
    change: torch.Tensor | None = None
    supervised: bool = True


class SentenceInputs:
    """A split whose batches carry sentence vectors in ``tokens`` (from the batch's ``texts``).

    The data sets store token ids of the domain's word tokenizer; a model that reads
    sentence vectors (``model.text_encoder="minilm"``) gets them from the texts instead,
    through the tokenizer's per-sentence cache. Everything else of the split is passed on.
    """

    def __init__(self, split, tokenizer):
        self.split, self.tokenizer = split, tokenizer

    def __len__(self) -> int:
        return len(self.split)

    def __getattr__(self, name: str):
        return getattr(self.split, name)

    def batch(self, k):
        b = self.split.batch(k)
        tokens, lengths = self.tokenizer.batch(b.texts)
        return replace(b, tokens=tokens, lengths=lengths)


def model_inputs(split, tokenizer):
    """``split`` as the model behind ``tokenizer`` reads it: unchanged for the LSTM's token ids."""
    return SentenceInputs(split, tokenizer) if getattr(tokenizer, "reads_text", False) else split
