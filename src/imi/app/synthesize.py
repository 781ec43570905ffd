"""The web app's synthesis tab: start from a test label map or paint one, draw it, change one part's look.

Each browser tab holds a :class:`SynthState` (the model's name, the label map, the last synthesis
and the reference picture). The map is painted in the class colours (a brush per class, shown 4×
larger); "draw" keeps the current looks on the edited map (SPEC-semantic §1: edit the map and keep
the looks), "new looks" redraws every code from the seed, "resample" redraws one class's code at one
layer or all, "copy" takes one class's look from the reference avatar. Every handler answers bad
input with a message and leaves the state as it was.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field

import numpy as np

from imi.app import starts
from imi.app.models import ModelCatalog
from imi.core.errors import ImiError
from imi.core.serving import magnify
from imi.core.viz import PALETTE, colour_labels
from imi.registry import DOMAINS

SCALE = 4  # 64×64 maps and pictures are shown (and painted) at 256×256
ALL_LAYERS = "all layers"


@dataclass
class SynthState:
    model: str
    labels: np.ndarray  # uint8 (S, S): the label map
    result: object = None  # the last Synthesis
    reference: np.ndarray | None = None  # uint8 (S, S, 3): the avatar whose looks "copy" takes
    rng: random.Random = field(default_factory=random.Random)


def hex_colour(rgb) -> str:
    return "#" + "".join(f"{int(v):02x}" for v in rgb)


def class_legend(classes: list[str]) -> str:
    """The class names on their palette colours (HTML for a Markdown block)."""
    return " ".join(
        f"<span style='background:{hex_colour(PALETTE[i])};padding:0 6px;border-radius:3px'>{c}</span>"
        for i, c in enumerate(classes)
    )


def class_brush(classes: list[str]):
    """A brush with one fixed colour per class (the tabs' map editors)."""
    import gradio as gr

    return gr.Brush(default_size=SCALE * 2, colors=[hex_colour(PALETTE[i]) for i in range(len(classes))],
                    color_mode="fixed")  # fmt: skip


def guard(fn, outputs: int, empty: str):
    """A tab handler whose user errors become its status message, leaving the tab as it was: the state
    and ``outputs`` unchanged components, then the message. ``empty``: said when there is no state yet."""

    @functools.wraps(fn)
    def run(*args):
        try:
            if args[-1] is None:
                raise ImiError(empty)
            return fn(*args)
        except (ImiError, ValueError, OSError, TypeError) as err:  # TypeError: a cleared number box
            return (args[-1], *[_keep()] * outputs, f"**Not done:** {err}")

    return run


def labels_of_painting(composite: np.ndarray, size: int, classes: int) -> np.ndarray:
    """A painted ``(size·s, size·s, 3|4)`` picture in the class colours → uint8 ``(size, size)`` labels:
    each cell takes the class whose colour is nearest to the cell's centre pixel (brush edges blend)."""
    arr = np.asarray(composite)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[0] != arr.shape[1] or arr.shape[0] % size:
        raise ImiError(f"the painted map must be a square picture of a multiple of {size} px, got {arr.shape}")
    step = arr.shape[0] // size
    centres = arr[step // 2 :: step, step // 2 :: step, :3].astype(np.int32)  # (size, size, 3)
    dist = ((centres[..., None, :] - PALETTE[:classes].astype(np.int32)) ** 2).sum(-1)
    return dist.argmin(-1).astype(np.uint8)


class SynthDemo:
    """The synthesis tab's behaviour (:func:`build_tab` lays it out). Handlers take their inputs, then the
    state, and return (state, painted map, picture, reference, status)."""

    def __init__(self, catalog: ModelCatalog, max_upload_bytes: int = starts.MAX_UPLOAD_BYTES, seed: int | None = None):
        self.catalog = catalog
        self.max_upload_bytes = max_upload_bytes
        self.seed = seed

    def models(self) -> list[str]:
        return self.catalog.names(task="synthesize")

    def synth(self, name: str):
        return self.catalog.pipeline(name, "synthesize")

    def guarded(self, fn):
        """Run a handler; a user error becomes the status message and the tab stays as it was."""
        return guard(fn, 3, "this tab has no map yet: pick a synthesis model")

    def painting(self, labels: np.ndarray) -> dict:
        """The editor's value: the coloured map, magnified, as its background (the brush paints on it)."""
        sheet = np.repeat(np.repeat(colour_labels(labels), SCALE, 0), SCALE, 1)
        return {"background": sheet, "layers": [], "composite": sheet}

    def view(self, state: SynthState, message: str) -> tuple:
        r = state.result
        picture = None if r is None else magnify(r.image, SCALE)
        reference = None if state.reference is None else magnify(state.reference, SCALE)
        return (state, self.painting(state.labels), picture, reference, f"**{state.model}** · {message}")

    def draw(self, seed: float, fresh: bool, state: SynthState, message: str, labels=None) -> tuple:
        """Draw ``labels`` (default: the state's map); the state changes only once the picture is drawn."""
        synth = self.synth(state.model)
        labels = state.labels if labels is None else labels
        keep = not fresh and state.result is not None and synth.has_latent
        state.result = synth.synthesize(labels, codes=state.result.codes if keep else None, seed=int(seed))
        state.labels = labels
        return self.view(state, message)

    def start(self, model: str, seed: float, state: SynthState | None) -> tuple:
        """A fresh state on ``model`` with a random test map drawn and a random reference avatar."""
        rng = state.rng if state is not None else random.Random(self.seed)
        size = self.synth(model).size
        state = SynthState(model, np.zeros((size, size), np.uint8), rng=rng)
        self._pick_reference(state)
        return self.random_map(seed, state)

    def _test(self, state: SynthState) -> tuple[np.ndarray, np.ndarray]:
        config = self.synth(state.model).config
        domain = DOMAINS[config.domain]
        return domain.demo["test_map"](config.data, state.rng.randrange(domain.test_items(config.data)))

    def _pick_reference(self, state: SynthState) -> None:
        state.reference = self._test(state)[1]

    def random_map(self, seed: float, state: SynthState) -> tuple:
        return self.draw(seed, True, state, "a test avatar's label map, new looks", labels=self._test(state)[0])

    def new_looks(self, seed: float, state: SynthState) -> tuple:
        return self.draw(seed, True, state, f"every class's look drawn from seed {int(seed)}")

    def paint(self, painting, seed: float, state: SynthState) -> tuple:
        """Read the painted map back into labels and draw it with the current looks."""
        composite = painting.get("composite") if isinstance(painting, dict) else painting
        if composite is None:
            raise ImiError("nothing painted: the map is empty")
        synth = self.synth(state.model)
        labels = labels_of_painting(composite, synth.size, len(synth.classes))
        changed = int((labels != state.labels).sum())
        return self.draw(seed, False, state, f"your map ({changed} pixels changed), the same looks", labels=labels)

    def resample(self, cls: str, layer: str, seed: float, state: SynthState) -> tuple:
        synth = self.synth(state.model)
        if state.result is None:
            raise ImiError("draw a picture first")
        which = None if layer == ALL_LAYERS else int(layer)
        state.result = synth.resample(state.result, cls, which, int(seed) + state.rng.randrange(1 << 30))
        return self.view(state, f"a new look for the {cls} ({layer if which is None else f'layer {which}'})")

    def new_reference(self, seed: float, state: SynthState) -> tuple:
        self._pick_reference(state)
        return self.view(state, "another reference avatar")

    def upload_reference(self, file: str | None, seed: float, state: SynthState) -> tuple:
        if not file:
            raise ImiError("no file received")
        synth = self.synth(state.model)
        pixels = starts.load_upload(file, synth.config.data.background, self.max_upload_bytes)
        if pixels.shape[:2] != (synth.size, synth.size):
            from PIL import Image

            pixels = np.asarray(Image.fromarray(pixels).resize((synth.size, synth.size), Image.BILINEAR))
        state.reference = np.ascontiguousarray(pixels[..., :3]).astype(np.uint8)
        return self.view(state, f"uploaded reference, resized to {synth.size}×{synth.size}")

    def transfer(self, cls: str, layer: str, seed: float, state: SynthState) -> tuple:
        synth = self.synth(state.model)
        if state.result is None or state.reference is None:
            raise ImiError("draw a picture and pick a reference first")
        which = None if layer == ALL_LAYERS else int(layer)
        state.result = synth.transfer(state.result, cls, state.reference, layer=which)
        return self.view(state, f"the {cls}'s look copied from the reference (its map read by the segmenter)")


def _keep():
    import gradio as gr

    return gr.update()


def build_tab(demo: SynthDemo, app) -> None:
    """The synthesis tab's components and events, inside the app's ``gr.Blocks`` (API names /synth_*)."""
    import gradio as gr

    names = demo.models()
    synth = demo.synth(names[0])
    classes, size = synth.classes, synth.size
    state = gr.State(None)
    legend = class_legend(classes)
    gr.Markdown(
        "Paint a **label map** (one colour per part) and draw it: every part has its own look per layer, "
        "so you can redraw the hair without touching the shirt, or copy a part's look from another "
        f"avatar (SPEC-semantic §1).<br>{legend}"
    )
    with gr.Row():
        model = gr.Dropdown(names, value=names[0], label="synthesis model", elem_id="synth-model")
        seed = gr.Number(value=0, precision=0, minimum=0, label="seed", elem_id="synth-seed")
    with gr.Row():
        with gr.Column():
            painting = gr.ImageEditor(
                label=f"label map — paint with the class colours ({size}×{size}, shown {SCALE}×)",
                type="numpy", image_mode="RGB", layers=False, sources=("upload",), transforms=(),
                canvas_size=(size * SCALE, size * SCALE), elem_id="synth-map", brush=class_brush(classes),
            )  # fmt: skip
            with gr.Row():
                random_btn = gr.Button("random test map", elem_id="synth-random")
                paint_btn = gr.Button("draw my map (same looks)", variant="primary", elem_id="synth-paint")
        with gr.Column():
            picture = gr.Image(label="picture", type="filepath", interactive=False, elem_id="synth-picture")
            looks_btn = gr.Button("new looks (from the seed)", elem_id="synth-looks")
            with gr.Row():
                cls = gr.Dropdown(classes, value="hair" if "hair" in classes else classes[0], label="class")
                layers = [ALL_LAYERS, *(str(i) for i in range(max(1, synth.code_shape[0])))]
                layer = gr.Dropdown(layers, value=ALL_LAYERS, label="layer (0: coarsest)")
            resample_btn = gr.Button("resample this class's look", elem_id="synth-resample")
        with gr.Column():
            reference = gr.Image(
                label="reference avatar", type="filepath", interactive=False, elem_id="synth-reference"
            )
            ref_btn = gr.Button("another reference", elem_id="synth-new-reference")
            upload = gr.File(label="upload a reference", file_types=["image"], type="filepath")
            copy_btn = gr.Button("copy this class's look from the reference", elem_id="synth-copy")
    status = gr.Markdown(elem_id="synth-status")
    view = [state, painting, picture, reference, status]
    g = demo.guarded

    def start(name, *rest):
        try:
            return demo.start(name, *rest)
        except (ImiError, ValueError, OSError) as err:
            return (rest[-1], *[gr.update()] * 3, f"**Not done:** {err}")

    app.load(start, [model, seed, state], view, api_name="synth_start")
    model.input(start, [model, seed, state], view, api_name="synth_model")
    random_btn.click(g(demo.random_map), [seed, state], view, api_name="synth_random")
    paint_btn.click(g(demo.paint), [painting, seed, state], view, api_name="synth_paint")
    looks_btn.click(g(demo.new_looks), [seed, state], view, api_name="synth_looks")
    resample_btn.click(g(demo.resample), [cls, layer, seed, state], view, api_name="synth_resample")
    ref_btn.click(g(demo.new_reference), [seed, state], view, api_name="synth_reference")
    upload.upload(g(demo.upload_reference), [upload, seed, state], view, api_name="synth_upload")
    copy_btn.click(g(demo.transfer), [cls, layer, seed, state], view, api_name="synth_copy")
