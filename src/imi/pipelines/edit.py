"""The one inference object: load a checkpoint, edit images with instructions.

    editor = imi.Editor.from_pretrained("digits")      # shipped with the package
    editor = imi.Editor.from_pretrained("runs/00001-digits-small")
    out = editor.edit(image, "move zero to the left", seed=0)

The Python API, :class:`imi.pipelines.session.EditSession` (``imi edit``, the web app),
the trainer's sample grids and the evaluation all go through
:meth:`Editor.edit_tensors`; there is no second forward pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from imi.core.config import ExperimentConfig
from imi.core.errors import EmptyInstructionError, ImiError, InstructionError, NotUnderstoodError
from imi.core.images import denormalize, load_image, normalize, to_pil
from imi.core.sentences import SentenceTokenizer, instruction_tokenizer
from imi.core.text import Tokenizer, Vocabulary
from imi.pipelines.shipped import SHIPPED, check_seed, locate, shipped_names  # noqa: F401 (public names)
from imi.registry import DOMAINS, load_pretrained
from imi.tasks.edit.model import EditModel
from imi.tasks.edit.understand import InstructionReader, Reading

ImageLike = Image.Image | np.ndarray | str | Path


class Editor:
    """Edits images with a trained IMI model (eval mode, no gradients)."""

    def __init__(
        self,
        model: EditModel,
        config: ExperimentConfig,
        tokenizer: Tokenizer | SentenceTokenizer,
        reader: InstructionReader | None = None,
    ):
        self.model = model
        self.config = config
        self.tokenizer = tokenizer
        self.reader = reader  # what an instruction is understood as (sentence-encoder checkpoints)

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, device: str | torch.device = "cpu") -> Editor:
        """A shipped checkpoint by name (``"digits"``) or a checkpoint/run folder by path."""
        path = locate(name_or_path, "edit")
        model, config, vocab = load_pretrained(path, device)
        # channels-last convolutions are ~1.3-1.5x faster on CPU (oneDNN); inference-only, so the
        # layout never meets a training step.
        model = model.to(memory_format=torch.channels_last)
        # The domain says whether an unknown word is an error (digits) or <unk> (free-form avatars);
        # a sentence-encoder model reads any word (the word tokenizer then only checks the text).
        data = config.data
        words = Tokenizer(Vocabulary(tuple(vocab)), data.strict_tokens, data.word_aliases)
        tokenizer = instruction_tokenizer(words, config.model.text_encoder)
        return cls(model, config, tokenizer, InstructionReader.load(path))

    def understand(self, instruction: str | Sequence[str]) -> Reading | list[Reading]:
        """What the instruction reader makes of an instruction (or a list): the change it names, its
        confidence, and whether it is understood at all. Editing does not depend on it; :meth:`edit`
        refuses what it does not understand. Raises :class:`ImiError` for a checkpoint without one."""
        if self.reader is None:
            raise ImiError("this checkpoint has no instruction reader (only sentence-encoder models have one)")
        texts = [instruction] if isinstance(instruction, str) else list(instruction)
        sentences = self.tokenizer if self.tokenizer.reads_text else SentenceTokenizer(self.tokenizer)
        vectors, lengths = sentences.batch(texts)
        if not lengths.all():
            raise EmptyInstructionError("an empty instruction means no change; there is nothing to understand")
        readings = self.reader.read(vectors, DOMAINS[self.config.domain].meaning.describe)
        return readings[0] if isinstance(instruction, str) else readings

    def check_understood(self, texts: Sequence[str]) -> list[Reading] | None:
        """The readings of the non-empty ``texts`` (None without a reader); raises
        :class:`NotUnderstoodError` for the first one the reader does not understand."""
        if self.reader is None:
            return None
        todo = [t for t in texts if t.strip()]
        readings = self.understand(todo) if todo else []
        for text, reading in zip(todo, readings, strict=True):
            if not reading.understood:
                raise NotUnderstoodError(
                    f"did not understand {text.strip()[:80]!r}: it does not read as an edit this model can make "
                    f"(closest: {reading.summary}, confidence {reading.confidence:.2f}, in-domain "
                    f"{reading.in_domain:.2f}, familiarity {reading.familiarity:.2f}); nothing was changed",
                    reading,
                )
        return readings

    def batch_inputs(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """The instruction tensors of a data set batch as this model reads them: the batch's token ids,
        or the sentence vectors of its ``texts`` (``model.text_encoder="minilm"``)."""
        if self.tokenizer.reads_text:
            return self.tokenizer.batch(batch.texts)
        return batch.tokens, batch.lengths

    def edit_batch(self, batch, seed: int) -> torch.Tensor:
        """:meth:`edit_tensors` on a data set batch (``source``, ``tokens``/``lengths``, ``texts``)."""
        return self.edit_tensors(batch.source, *self.batch_inputs(batch), seed=seed)

    def unknown_words(self, instruction: str) -> list[str]:
        """Words of ``instruction`` outside the vocabulary (read as ``<unk>`` when not strict; none for a
        sentence-encoder model, which reads every word)."""
        if self.tokenizer.reads_text:
            return []
        return [w for w in dict.fromkeys(self.tokenizer.words(instruction)) if w not in self.tokenizer.vocab]

    @property
    def image_size(self) -> int:
        return self.config.model.image_size

    @property
    def channels(self) -> int:
        return self.config.model.channels

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def preprocess(self, images: Sequence[ImageLike]) -> torch.Tensor:
        """Images → uint8 ``(B, C, S, S)`` (converted and resized; see :func:`imi.core.images.load_image`;
        transparency is flattened onto the domain's background)."""
        background = self.config.data.background
        return torch.stack([load_image(im, self.channels, self.image_size, background) for im in images])

    @torch.no_grad()
    def edit_tensors(
        self, source: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor, seed: int
    ) -> torch.Tensor:
        """uint8 ``(B, C, S, S)`` + token ids ``(B, T)``, lengths ``(B,)`` → uint8 ``(B, C, S, S)``.

        Item ``i`` gets noise row ``i`` of a generator seeded with ``seed``.
        """
        if self.model.training:
            raise RuntimeError("Editor needs the model in eval mode")
        check_seed(seed)
        dev = self.device
        z = torch.randn(source.shape[0], self.config.model.z_dim, generator=torch.Generator().manual_seed(seed))
        out = self.model.generate(
            normalize(source.to(dev), self.config.model.output), tokens.to(dev), lengths.to(dev), z.to(dev)
        )
        return denormalize(out, self.config.model.output).cpu()

    @torch.no_grad()
    def change_map(self, source: torch.Tensor, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor | None:
        """The model's map of what it redraws for uint8 ``(B, C, S, S)`` sources: float ``(B, 1, S, S)`` in
        [0, 1] on the CPU, or None when the variant has none (see :meth:`EditModel.change_map`)."""
        m = self.model.change_map(normalize(source.to(self.device), self.config.model.output), tokens.to(self.device),
                             lengths.to(self.device))  # fmt: skip
        return None if m is None else m.float().cpu()

    def edit(
        self, image: ImageLike | Sequence[ImageLike], instruction: str | Sequence[str], seed: int = 0
    ) -> Image.Image | list[Image.Image]:
        """Edit one image, or a batch (a list of images and a list of instructions).

        Returns a PIL image of the model's size (a list for a batch). An empty
        instruction means "no change" (the zero instruction vector).
        """
        single = isinstance(instruction, str)
        if not single and not (isinstance(instruction, Sequence) and all(isinstance(t, str) for t in instruction)):
            raise InstructionError(f"an instruction must be a string (or a list of them), got {instruction!r:.60}")
        if not single and (isinstance(image, str | Path) or not isinstance(image, Sequence | np.ndarray)):
            raise InstructionError("a batch is a list of images and a list of instructions of the same length")
        images = [image] if single else list(image)
        texts = [instruction] if single else list(instruction)
        if len(images) != len(texts):
            raise InstructionError(f"{len(images)} images but {len(texts)} instructions")
        if not texts:
            raise InstructionError("an empty batch: give at least one image and one instruction")
        check_seed(seed)
        self.check_understood(texts)
        tokens, lengths = self.tokenizer.batch(texts)
        out = [to_pil(x) for x in self.edit_tensors(self.preprocess(images), tokens, lengths, seed)]
        return out[0] if single else out
