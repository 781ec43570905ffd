"""The web app's generation tab: type a sentence, pick or upload a context scene, see the three stages.

Each browser tab holds a :class:`GenerateState` (the model's name, the context picture and a random
source). Generating shows the context, the picture at every stage (15×26, 30×52, 60×105 for the
shipped model) and what the context network read: the place and person the sentence names, what the
recognisers see in the context, and the context vector they were merged into (paper 001). Every
handler answers bad input with a message and leaves the state as it was.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import numpy as np

from imi.app import starts
from imi.app.models import ModelCatalog
from imi.core.errors import ImiError
from imi.core.serving import magnify
from imi.registry import DOMAINS

SCALE = 4  # the 60×105 pictures are shown 4× larger; the smaller stages as large as the last


@dataclass
class GenerateState:
    model: str
    context: np.ndarray  # uint8 (H, W, 3): the context picture
    rng: random.Random


class GenerateDemo:
    """The generation tab's behaviour (:func:`build_tab` lays it out). Handlers take their inputs, then
    the state, and return (state, context, stage 1, stage 2, stage 3, what was read, status)."""

    def __init__(self, catalog: ModelCatalog, max_upload_bytes: int = starts.MAX_UPLOAD_BYTES, seed: int | None = None):
        self.catalog = catalog
        self.max_upload_bytes = max_upload_bytes
        self.seed = seed

    def models(self) -> list[str]:
        return self.catalog.names(task="generate")

    def generator(self, name: str):
        return self.catalog.pipeline(name, "generate")

    def examples(self, name: str, n: int = 8) -> list[str]:
        config = self.generator(name).config
        item = DOMAINS[config.domain].test_item
        return list(dict.fromkeys(item(config.data, 7919 * i)[1] for i in range(n)))

    def guarded(self, fn):
        """Run a handler; a user error becomes the status message and the tab stays as it was."""

        @functools.wraps(fn)
        def run(*args):
            try:
                if args[-1] is None:
                    raise ImiError("this tab has no context yet: pick a generation model")
                return fn(*args)
            except (ImiError, ValueError, OSError) as err:
                return (args[-1], *[_keep()] * 5, f"**Not done:** {err}")

        return run

    def view(self, text: str, seed: float, state: GenerateState, message: str = "") -> tuple:
        generator = self.generator(state.model)
        w = generator.size[1]
        context = magnify(state.context, SCALE)
        if not (isinstance(text, str) and text.strip()):
            hint = f"{message}; " if message else ""
            return (state, context, None, None, None, "", hint + "type a sentence and press generate")
        out = generator.generate(text, state.context, int(seed))
        shown = [magnify(s, SCALE * w // s.shape[1]) for s in out.stages]
        read = "\n".join(f"- **{k}**: {v}" for k, v in out.read.items())
        line = f"**{state.model}** · seed {int(seed)}" + (f"\n\n{message}" if message else "")
        return (state, context, *shown, read, line)

    def start(self, model: str, text: str, seed: float, state: GenerateState | None) -> tuple:
        """A fresh state on ``model``, with a random test scene as the context."""
        rng = state.rng if state is not None else random.Random(self.seed)
        h, w = self.generator(model).size
        return self.random_context(text, seed, GenerateState(model, np.zeros((h, w, 3), np.uint8), rng))

    def random_context(self, text: str, seed: float, state: GenerateState) -> tuple:
        config = self.generator(state.model).config
        domain = DOMAINS[config.domain]
        picture, _ = domain.test_item(config.data, state.rng.randrange(domain.test_items(config.data)))
        state.context = picture
        return self.view(text, seed, state, "the context is a test scene")

    def upload(self, file: str | None, text: str, seed: float, state: GenerateState) -> tuple:
        if not file:
            raise ImiError("no file received")
        generator = self.generator(state.model)
        pixels = starts.load_upload(file, generator.config.data.background, self.max_upload_bytes)
        state.context = generator.preprocess([pixels])[0].permute(1, 2, 0).numpy()
        h, w = generator.size
        return self.view(text, seed, state, f"uploaded, resized to {h}×{w}")


def _keep():
    import gradio as gr

    return gr.update()


def build_tab(demo: GenerateDemo, app) -> None:
    """The generation tab's components and events, inside the app's ``gr.Blocks`` (API names /generate_*)."""
    import gradio as gr

    names = demo.models()
    state = gr.State(None)
    gr.Markdown(
        "Describe a picture and give a **context** picture of the same album: what the sentence leaves "
        "out comes from the context — the place when it names none, and the person when it names only a "
        "kind (\"a woman\" → the woman in the context). The picture is drawn in three stages (paper 001)."
    )
    with gr.Row():
        model = gr.Dropdown(names, value=names[0], label="generation model", elem_id="generate-model")
        seed = gr.Number(value=0, precision=0, minimum=0, label="seed", elem_id="generate-seed")
    with gr.Row():
        with gr.Column(scale=1):
            gr.Markdown("**context** — another picture of the album")
            context = gr.Image(show_label=False, type="filepath", interactive=False, elem_id="generate-context")
            random_btn = gr.Button("random test scene", elem_id="generate-random")
            upload = gr.File(label="upload a context picture", file_types=["image"], type="filepath")
        with gr.Column(scale=2):
            text = gr.Textbox(label="sentence", placeholder="e.g. a woman is reading", elem_id="generate-text")
            example = gr.Dropdown(demo.examples(names[0]), value=None, label="examples (pick one to fill the box)")
            go = gr.Button("generate", variant="primary", elem_id="generate-go")
            with gr.Row():
                stages = [gr.Image(label=f"stage {k + 1}", type="filepath", interactive=False, elem_id=f"stage{k + 1}")
                          for k in range(3)]  # fmt: skip
            read = gr.Markdown(elem_id="generate-read")
            status = gr.Markdown(elem_id="generate-status")
    view = [state, context, *stages, read, status]
    g = demo.guarded

    def start(name, *rest):
        try:
            return demo.start(name, *rest)
        except (ImiError, ValueError, OSError) as err:
            return (rest[-1], *[gr.update()] * 5, f"**Not done:** {err}")

    app.load(start, [model, text, seed, state], view, api_name="generate_start")
    model.input(start, [model, text, seed, state], view, api_name="generate_model")
    example.input(lambda e: e or "", [example], [text], api_visibility="private")
    go.click(g(demo.view), [text, seed, state], view, api_name="generate")
    text.submit(g(demo.view), [text, seed, state], view, api_visibility="private")
    random_btn.click(g(demo.random_context), [text, seed, state], view, api_name="generate_random")
    upload.upload(g(demo.upload), [upload, text, seed, state], view, api_name="generate_upload")
