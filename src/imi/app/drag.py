"""The web app's drag tab: click points on a generated picture, drag some, pin others, see the result.

Serves the drag editors (SPEC-semantic §3). A click on the picture adds a point: in "drag" mode the
first click is a handle (red) and the next its target (blue) — with "live" on, the edit runs as soon as
the target is placed (one pass of the latent transformer: interactive speed) —, in "pin" mode a pin
(green), which stays for the next drags. "undo" takes back the last point waiting for a drag, else the
last edit. The same clicks are in the API as ``/drag_point`` (x, y in the picture's pixels), so scripts
and tests drive the tab as the page does. Every handler answers bad input with a message and leaves the
state as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import gradio as gr
import numpy as np
import torch

from imi.app.models import ModelCatalog
from imi.app.synthesize import guard
from imi.core.errors import ImiError
from imi.tasks.drag.figure import draw_points

SCALE = 4  # the picture is shown 4× (64 → 256 px): a click lands on picture pixel (x // 4, y // 4)
MODES = ("drag", "pin")


@dataclass
class DragState:
    model: str
    history: list[torch.Tensor]  # W+ after each edit, the first the start
    handles: list[tuple[float, float]] = field(default_factory=list)
    targets: list[tuple[float, float]] = field(default_factory=list)
    pins: list[tuple[float, float]] = field(default_factory=list)


class DragDemo:
    """The drag tab's behaviour (:func:`build_tab` lays it out). Handlers take their inputs, then the
    state, and return (state, picture, status)."""

    def __init__(self, catalog: ModelCatalog, max_upload_bytes: int = 0, seed: int | None = None):
        self.catalog = catalog
        self.seed = seed

    def models(self) -> list[str]:
        return self.catalog.names(task="drag")

    def editor(self, name: str):
        if name not in self.models():
            raise ImiError(f"{name!r} is not a drag editor; choose one of {', '.join(self.models())}")
        return self.catalog.pipeline(name, "drag")

    def guarded(self, fn):
        return guard(fn, 1, "this tab has no picture yet: pick a drag editor")

    def picture(self, state: DragState) -> np.ndarray:
        editor = self.editor(state.model)
        current = editor.pictures(state.history[-1][None])[0].permute(1, 2, 0).numpy()
        return np.asarray(draw_points(current, state.handles, state.targets, state.pins, SCALE))

    def view(self, state: DragState, message: str) -> tuple:
        edits = len(state.history) - 1
        return (state, self.picture(state), f"**{state.model}** · {edits} edit{'s' * (edits != 1)} · {message}")

    def start(self, model: str, seed: float, state: DragState | None = None) -> tuple:
        """A fresh picture: the prior's sample of ``seed``."""
        editor = self.editor(model)
        seed = int(seed)
        state = DragState(model, [editor.sample_latent(seed)])
        return self.view(state, f"the prior's picture of seed {seed}: click a handle, then its target")

    def point(self, x: float, y: float, mode: str, live: bool, state: DragState) -> tuple:
        """A click at picture pixel ``(x, y)``: a pin, a handle, or the pending handle's target (then, when
        ``live``, the drag runs)."""
        size = self.editor(state.model).size
        if x is None or y is None or not (0 <= float(x) <= size - 1 and 0 <= float(y) <= size - 1):
            raise ImiError(f"a point must lie on the {size}×{size} picture, got ({x}, {y})")
        if mode not in MODES:
            raise ImiError(f"mode must be one of {MODES}, got {mode!r:.30}")
        p = (float(x), float(y))
        if mode == "pin":
            state.pins.append(p)
            return self.view(state, f"pin at ({p[0]:.0f}, {p[1]:.0f})")
        if len(state.handles) == len(state.targets):
            state.handles.append(p)
            return self.view(state, f"handle at ({p[0]:.0f}, {p[1]:.0f}): now click its target")
        state.targets.append(p)
        if live:
            return self.run(state)
        return self.view(state, f"target at ({p[0]:.0f}, {p[1]:.0f}): add more, or press drag")

    def click(self, mode: str, live: bool, state: DragState, evt) -> tuple:
        """A click on the magnified picture (gradio's select event: ``evt.index`` = [x, y] shown pixels)."""
        x, y = evt.index
        return self.point(min(x // SCALE, 10_000), min(y // SCALE, 10_000), mode, live, state)

    def run(self, state: DragState) -> tuple:
        """Drag the handles that have targets to them, keeping the pins; one edit."""
        pairs = len(state.targets)
        if not pairs:
            raise ImiError("no drag yet: click a handle, then its target")
        editor = self.editor(state.model)
        started = time.perf_counter()
        result = editor.drag(state.history[-1], state.handles[:pairs], state.targets, state.pins)
        ms = (time.perf_counter() - started) * 1000
        state.history.append(result.latent)
        state.handles, state.targets = state.handles[pairs:], []
        return self.view(state, f"dragged {pairs} point{'s' * (pairs != 1)} in {ms:.0f} ms")

    def undo(self, state: DragState) -> tuple:
        """The last point waiting for a drag, else the last pin placed after the last edit, else the last edit."""
        if len(state.handles) > len(state.targets):
            state.handles.pop()
            return self.view(state, "handle taken back")
        if state.targets:
            state.targets.pop()
            return self.view(state, "target taken back")
        if len(state.history) > 1:
            state.history.pop()
            return self.view(state, "edit undone")
        if state.pins:
            state.pins.pop()
            return self.view(state, "pin taken back")
        raise ImiError("nothing to undo")

    def clear(self, state: DragState) -> tuple:
        state.handles, state.targets, state.pins = [], [], []
        return self.view(state, "points cleared")


def build_tab(demo: DragDemo, app) -> None:
    """The drag tab's components and events, inside the app's ``gr.Blocks`` (API names /drag_*)."""
    names = demo.models()
    state = gr.State(None)
    gr.Markdown(
        "**Drag to edit the layout** (SPEC-semantic §3). Click a **handle** (red), then its **target** (blue): "
        "with *live* on the picture follows at once, one pass of the latent transformer. In *pin* mode a click "
        "adds a **pin** (green) that stays put."
    )
    with gr.Row():
        model = gr.Dropdown(names, value=names[0], label="drag editor", elem_id="drag-model")
        seed = gr.Number(value=0, precision=0, minimum=0, label="seed (the start picture)", elem_id="drag-seed")
        mode = gr.Radio(list(MODES), value="drag", label="a click adds", elem_id="drag-mode")
        live = gr.Checkbox(value=True, label="live (drag when the target is placed)", elem_id="drag-live")
    with gr.Row():
        with gr.Column(scale=2):
            picture = gr.Image(label="click on the picture", type="numpy", interactive=False, elem_id="drag-picture",
                               height=300)  # fmt: skip
        with gr.Column(scale=1):
            with gr.Row():
                x = gr.Number(value=32, precision=1, label="x", elem_id="drag-x")
                y = gr.Number(value=32, precision=1, label="y", elem_id="drag-y")
            point_btn = gr.Button("add this point", elem_id="drag-add")
            run_btn = gr.Button("drag", variant="primary", elem_id="drag-run")
            undo_btn = gr.Button("undo", elem_id="drag-undo")
            clear_btn = gr.Button("clear points", elem_id="drag-clear")
            new_btn = gr.Button("new picture (seed)", elem_id="drag-new")
    status = gr.Markdown(elem_id="drag-status")
    view = [state, picture, status]
    g = demo.guarded

    def start(name, number, current):
        try:
            return demo.start(name, number, current)
        except (ImiError, ValueError, TypeError, OSError) as err:
            return (current, gr.update(), f"**Not done:** {err}")

    def click(m, lv, s, evt: gr.SelectData):
        return g(lambda m, lv, s: demo.click(m, lv, s, evt))(m, lv, s)

    app.load(start, [model, seed, state], view, api_name="drag_start")
    model.input(start, [model, seed, state], view, api_name="drag_model")
    new_btn.click(start, [model, seed, state], view, api_name="drag_new")
    picture.select(click, [mode, live, state], view, api_visibility="private")
    point_btn.click(g(demo.point), [x, y, mode, live, state], view, api_name="drag_point")
    run_btn.click(g(demo.run), [state], view, api_name="drag_run")
    undo_btn.click(g(demo.undo), [state], view, api_name="drag_undo")
    clear_btn.click(g(demo.clear), [state], view, api_name="drag_clear")
