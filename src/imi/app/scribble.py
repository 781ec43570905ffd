"""The web app's few-shot tab: scribble a few strokes per part on a blank sheet and see the picture.

Serves the synthesis models that accept scribbles (the few-shot synthesiser, SPEC-semantic §2): a
map may leave pixels unlabelled, and the model fills them in from its prior. The tab shows the K
labelled examples the model was given (their maps and the pictures its prior found for them), so a
user sees how little it learnt from. Each browser tab holds a :class:`ScribbleState`; every handler
answers bad input with a message and leaves the state as it was.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import torch

from imi.app.models import ModelCatalog
from imi.app.synthesize import SCALE, class_brush, class_legend, guard
from imi.core.errors import ImiError
from imi.core.serving import magnify
from imi.core.viz import PALETTE, colour_labels
from imi.registry import DOMAINS, SYSTEMS
from imi.systems.fewshot.scribble import scribble
from imi.tasks.synthesize.batch import UNKNOWN

BLANK = np.array([255, 255, 255])  # an unlabelled pixel is shown (and read back) as white paper


@dataclass
class ScribbleState:
    model: str
    labels: np.ndarray  # uint8 (S, S): the scribble, UNKNOWN where nothing is drawn
    result: object = None  # the last Synthesis
    rng: random.Random = field(default_factory=random.Random)


def scribble_picture(labels: np.ndarray) -> np.ndarray:
    """uint8 ``(S, S)`` with :data:`UNKNOWN` blanks → uint8 ``(S, S, 3)``: class colours on white paper."""
    return colour_labels(labels, blank=UNKNOWN)


def labels_of_scribble(composite: np.ndarray, size: int, classes: int) -> np.ndarray:
    """A painted ``(size·s, size·s, 3|4)`` sheet → uint8 ``(size, size)``: each cell takes the class whose
    colour is nearest its centre pixel, or :data:`UNKNOWN` where white paper is nearest."""
    arr = np.asarray(composite)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[0] != arr.shape[1] or arr.shape[0] % size:
        raise ImiError(f"the scribble must be a square picture of a multiple of {size} px, got {arr.shape}")
    step = arr.shape[0] // size
    centres = arr[step // 2 :: step, step // 2 :: step, :3].astype(np.int32)
    colours = np.concatenate([PALETTE[:classes], BLANK[None]]).astype(np.int32)
    nearest = ((centres[..., None, :] - colours) ** 2).sum(-1).argmin(-1)
    return np.where(nearest == classes, UNKNOWN, nearest).astype(np.uint8)


class ScribbleDemo:
    """The few-shot tab's behaviour (:func:`build_tab` lays it out). Handlers take their inputs, then the
    state, and return (state, sheet, picture, status)."""

    def __init__(self, catalog: ModelCatalog, max_upload_bytes: int = 0, seed: int | None = None):
        self.catalog = catalog
        self.seed = seed

    def models(self) -> list[str]:
        """The synthesis models that take scribbles."""
        names = self.catalog.names(task="synthesize")
        return [n for n in names if getattr(SYSTEMS[self.catalog.entries[n].variant].model, "accepts_scribbles", False)]

    def synth(self, name: str):
        if name not in self.models():
            raise ImiError(f"{name!r} is not a model that takes scribbles; choose one of {', '.join(self.models())}")
        return self.catalog.pipeline(name, "synthesize")

    def guarded(self, fn):
        """Run a handler; a user error becomes the status message and the tab stays as it was."""
        return guard(fn, 2, "this tab has no sheet yet: pick a few-shot model")

    def sheet(self, labels: np.ndarray) -> dict:
        """The editor's value: the scribble on white paper, magnified, as its background."""
        big = np.repeat(np.repeat(scribble_picture(labels), SCALE, 0), SCALE, 1)
        return {"background": big, "layers": [], "composite": big}

    def view(self, state: ScribbleState, message: str) -> tuple:
        picture = None if state.result is None else magnify(state.result.image, SCALE)
        return (state, self.sheet(state.labels), picture, f"**{state.model}** · {message}")

    def examples(self, name: str) -> list[tuple[str, str]]:
        """The K examples as gallery items: each map beside the picture the prior found for it."""
        maps, pictures = self.synth(name).examples
        return [
            (magnify(np.concatenate([colour_labels(m), p], 1), SCALE // 2), f"example {i + 1}: map · picture")
            for i, (m, p) in enumerate(zip(maps, pictures, strict=True))
        ]

    def draw(self, seed: float, state: ScribbleState, message: str, labels=None) -> tuple:
        synth = self.synth(state.model)
        labels = state.labels if labels is None else labels
        state.result = synth.synthesize(labels, seed=int(seed))
        state.labels = labels
        return self.view(state, message)

    def start(self, model: str, seed: float, state: ScribbleState | None) -> tuple:
        """A fresh state on ``model`` with the strokes of a random test map drawn."""
        rng = state.rng if state is not None else random.Random(self.seed)
        size = self.synth(model).size
        state = ScribbleState(model, np.full((size, size), UNKNOWN, np.uint8), rng=rng)
        return (*self.strokes(seed, state), self.examples(model))

    def strokes(self, seed: float, state: ScribbleState) -> tuple:
        """A random test avatar's map thinned to a few strokes per part, drawn."""
        config = self.synth(state.model).config
        domain = DOMAINS[config.domain]
        labels, _ = domain.demo["test_map"](config.data, state.rng.randrange(domain.test_items(config.data)))
        gen = torch.Generator().manual_seed(state.rng.randrange(1 << 30))
        thin = scribble(torch.from_numpy(labels.astype(np.int64))[None], gen)[0].numpy().astype(np.uint8)
        return self.draw(seed, state, "a test avatar's parts as a few strokes", labels=thin)

    def clear(self, seed: float, state: ScribbleState) -> tuple:
        state.labels = np.full_like(state.labels, UNKNOWN)
        state.result = None
        return self.view(state, "a blank sheet: scribble a few strokes per part, then draw")

    def paint(self, painting, seed: float, state: ScribbleState) -> tuple:
        """Read the sheet back into a scribble and draw it."""
        composite = painting.get("composite") if isinstance(painting, dict) else painting
        if composite is None:
            raise ImiError("nothing painted: the sheet is empty")
        synth = self.synth(state.model)
        labels = labels_of_scribble(composite, synth.size, len(synth.classes))
        drawn = int((labels != UNKNOWN).sum())
        return self.draw(seed, state, f"your scribble ({drawn} of {labels.size} pixels labelled)", labels=labels)

    def new_looks(self, seed: float, state: ScribbleState) -> tuple:
        return self.draw(seed, state, f"the same scribble, the look of seed {int(seed)}")


def build_tab(demo: ScribbleDemo, app) -> None:
    """The few-shot tab's components and events, inside the app's ``gr.Blocks`` (API names /few_*)."""
    import gradio as gr

    names = demo.models()
    synth = demo.synth(names[0])
    classes, size = synth.classes, synth.size
    state = gr.State(None)
    legend = class_legend(classes)
    gr.Markdown(
        "**Few-shot synthesis** (SPEC-semantic §2): this model saw only the K labelled avatars below, plus "
        "unlabelled ones. Scribble **a few strokes per part** on the white sheet (white = leave it to the "
        f"model) and draw.<br>{legend}"
    )
    with gr.Row():
        model = gr.Dropdown(names, value=names[0], label="few-shot model", elem_id="few-model")
        seed = gr.Number(value=0, precision=0, minimum=0, label="seed (the look)", elem_id="few-seed")
    with gr.Row():
        with gr.Column():
            sheet = gr.ImageEditor(
                label=f"scribble ({size}×{size}, shown {SCALE}×)", type="numpy", image_mode="RGB", layers=False,
                sources=("upload",), transforms=(), elem_id="few-sheet", brush=class_brush(classes),
            )  # fmt: skip
            with gr.Row():
                strokes_btn = gr.Button("strokes of a test avatar", elem_id="few-strokes")
                clear_btn = gr.Button("blank sheet", elem_id="few-clear")
                paint_btn = gr.Button("draw my scribble", variant="primary", elem_id="few-paint")
        with gr.Column():
            picture = gr.Image(label="picture", type="filepath", interactive=False, elem_id="few-picture")
            looks_btn = gr.Button("another look (from the seed)", elem_id="few-looks")
        with gr.Column():
            examples = gr.Gallery(label="the K labelled examples it was given", columns=1, height=420,
                                  object_fit="contain", elem_id="few-examples")  # fmt: skip
    status = gr.Markdown(elem_id="few-status")
    view = [state, sheet, picture, status]
    g = demo.guarded

    def start(name, *rest):
        try:
            return demo.start(name, *rest)
        except (ImiError, ValueError, OSError) as err:
            return (rest[-1], *[gr.update()] * 2, f"**Not done:** {err}", gr.update())

    app.load(start, [model, seed, state], [*view, examples], api_name="few_start")
    model.input(start, [model, seed, state], [*view, examples], api_name="few_model")
    strokes_btn.click(g(demo.strokes), [seed, state], view, api_name="few_strokes")
    clear_btn.click(g(demo.clear), [seed, state], view, api_name="few_clear")
    paint_btn.click(g(demo.paint), [sheet, seed, state], view, api_name="few_paint")
    looks_btn.click(g(demo.new_looks), [seed, state], view, api_name="few_looks")
