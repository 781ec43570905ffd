"""The web app's caption tab: pick or draw a 2×2 grid, move the latent code, read the captions.

Each browser tab holds a :class:`CaptionState` (the model's name and the current grid). Moving a
code slider recaptions the grid under the new code and redraws the label histogram of that code
over the model's test split: the paper's finding, live (a fixed code prefers a few look-alike
digits, while fresh codes name every digit about equally often). Every handler answers bad input
with a message and leaves the state as it was.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from PIL import Image

from imi.app import starts
from imi.app.models import ModelCatalog
from imi.core.errors import ImiError
from imi.core.serving import magnify, shown_folder
from imi.registry import DOMAINS
from imi.tasks.caption.metrics import histogram

SAMPLES = 6  # captions under fresh codes shown beside the slider's


@dataclass
class CaptionState:
    model: str
    image: np.ndarray  # uint8 (S, S): the grid being captioned
    rng: random.Random


class CaptionDemo:
    """The caption tab's behaviour (:func:`build_tab` lays it out). Handlers take their inputs, the
    three code sliders, then the state."""

    def __init__(self, catalog: ModelCatalog, max_upload_bytes: int = starts.MAX_UPLOAD_BYTES, seed: int | None = None):
        self.catalog = catalog
        self.max_upload_bytes = max_upload_bytes
        self.seed = seed
        self._splits: dict[str, object] = {}

    def models(self) -> list[str]:
        return self.catalog.names(task="caption")

    def cells(self, name: str) -> tuple[str, ...]:
        """The names of the grid's cells, row by row (the domain's ``demo["cells"]``)."""
        return tuple(DOMAINS[self.catalog.captioner(name).config.domain].demo["cells"])

    def _split(self, name: str):
        """The model and its test split (built once per model: every random grid and histogram reads it)."""
        captioner = self.catalog.captioner(name)
        if name not in self._splits:
            self._splits[name] = DOMAINS[captioner.config.domain].benchmark(captioner.config.data).split("test")
        return captioner, self._splits[name]

    @lru_cache(maxsize=256)  # noqa: B019 (one demo object per app; codes repeat as sliders move back)
    def _histogram(self, name: str, code: tuple[float, ...]) -> np.ndarray:
        """Label shares of the captions of every test image under ``code``."""
        captioner, split = self._split(name)
        named = DOMAINS[captioner.config.domain].demo["named"]
        found = []
        for s in range(0, len(split), 500):
            b = split.batch(np.arange(s, min(s + 500, len(split))))
            found.append(named(captioner.caption_tensors(b.image, torch.tensor(code).expand(len(b), -1)), split))
        return histogram(np.concatenate(found), 10)

    def guarded(self, fn):
        """Run a handler; a user error becomes the status message and the tab stays as it was."""

        @functools.wraps(fn)
        def run(*args):
            try:
                if args[-1] is None:
                    raise ImiError("this tab has no grid yet: pick a caption model")
                return fn(*args)
            except (ImiError, ValueError, OSError) as err:
                return (args[-1], *[gr_update()] * 4, f"**Not done:** {err}")

        return run

    def view(self, c1: float, c2: float, c3: float, state: CaptionState, message: str = "") -> tuple:
        """(state, grid, caption under the code, captions under fresh codes, histogram figure, status)."""
        captioner = self.catalog.captioner(state.model)
        code = tuple(round(float(v), 2) for v in (c1, c2, c3))[: captioner.code_dim]
        caption = captioner.caption(state.image, list(code))
        fresh = captioner.caption(state.image, state.rng.randrange(1 << 30), samples=SAMPLES)
        shares = self._histogram(state.model, code)
        line = f"**{state.model}** · code [{', '.join(f'{v:+.2f}' for v in code)}]"
        return (
            state,
            magnify(state.image),
            f"### {caption}",
            "\n".join(f"- {t}" for t in fresh),
            _bar_chart(shares, f"c = [{', '.join(f'{v:+.1f}' for v in code)}]"),
            line + (f"\n\n{message}" if message else ""),
        )

    def start(self, model: str, c1: float, c2: float, c3: float, state: CaptionState | None) -> tuple:
        """A fresh state on ``model``, from a random test grid."""
        rng = state.rng if state is not None else random.Random(self.seed)
        size = self.catalog.captioner(model).config.model.image_size
        return self.random_grid(c1, c2, c3, CaptionState(model, np.zeros((size, size), np.uint8), rng))

    def random_grid(self, c1: float, c2: float, c3: float, state: CaptionState) -> tuple:
        _, split = self._split(state.model)
        state.image = split.batch([state.rng.randrange(len(split))]).image[0, 0].numpy()
        return self.view(c1, c2, c3, state, "a test grid")

    def upload(self, file: str | None, c1: float, c2: float, c3: float, state: CaptionState) -> tuple:
        if not file:
            raise ImiError("no file received")
        size = state.image.shape[0]
        pixels = starts.load_upload(file, 0, self.max_upload_bytes)
        grey = Image.fromarray(pixels).convert("L").resize((size, size), Image.BILINEAR)
        state.image = np.asarray(grey, np.uint8).copy()
        return self.view(c1, c2, c3, state, f"uploaded, resized to {size}×{size}")

    def place(self, drawing, cell: str, c1: float, c2: float, c3: float, state: CaptionState) -> tuple:
        """Put a drawn digit into one cell of the grid (the glyph resized to the cell, as GridMNIST does)."""
        layers = drawing.get("composite") if isinstance(drawing, dict) else drawing
        if layers is None:
            raise ImiError("the sketch pad is empty: draw a digit first")
        cells = self.cells(state.model)
        if cell not in cells:
            raise ImiError(f"cell must be one of {', '.join(cells)}")
        glyph = starts.sketch_glyph(np.asarray(layers))
        half = state.image.shape[0] // 2
        r, c = divmod(cells.index(cell), 2)
        image = state.image.copy()
        resized = Image.fromarray(glyph).resize((half, half), Image.BILINEAR)
        image[r * half : (r + 1) * half, c * half : (c + 1) * half] = np.asarray(resized, np.uint8)
        state.image = image
        return self.view(c1, c2, c3, state, f"your digit is in the {cell} cell")

    def clear(self, c1: float, c2: float, c3: float, state: CaptionState) -> tuple:
        state.image = np.zeros_like(state.image)
        return self.view(c1, c2, c3, state, "an empty grid: draw a digit into each cell")


def gr_update():
    import gradio as gr

    return gr.update()


def _bar_chart(shares: np.ndarray, title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 2.4))
    ax.bar(np.arange(10), shares, color="tab:blue")
    ax.axhline(0.1, color="grey", lw=0.8, ls="--")
    ax.set_xticks(np.arange(10))
    ax.set_ylim(0, max(0.5, float(shares.max()) * 1.1))
    ax.set_title(title, fontsize=8)
    ax.set_xlabel("digit named", fontsize=8)
    ax.set_ylabel("share of test grids", fontsize=8)
    fig.tight_layout()
    path = shown_folder() / f"hist-{abs(hash(shares.tobytes()))}.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)


def build_tab(demo: CaptionDemo, app) -> None:
    """The caption tab's components and events, inside the app's ``gr.Blocks`` (API names /caption_*)."""
    import gradio as gr

    names = demo.models()
    state = gr.State(None)
    gr.Markdown(
        "Pick or draw a 2×2 grid of digits and move the latent code **c**: the model writes a caption "
        "naming one of the digits, and which one depends on c, a meaning it learned without labels "
        "(paper 003). The histogram shows what this code names over all test grids."
    )
    model = gr.Dropdown(names, value=names[0], label="caption model", elem_id="caption-model")
    with gr.Row():
        with gr.Column(scale=1):
            grid = gr.Image(show_label=False, type="filepath", interactive=False, height=260, elem_id="caption-grid")
            with gr.Row():
                random_btn = gr.Button("random test grid", elem_id="caption-random")
                clear_btn = gr.Button("empty grid")
            upload = gr.File(label="upload a grid", file_types=["image"], type="filepath")
        with gr.Column(scale=1):
            sliders = [gr.Slider(-3.0, 3.0, value=0.0, step=0.1, label=f"c{i + 1}", elem_id=f"c{i + 1}")
                       for i in range(3)]  # fmt: skip
            caption = gr.Markdown(elem_id="caption")
            gr.Markdown(f"**under {SAMPLES} fresh codes**")
            fresh = gr.Markdown(elem_id="caption-fresh")
        with gr.Column(scale=1):
            chart = gr.Image(show_label=False, type="filepath", interactive=False, elem_id="caption-histogram")
            status = gr.Markdown(elem_id="caption-status")
    with gr.Accordion("draw a digit into a cell", open=False), gr.Row():
        pad = gr.Sketchpad(
            value=starts.sketch_paper(), label="draw a digit in black", type="numpy", image_mode="RGBA",
            canvas_size=(280, 280), brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed"),
            layers=False,
        )  # fmt: skip
        with gr.Column():
            cells = list(demo.cells(names[0]))
            cell = gr.Dropdown(cells, value=cells[0], label="cell")
            place_btn = gr.Button("put the digit in the cell", elem_id="caption-place")
    view = [state, grid, caption, fresh, chart, status]
    g = demo.guarded

    def start(name, *rest):
        try:
            return demo.start(name, *rest)
        except (ImiError, ValueError, OSError) as err:
            return (rest[-1], *[gr.update()] * 4, f"**Not done:** {err}")

    app.load(start, [model, *sliders, state], view, api_name="caption_start")
    model.input(start, [model, *sliders, state], view, api_name="caption_model")
    random_btn.click(g(demo.random_grid), [*sliders, state], view, api_name="caption_random")
    clear_btn.click(g(demo.clear), [*sliders, state], view, api_name="caption_clear")
    upload.upload(g(demo.upload), [upload, *sliders, state], view, api_name="caption_upload")
    place_btn.click(g(demo.place), [pad, cell, *sliders, state], view, api_name="caption_place")
    for slider in sliders:  # dragged or typed; while one update runs, only the latest value waits
        slider.change(g(demo.view), [*sliders, state], view, api_name=f"caption_{slider.elem_id}",
                      trigger_mode="always_last")  # fmt: skip
