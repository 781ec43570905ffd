"""`imi demo`: multi-turn editing in the browser (Gradio Blocks), on the shipped checkpoints; one more
tab per other task with a model loaded: captioning digit grids under a latent code
(:mod:`imi.app.caption`) and generating scenes from a sentence and a context (:mod:`imi.app.generate`).

Each browser tab holds its own :class:`DemoState` (a model name and an
:class:`~imi.pipelines.session.EditSession`) in a ``gr.State``; the editors (weights)
are shared through :class:`~imi.app.models.ModelCatalog`. Every handler
answers bad input with a message in the status line and leaves the session as
it was, so the app stays up whatever is typed or uploaded.

The handlers are plain functions of (inputs, state) → outputs, named in the
API (``/apply``, ``/undo`` …) so scripts and tests drive the app with
``gradio_client`` exactly as the page does.
"""

from __future__ import annotations

import atexit
import functools
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np
import torch

from imi.app import caption, drag, generate, scribble, starts, synthesize
from imi.app.models import ModelCatalog
from imi.core.errors import ImiError
from imi.core.serving import HOST, magnify
from imi.pipelines.edit import ImageLike
from imi.pipelines.session import EditSession, Step, overlay
from imi.registry import DOMAINS


def _offering(extra: str) -> str:
    """The domains whose demo offers ``extra`` (``random_item``, ``sketch``), for a message."""
    return " or ".join(name for name, d in DOMAINS.items() if d.demo.get(extra)) or "no domain"


@dataclass
class DemoState:
    model: str
    session: EditSession
    rng: random.Random

    @property
    def domain(self) -> str:
        return self.session.editor.config.domain


def _heat(diff: torch.Tensor) -> str:
    """uint8 ``(C, S, S)`` |difference| → a magnified grey map (max over channels, white = changed)."""
    return magnify(diff.max(dim=0, keepdim=True).values)


class Demo:
    """The app's behaviour, independent of its layout (:func:`build` wires it to components)."""

    def __init__(self, catalog: ModelCatalog, max_upload_bytes: int = starts.MAX_UPLOAD_BYTES, seed: int | None = None):
        self.catalog = catalog
        self.seed = seed  # of every session's random starts (test items, avatars); None = fresh each time
        self.max_upload_bytes = max_upload_bytes
        self.exports = Path(tempfile.mkdtemp(prefix="imi-demo-"))  # downloads (strips, GIFs)
        # The other tasks' tabs, each shown when a model of its task is loaded.
        self.tabs = {task: cls(catalog, max_upload_bytes, seed) for task, (_, cls, _) in TABS.items()}
        atexit.register(shutil.rmtree, self.exports, ignore_errors=True)

    # -- views ----------------------------------------------------------------------------------
    def view(self, state: DemoState, message: str = "") -> tuple:
        """(state, current image, history strip, mask overlay, |previous − current|, status)."""
        s = state.session
        step: Step = s.current
        mask = overlay(step.image, step.mask) if step.mask is not None else None
        pending = len(s.history) - 1 - s.cursor
        line = f"**{state.model}** · step {s.cursor} of {len(s.history) - 1}" + (
            f" · {pending} to redo" if pending else ""
        )
        if step.unknown and not message:
            message = f"read as `<unk>` (not in the training vocabulary): {', '.join(step.unknown)}"
        if step.reading and not message:  # a sentence-encoder model says what it understood
            message = f"understood as: **{step.reading}**"
        return (
            state,
            magnify(step.image),
            magnify(s.strip(scale=2), scale=1),  # the history: one captioned thumbnail per step
            None if mask is None else magnify(mask),
            _heat(s.difference()),
            line + (f"\n\n{message}" if message else ""),
        )

    def fail(self, state: DemoState | None, err: Exception) -> tuple:
        message = f"**Not done:** {err}"  # an unknown word's message already names the near words
        if state is None:
            return (None, None, None, None, None, message)
        return self.view(state, message)

    def guarded(self, fn, extra: int = 0, needs_state: bool = True):
        """Run a handler; a user error (or an unreadable file) becomes the status message, the state stays
        as it was, and the ``extra`` outputs after the view are left unchanged."""

        @functools.wraps(fn)
        def run(*args):
            try:
                if needs_state and args[-1] is None:
                    raise ImiError("this page has no session yet: reload it")
                return fn(*args)
            except (ImiError, ValueError, OSError) as err:
                return (*self.fail(args[-1], err), *[gr.update()] * extra)

        return run

    # -- starting points -------------------------------------------------------------------------
    def new_state(self, model: str, image: ImageLike | None = None, rng: random.Random | None = None) -> DemoState:
        """A session on ``model``, started from ``image`` (or not started yet)."""
        return DemoState(model, EditSession(self.catalog.editor(model), image), rng or random.Random(self.seed))

    def start(self, domain: str, state: DemoState | None = None) -> tuple:
        """A fresh session on the domain's first model, from a random test item."""
        names = self.catalog.names(domain)
        if not names:
            raise ImiError(f"no {domain} model is loaded")
        return self.sample(self.new_state(names[0], rng=state.rng if state else None))

    def choose_model(self, name: str, state: DemoState) -> tuple:
        """Switch model, keeping the current image as the new start."""
        fresh = self.new_state(name, state.session.current.pil(), state.rng)
        return self.view(fresh, f"now editing with {self.catalog.label(name)}")

    def sample(self, state: DemoState) -> tuple:
        """A random test item as the start image; its instruction goes to the instruction box."""
        config = state.session.editor.config
        image, text = DOMAINS[config.domain].test_item(config.data, state.rng.randrange(1 << 30))
        state.session.reset(image)
        return (*self.view(state, f"a test item; its instruction: *{text}*"), text)

    def blank(self, state: DemoState) -> tuple:
        """An empty canvas of the domain's background, for instructions that draw from nothing."""
        if not DOMAINS[state.domain].demo.get("blank"):
            raise ImiError(f"a blank canvas is for {_offering('blank')} models: switch the domain to it")
        editor = state.session.editor
        shape = (editor.image_size, editor.image_size) + ((editor.channels,) if editor.channels > 1 else ())
        state.session.reset(np.full(shape, editor.config.data.background, np.uint8))
        return self.view(state, "a blank canvas: try *put 3 on the middle*")

    def avatar(self, state: DemoState) -> tuple:
        random_item = DOMAINS[state.domain].demo.get("random_item")
        if random_item is None:
            raise ImiError(f"random pictures are for {_offering('random_item')} models: switch the domain to it")
        state.session.reset(random_item(state.rng.randrange(1 << 30), state.session.editor.image_size))
        return self.view(state, "a new random avatar")

    def upload(self, file: str | None, state: DemoState) -> tuple:
        if not file:
            raise ImiError("no file received")
        background = state.session.editor.config.data.background
        state.session.reset(starts.load_upload(file, background, self.max_upload_bytes))
        return self.view(
            state, f"uploaded {Path(file).name}, resized to the model's {state.session.editor.image_size} px"
        )

    def sketch(self, drawing: dict | np.ndarray | None, cell: str, size: str, state: DemoState) -> tuple:
        if not DOMAINS[state.domain].demo.get("sketch"):
            raise ImiError(f"the sketch pad places glyphs of {_offering('sketch')}: switch the domain to it")
        layers = drawing.get("composite") if isinstance(drawing, dict) else drawing
        if layers is None:
            raise ImiError("the sketch pad is empty: draw a digit first")
        glyph = starts.sketch_glyph(np.asarray(layers))
        state.session.reset(starts.place_glyph(glyph, cell, size, state.session.editor.image_size))
        return self.view(state, f"your digit: its box starts at the {cell} cell and spans {size}")

    # -- editing ---------------------------------------------------------------------------------
    def apply(self, text: str, state: DemoState) -> tuple:
        state.session.apply(text or "")
        return self.view(state)

    def undo(self, state: DemoState) -> tuple:
        message = "" if state.session.can_undo else "nothing to undo"
        state.session.undo()
        return self.view(state, message)

    def redo(self, state: DemoState) -> tuple:
        message = "" if state.session.can_redo else "nothing to redo"
        state.session.redo()
        return self.view(state, message)

    def restart(self, state: DemoState) -> tuple:
        """Back to the start image of this history (reset to the same picture)."""
        state.session.reset(state.session.history[0].pil())
        return self.view(state, "history cleared")

    def export(self, state: DemoState | None) -> list[str]:
        """The visible history as a PNG strip and an animated GIF (paths for download)."""
        if state is None:
            return []
        folder = Path(tempfile.mkdtemp(dir=self.exports))
        return [str(state.session.export_strip(folder / "imi-edits.png")),
                str(state.session.export_gif(folder / "imi-edits.gif"))]  # fmt: skip

    def compare(self, text: str, other: str | None, state: DemoState) -> tuple:
        """The same instruction on the current image through this model and ``other``; history untouched.

        Returns (this result, its change, other result, its change, message); errors go to the message.
        """
        try:
            if state is None:
                raise ImiError("this page has no session yet: reload it")
            return self._compare(text, other, state)
        except (ImiError, ValueError) as err:
            return (gr.update(),) * 4 + (f"**Not done:** {err}",)

    def _compare(self, text: str, other: str | None, state: DemoState) -> tuple:
        if other not in self.catalog.names(state.domain):
            raise ImiError(f"pick a second {state.domain} model to compare with")
        current = state.session.current.pil()
        results = []
        for name in (state.model, other):
            s = EditSession(self.catalog.editor(name), current, seed=state.session.seed + state.session.cursor)
            s.apply(text or "")
            results += [magnify(s.current.image), _heat(s.difference())]
        return (*results, f"**{state.model}** (left) vs **{other}** (right): *{' '.join(text.split())}*")

    def hints(self, text: str, state: DemoState | None) -> str:
        """Vocabulary words that complete the word being typed (autocompletion hints)."""
        if state is None:
            return ""
        if state.session.editor.tokenizer.reads_text:
            return "type it your way: this model reads whole sentences (a pretrained sentence encoder)"
        vocab = [w for w in state.session.editor.tokenizer.vocab.words if not w.startswith("<")]
        partial = "" if not text or text.endswith(" ") else text.split()[-1].lower()
        matches = [w for w in vocab if w.startswith(partial)] if partial else []
        if not matches:
            return f"{len(vocab)} words known" if not partial else f"no known word starts with *{partial}*"
        return "completions: " + " · ".join(f"`{w}`" for w in matches[:12]) + (" …" if len(matches) > 12 else "")

    def examples(self, domain: str, n: int = 8) -> list[str]:
        names = self.catalog.names(domain)
        if not names:
            return []
        config = self.catalog.editor(names[0]).config
        item = DOMAINS[config.domain].test_item
        return list(dict.fromkeys(item(config.data, 7919 * i)[1] for i in range(n)))


# The tab of each task beyond editing: title, behaviour class, layout; picked by the models loaded.
TABS = {
    "caption": ("caption grids", caption.CaptionDemo, caption.build_tab),
    "generate": ("generate scenes", generate.GenerateDemo, generate.build_tab),
    "synthesize": ("draw from label maps", synthesize.SynthDemo, synthesize.build_tab),
    "scribble": ("few-shot scribbles", scribble.ScribbleDemo, scribble.build_tab),  # synthesis models taking scribbles
    "drag": ("drag to edit", drag.DragDemo, drag.build_tab),
}


def build(demo: Demo) -> gr.Blocks:
    """Lay the app out and wire its events (API names in brackets: /apply, /undo, /redo …)."""
    domains = demo.catalog.domains()
    first = domains[0]
    g = demo.guarded
    with gr.Blocks(title="IMI — edit images with instructions", analytics_enabled=False) as app:
        state = gr.State(None)
        gr.Markdown(
            "# IMI — edit images with instructions\n"
            "Type what should change; each instruction edits the last result. "
            "Undo, redo, compare two models, download the sequence."
        )
        # Consecutive tabs form one tab bar: editing, then one tab per other task with a model loaded.
        with gr.Tab("edit images", id="edit"):
            with gr.Row():
                domain = gr.Radio(domains, value=first, label="domain")
                model = gr.Dropdown(demo.catalog.names(first), value=demo.catalog.names(first)[0], label="model")
            with gr.Row():
                with gr.Column(scale=2):
                    # Captions above the panels, not gradio's label badges, which sit on the pictures.
                    gr.Markdown("**current image** — the last edit's result")
                    current = gr.Image(
                        show_label=False, type="filepath", interactive=False, height=280, elem_id="current"
                    )
                    text = gr.Textbox(
                        label="instruction", placeholder="e.g. move zero to the top left", elem_id="instruction"
                    )
                    hint = gr.Markdown(elem_id="hints")
                    example = gr.Dropdown(demo.examples(first), value=None, label="examples (pick one to fill the box)")
                    with gr.Row():
                        apply_btn = gr.Button("apply", variant="primary", elem_id="apply")
                        undo_btn = gr.Button("undo")
                        redo_btn = gr.Button("redo")
                        reset_btn = gr.Button("reset")
                    status = gr.Markdown(elem_id="status")
                with gr.Column(scale=2):
                    with gr.Row():
                        with gr.Column(min_width=160):
                            gr.Markdown("**what the model redrew** (its mask)")
                            mask = gr.Image(
                                show_label=False, type="filepath", format="png", interactive=False, height=200
                            )
                        with gr.Column(min_width=160):
                            gr.Markdown("**|previous − current|** — black: no change")
                            diff = gr.Image(
                                show_label=False, type="filepath", format="png", interactive=False, height=200
                            )
                    gr.Markdown("**history** — every step, captioned; undo and redo walk it")
                    history = gr.Image(show_label=False, type="filepath", interactive=False, elem_id="history")
                    export_btn = gr.Button("download the sequence (PNG strip + GIF)")
                    files = gr.File(
                        label="sequence", file_count="multiple", interactive=False
                    )  # full width: names whole
            with gr.Accordion("start from …", open=False):
                with gr.Row():
                    sample_btn = gr.Button("random test sample")
                    blank_btn = gr.Button(
                        "blank canvas", visible=bool(DOMAINS[first].demo.get("blank")), elem_id="blank"
                    )
                    avatar_btn = gr.Button(
                        "random picture", visible="random_item" in DOMAINS[first].demo, elem_id="random-avatar"
                    )
                    upload = gr.File(label="upload an image", file_types=["image"], type="filepath")
                with gr.Row(visible=bool(DOMAINS[first].demo.get("sketch")), elem_id="sketch-row") as sketch_row:
                    pad = gr.Sketchpad(
                        value=starts.sketch_paper(),
                        label="draw a digit in black",
                        type="numpy",
                        image_mode="RGBA",
                        canvas_size=(280, 280),
                        brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed"),
                        layers=False,
                        elem_id="sketch",
                    )
                    with gr.Column():
                        cell = gr.Dropdown(list(starts.CELLS), value="top left", label="the box's top-left cell")
                        size = gr.Dropdown(list(starts.SIZES), value="2×2 cells", label="size")
                        place_btn = gr.Button("place the digit on the canvas")
            with gr.Accordion("compare two models", open=False):
                other = gr.Dropdown(demo.catalog.names(first)[1:], value=None, label="second model", elem_id="other")
                compare_btn = gr.Button("compare on the current image", elem_id="compare")
                with gr.Row():
                    left, left_diff, right, right_diff = (
                        gr.Image(label=label, format="png", interactive=False)
                        for label in ("this model", "its change", "second model", "its change")
                    )
                compare_status = gr.Markdown(elem_id="compare-status")
        for task, (title, _, build_tab) in TABS.items():
            if demo.tabs[task].models():
                with gr.Tab(title, id=task):
                    build_tab(demo.tabs[task], app)

        view = [state, current, history, mask, diff, status]

        def on_domain(d, s):
            names = demo.catalog.names(d)
            menus = (gr.update(choices=names, value=names[0]), gr.update(choices=names[1:], value=None),
                     gr.update(choices=demo.examples(d), value=None))  # fmt: skip
            extras = DOMAINS[d].demo
            starts_shown = (gr.update(visible="random_item" in extras), gr.update(visible=bool(extras.get("sketch"))),
                            gr.update(visible=bool(extras.get("blank"))))  # fmt: skip
            # Nothing of the previous domain stays on the page: its comparison, its upload.
            cleared = (None, None, None, None, "", None)
            return (*demo.start(d, s), *menus, *starts_shown, *cleared)

        app.load(g(lambda s: demo.start(first, s), 1, False), [state], [*view, text], api_name="start")
        domain.change(g(on_domain, 13, False), [domain, state],
                      [*view, text, model, other, example, avatar_btn, sketch_row, blank_btn,
                       left, left_diff, right, right_diff, compare_status, upload], api_name="domain")  # fmt: skip
        model.input(g(demo.choose_model), [model, state], view, api_name="model")
        example.input(lambda e: e or "", [example], [text], api_visibility="private")
        text.input(demo.hints, [text, state], [hint], api_name="hints", queue=False)
        apply_btn.click(g(demo.apply), [text, state], view, api_name="apply")
        text.submit(g(demo.apply), [text, state], view, api_visibility="private")
        undo_btn.click(g(demo.undo), [state], view, api_name="undo")
        redo_btn.click(g(demo.redo), [state], view, api_name="redo")
        reset_btn.click(g(demo.restart), [state], view, api_name="reset")
        sample_btn.click(g(demo.sample, extra=1), [state], [*view, text], api_name="sample")
        avatar_btn.click(g(demo.avatar), [state], view, api_name="avatar")
        blank_btn.click(g(demo.blank), [state], view, api_name="blank")
        upload.upload(g(demo.upload), [upload, state], view, api_name="upload")
        place_btn.click(g(demo.sketch), [pad, cell, size, state], view, api_name="sketch")
        export_btn.click(demo.export, [state], [files], api_name="export")
        compare_btn.click(
            demo.compare, [text, other, state], [left, left_diff, right, right_diff, compare_status], api_name="compare"
        )
    return app


def launch(
    checkpoints: list[str] = (),
    host: str = HOST,
    port: int = 7860,
    max_upload_mb: float = starts.MAX_UPLOAD_BYTES / 2**20,
    block: bool = True,
    open_browser: bool = False,
    shipped: bool = True,
    seed: int | None = None,
):
    """Start the app (``imi demo``) on the shipped checkpoints (unless ``shipped`` is False) and
    ``checkpoints``; returns ``(app, url)`` when ``block`` is False."""
    cap = int(max_upload_mb * 2**20)
    app = build(Demo(ModelCatalog(checkpoints, include_shipped=shipped), max_upload_bytes=cap, seed=seed))
    app.queue(default_concurrency_limit=1)  # one edit at a time: the CPU is the bottleneck anyway
    try:
        _, url, _ = app.launch(
            server_name=host,
            server_port=port,
            max_file_size=cap,
            prevent_thread_lock=not block,
            quiet=not block,
            inbrowser=open_browser,
        )
    except OSError as err:  # gradio reports a taken port as OSError
        raise ImiError(f"cannot serve on {host}:{port} ({err}); pick another port with --port") from None
    return app, url
