"""`imi study serve`: the rating page (Gradio). A rater enters a name, then rates one item at a time.

The page holds only the rater's name; which item is open, its left/right order
and every answer live in the study file, so a reload, a second tab or a server
restart continues where the rater was.
"""

from __future__ import annotations

import gradio as gr

from imi.core.serving import HOST, magnify
from imi.study.store import SCALE, Shown, StudyError, StudyStore


def _page(shown: Shown | None, rater: str, message: str = "") -> tuple:
    """(rater, the item on this page, source, instruction, left, right, progress, scale reset)."""
    if shown is None:
        done = f"Thank you, {rater}: nothing more to rate." + (f" (last answer {message})" if message else "")
        return (rater, None, None, "", None, None, done, gr.update(value=None))
    head = f"**{rater}** · item {shown.position} of at most {shown.limit}"
    return (
        rater,
        shown.item,
        magnify(shown.source),
        f"### “{shown.instruction}”",
        magnify(shown.left),
        magnify(shown.right),
        head + (f"\n\n{message}" if message else ""),
        gr.update(value=None),
    )


def build(store: StudyStore) -> gr.Blocks:
    def begin(name: str, rater: str | None) -> tuple:
        try:
            return _page(store.next_item(name), name.strip())
        except StudyError as err:
            return (rater, None, None, "", None, None, f"**Not done:** {err}", gr.update())

    def submit(choice: str | None, rater: str | None, item: int | None) -> tuple:
        keep = (rater, item, gr.update(), gr.update(), gr.update(), gr.update())
        try:
            if not rater or item is None:
                raise StudyError("enter your rater name and press start")
            if choice not in SCALE:
                raise StudyError("pick one of the five answers first")
            # The answer is for the item this page shows (its id travels with the page), never for
            # whatever the database holds open: with two tabs, those differ.
            try:
                store.answer(rater, item, SCALE.index(choice) + 1)
            except StudyError:
                return _page(store.next_item(rater), rater, "not saved: this item was answered already (another "
                             "tab?); here is your next one")  # fmt: skip
            return _page(store.next_item(rater), rater, "saved")
        except StudyError as err:
            return (*keep, f"**Not done:** {err}", gr.update())

    with gr.Blocks(title="IMI preference study", analytics_enabled=False) as app:
        rater = gr.State(None)
        item = gr.State(None)  # the item this page shows
        gr.Markdown(
            "# Which result follows the instruction better?\n"
            "You see the original image, an instruction, and two edited images. "
            "Judge which edit does what the instruction asks while keeping the rest of the image."
        )
        with gr.Row():
            name = gr.Textbox(label="your rater name", elem_id="rater")
            start = gr.Button("start", variant="primary")
        instruction = gr.Markdown()
        with gr.Row():
            source = gr.Image(label="original", format="png", interactive=False)
            left = gr.Image(label="left", format="png", interactive=False)
            right = gr.Image(label="right", format="png", interactive=False)
        choice = gr.Radio(list(SCALE), label="your answer")
        send = gr.Button("submit", variant="primary")
        progress = gr.Markdown()
        page = [rater, item, source, instruction, left, right, progress, choice]
        start.click(begin, [name, rater], page, api_name="begin")
        name.submit(begin, [name, rater], page, api_visibility="private")
        send.click(submit, [choice, rater, item], page, api_name="submit")
    return app


def serve(path: str, host: str = HOST, port: int = 7861, block: bool = True):
    app = build(StudyStore(path))
    app.queue(default_concurrency_limit=4)  # answers are short SQLite transactions
    try:
        _, url, _ = app.launch(server_name=host, server_port=port, prevent_thread_lock=not block, quiet=not block)
    except OSError as err:
        raise StudyError(f"cannot serve on {host}:{port} ({err}); pick another port with --port") from None
    return app, url
