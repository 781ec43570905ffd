"""Multi-turn editing: the image the user sees, and how it got there.

    session = EditSession(Editor.from_pretrained("digits"), image)
    session.apply("move zero to the top left")
    session.apply("expand zero to the right")
    session.undo(); session.redo()
    session.export_gif("edits.gif")

The paper's premise (§1) is interaction: each instruction describes only the
change from the *current* image, so every edit starts from the last result.
``imi edit`` and the web app both drive this class, and it edits through
:meth:`Editor.edit_tensors`, the one inference pipeline.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from imi.core.errors import EmptyInstructionError, ImiError, NoChangeError
from imi.core.images import to_pil
from imi.core.viz import strip_image
from imi.pipelines.edit import Editor, ImageLike


@dataclass(frozen=True)
class Step:
    """One entry of the history.

    Attributes:
        instruction: the text typed ("" for the start image).
        image: uint8 ``(C, S, S)``, the image after this step.
        mask: float ``(1, S, S)`` in [0, 1], what the model says it redrew
            (SIM's mask, ours' box masks …); None for the start image or a
            variant without one.
        unknown: words read as ``<unk>`` (avatars' lenient tokenizer).
        reading: what the instruction reader understood ("glasses → round (0.97)"); None without one.
    """

    instruction: str
    image: torch.Tensor
    mask: torch.Tensor | None = None
    unknown: tuple[str, ...] = ()
    reading: str | None = None

    def pil(self) -> Image.Image:
        return to_pil(self.image)


@dataclass
class EditSession:
    """The current image and the history of (instruction, image, mask) steps, with undo and redo.

    ``history[: cursor + 1]`` is what the user sees; steps after the cursor are
    the redo stack, dropped by the next :meth:`apply`. Edit ``i`` (1-based)
    uses noise seed ``seed + i - 1``, as ``imi edit`` does, so a sequence
    replays identically.
    """

    editor: Editor
    image: ImageLike | None = None
    seed: int = 0
    history: list[Step] = field(default_factory=list, init=False)
    cursor: int = field(default=-1, init=False)

    def __post_init__(self) -> None:
        if self.image is not None:
            self.reset(self.image)
        self.image = None  # the history holds it from here on

    # -- state ---------------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self.cursor >= 0

    @property
    def current(self) -> Step:
        if not self.started:
            raise ImiError("no image yet: start the session with reset(image)")
        return self.history[self.cursor]

    @property
    def steps(self) -> list[Step]:
        """The visible history: the start image, then one step per applied edit."""
        return self.history[: self.cursor + 1]

    @property
    def can_undo(self) -> bool:
        return self.cursor > 0

    @property
    def can_redo(self) -> bool:
        return self.cursor < len(self.history) - 1

    # -- actions -------------------------------------------------------------------------------
    def reset(self, image: ImageLike) -> Step:
        """Start over from ``image`` (any size or mode; converted like :meth:`Editor.preprocess`)."""
        start = Step("", self.editor.preprocess([image])[0])
        self.history, self.cursor = [start], 0
        return start

    def check(self, instruction: str) -> str:
        """The instruction with its spaces normalised; raises if it is empty, (digits) has an unknown word,
        or (a model with an instruction reader) is not understood."""
        return self._checked(instruction)[0]

    def _checked(self, instruction: str) -> tuple[str, list | None]:
        """:meth:`check`, also returning the reader's readings (None without a reader)."""
        text = " ".join(instruction.split())
        if not text:
            raise EmptyInstructionError("the instruction is empty: type what should change")
        self.editor.tokenizer.encode(text)  # a strict tokenizer raises UnknownWordError naming the words
        readings = self.editor.check_understood([text])  # NotUnderstoodError: "turn him into a cat"
        return text, readings

    def apply(self, instruction: str) -> Step:
        """Edit the current image with ``instruction`` (see :meth:`check` for what is refused). An edit
        that changes no pixel raises :class:`NoChangeError` and leaves the history as it was."""
        text, readings = self._checked(instruction)
        source = self.current.image[None]
        tokens, lengths = self.editor.tokenizer.batch([text])
        result = self.editor.edit_tensors(source, tokens, lengths, self.seed + self.cursor)[0]
        if torch.equal(result, self.current.image):
            # An edit that changes no pixel is not a step: undo would walk through copies, and the
            # user would not learn that the instruction did nothing (no such digit, unread words).
            unread = self.editor.unknown_words(text)
            why = f" (read as <unk>: {', '.join(unread)})" if unread else ""
            raise NoChangeError(f"the model changed nothing for {text!r}{why}; the step was not added")
        mask = self.editor.change_map(source, tokens, lengths)
        unknown = tuple(self.editor.unknown_words(text))
        step = Step(text, result, None if mask is None else mask[0], unknown, str(readings[0]) if readings else None)
        self.history = [*self.steps, step]
        self.cursor += 1
        return step

    def undo(self) -> Step:
        """Go back one edit (kept for :meth:`redo`); at the start image this does nothing."""
        if self.can_undo:
            self.cursor -= 1
        return self.current

    def redo(self) -> Step:
        """Re-apply the last undone edit; with nothing undone this does nothing."""
        if self.can_redo:
            self.cursor += 1
        return self.current

    # -- views and export ----------------------------------------------------------------------
    def difference(self, index: int | None = None) -> torch.Tensor:
        """|previous − step| of step ``index`` (default: the current one), uint8 ``(C, S, S)``."""
        i = self.cursor if index is None else index
        if not 0 <= i <= self.cursor:
            raise IndexError(f"step {i} is not in the visible history (0..{self.cursor})")
        before = self.history[max(i - 1, 0)].image
        return (self.history[i].image.int() - before.int()).abs().to(torch.uint8)

    def frames(self) -> list[Image.Image]:
        return [s.pil() for s in self.steps]

    def captions(self) -> list[str]:
        return ["start", *(s.instruction for s in self.steps[1:])]

    def strip(self, scale: int = 2) -> Image.Image:
        """The visible history as one captioned strip."""
        return strip_image(self.frames(), self.captions(), scale=scale)

    def gif_bytes(self, scale: int = 4, ms_per_frame: int = 900) -> bytes:
        """The visible history as an animated GIF: one captioned frame per step, enlarged ``scale``×.

        The caption also keeps frames distinct, so an edit that changed nothing
        still gets its frame (GIF writers merge identical consecutive frames).
        """
        frames = [strip_image([f], [c], scale=scale) for f, c in zip(self.frames(), self.captions(), strict=True)]
        buf = io.BytesIO()
        frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0)
        return buf.getvalue()

    def export_strip(self, path: str | Path, scale: int = 2) -> Path:
        path = Path(path)
        self.strip(scale).save(path)
        return path

    def export_gif(self, path: str | Path, scale: int = 4) -> Path:
        path = Path(path)
        path.write_bytes(self.gif_bytes(scale))
        return path


TINTS = ((255, 40, 40), (0, 200, 255), (40, 40, 255), (255, 230, 0), (0, 220, 60))  # red, cyan, blue, yellow, green


def overlay(image: torch.Tensor, mask: torch.Tensor, colour: tuple[int, int, int] | None = None) -> Image.Image:
    """uint8 ``(C, S, S)`` image with a float ``(1, S, S)`` mask tinted over it (RGB PIL).

    Without ``colour`` the tint is the one of :data:`TINTS` farthest from the masked pixels' mean
    colour, so a red face is marked in cyan and a cyan shirt in red: the mark stays readable."""
    base = to_pil(image).convert("RGB")
    rgb = np.asarray(base, dtype=np.float32)
    weight = mask[0].clamp(0, 1).numpy()
    if colour is None:
        mean = (rgb * weight[..., None]).sum((0, 1)) / max(float(weight.sum()), 1e-6)
        colour = max(TINTS, key=lambda c: float(np.square(np.asarray(c, np.float32) - mean).sum()))
    alpha = 0.6 * weight[..., None]
    tinted = rgb * (1 - alpha) + np.asarray(colour, dtype=np.float32) * alpha
    return Image.fromarray(tinted.round().astype(np.uint8), "RGB")
