"""Redraw the README's screenshot of `imi demo` (docs/demo.png) in headless Chromium.

    python tools/screenshot_demo.py [--out docs/demo.png] [--chromium /usr/bin/chromium]
    python tools/screenshot_demo.py --caption --out docs/demo-caption.png
    python tools/screenshot_demo.py --generate "a woman is reading" --out docs/demo-generate.png
    python tools/screenshot_demo.py --synthesize --out docs/demo-synthesize.png
    python tools/screenshot_demo.py --scribble --out docs/demo-scribble.png
    python tools/screenshot_demo.py --drag --out docs/demo-drag.png

Starts the demo on the shipped checkpoints and follows the newcomer's path of
tests/test_app.py::test_a_newcomers_first_minute on them: a blank canvas,
"put 3 on the top left", "move three to the right"; then photographs the page
(the result, its history, the model's change map and the difference). With ``--caption``
it photographs the caption tab instead: a test grid, its caption under the code (1.5, 0, 0),
six captions under fresh codes, and what that code names over the test split; with ``--generate``
the generate tab: a random test scene as context, the sentence, the three stages and what was read;
with ``--synthesize`` the label-map tab: a test map drawn, then the hair's look resampled; with
``--scribble`` the few-shot tab: a test avatar's strokes drawn, with the K examples beside them; with
``--drag`` the drag tab: a pin and a handle clicked on the picture itself (the page's own click events), the
handle's target clicked, and the live drag's result.
"""

from __future__ import annotations

import argparse
import re
import socket

from playwright.sync_api import expect, sync_playwright

from imi.app.demo import launch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/demo.png")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--seed", type=int, default=3, help="of the demo's random start images")
    parser.add_argument("--steps", nargs="+", default=["put 3 on the top left", "move three to the right"])
    parser.add_argument("--caption", action="store_true", help="photograph the caption tab")
    parser.add_argument("--generate", default=None, help="photograph the generate tab with this sentence")
    parser.add_argument("--synthesize", action="store_true", help="photograph the label-map tab")
    parser.add_argument("--scribble", action="store_true", help="photograph the few-shot scribble tab")
    parser.add_argument("--drag", action="store_true", help="photograph the drag tab after a click-and-drag")
    parser.add_argument("--drag-seed", type=int, default=4, help="the drag tab's start picture")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app, url = launch(port=port, block=False, seed=args.seed)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 760})
            page.goto(url)
            if args.drag:
                drag_tab(page, args.out, args.drag_seed)
                browser.close()
                return
            if args.caption or args.generate or args.synthesize or args.scribble:
                if args.synthesize or args.scribble:
                    (synthesize_tab if args.synthesize else scribble_tab)(page, args.out)
                else:
                    caption_tab(page, args.out) if args.caption else generate_tab(page, args.out, args.generate)
                browser.close()
                return
            status = page.locator("#status")
            expect(status).to_contain_text("step 0 of 0", timeout=120_000)
            page.get_by_text("start from …").click()
            page.locator("#blank").click()
            expect(status).to_contain_text("blank canvas", timeout=60_000)
            box = page.locator("#instruction textarea")
            for n, text in enumerate(args.steps, start=1):
                box.fill("")
                box.press_sequentially(text)
                page.locator("#apply").click()
                expect(status).to_contain_text(f"step {n} of {n}", timeout=60_000)
            page.get_by_text("start from …").click()  # closed again: the photo shows the editing view
            page.screenshot(path=args.out, full_page=True, clip={"x": 0, "y": 0, "width": 1400, "height": 700})
            browser.close()
    finally:
        app.close()
    print(f"wrote {args.out}")


def caption_tab(page, out: str) -> None:
    page.get_by_role("tab", name="caption grids").click()
    status = page.locator("#caption-status")
    expect(status).to_contain_text("test grid", timeout=120_000)
    slider = page.locator("#c1 input[type=number]")
    slider.fill("1.5")
    slider.press("Enter")
    expect(status).to_contain_text("+1.50", timeout=60_000)  # the slider's view
    page.locator("#caption-random").click()
    expect(status).to_have_text(re.compile(r"\+1\.50.*test grid", re.S), timeout=60_000)  # the new grid's
    page.screenshot(path=out, full_page=True, clip={"x": 0, "y": 90, "width": 1400, "height": 720})
    print(f"wrote {out}")


def generate_tab(page, out: str, text: str) -> None:
    page.get_by_role("tab", name="generate scenes").click()
    status = page.locator("#generate-status")
    expect(status).to_contain_text("test scene", timeout=120_000)
    page.locator("#generate-text textarea").fill(text)
    page.locator("#generate-go").click()
    expect(page.locator("#generate-read")).to_contain_text("merged", timeout=60_000)
    page.screenshot(path=out, full_page=True, clip={"x": 0, "y": 90, "width": 1400, "height": 720})
    print(f"wrote {out}")


def synthesize_tab(page, out: str) -> None:
    page.get_by_role("tab", name="draw from label maps").click()
    status = page.locator("#synth-status")
    expect(status).to_contain_text("test avatar", timeout=120_000)
    page.locator("#synth-random").click()  # drawn while the tab shows: the editor's canvas sizes itself
    expect(status).to_contain_text("test avatar", timeout=60_000)
    page.wait_for_timeout(1500)
    page.locator("#synth-resample").click()
    expect(status).to_contain_text("new look for the hair", timeout=60_000)
    page.screenshot(path=out, full_page=True, clip={"x": 0, "y": 90, "width": 1400, "height": 760})
    print(f"wrote {out}")


def scribble_tab(page, out: str) -> None:
    page.get_by_role("tab", name="few-shot scribbles").click()
    status = page.locator("#few-status")
    expect(status).to_contain_text("few strokes", timeout=120_000)
    page.locator("#few-strokes").click()  # drawn while the tab shows: the editor's canvas sizes itself
    expect(status).to_contain_text("few strokes", timeout=60_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=out, full_page=True, clip={"x": 0, "y": 90, "width": 1400, "height": 760})
    print(f"wrote {out}")


def drag_tab(page, out: str, seed: int) -> None:
    """Clicks land on picture pixels: the 64×64 picture is shown 4× and fitted into the image box."""
    from imi.domains.canvas import judge
    from imi.pipelines.drag import DragEditor

    page.get_by_role("tab", name="drag to edit").click()
    status = page.locator("#drag-status")
    expect(status).to_contain_text("seed 0", timeout=120_000)
    page.locator("#drag-seed input").fill(str(seed))
    page.locator("#drag-new").click()
    expect(status).to_contain_text(f"seed {seed}", timeout=60_000)
    # Where to click: the glyph's centre as the handle, dragged 12 px right; a pin 10 px left of it.
    editor = DragEditor.from_pretrained("canvas-drag")
    x, y, _ = judge.placement(editor.pictures(editor.sample_latent(seed)[None]))[0].tolist()
    picture = page.locator("#drag-picture img")
    box = picture.bounding_box()

    def click(px: float, py: float) -> None:
        page.mouse.click(box["x"] + (px + 0.5) / 64 * box["width"], box["y"] + (py + 0.5) / 64 * box["height"])

    page.get_by_label("pin").check()
    click(x - 10, y)
    expect(status).to_contain_text("pin at", timeout=60_000)
    page.get_by_label("drag", exact=True).check()
    click(x, y)
    expect(status).to_contain_text("now click its target", timeout=60_000)
    click(min(63.0, x + 12), y)
    expect(status).to_contain_text("dragged 1 point", timeout=60_000)
    page.wait_for_timeout(800)
    page.screenshot(path=out, full_page=True, clip={"x": 0, "y": 90, "width": 1400, "height": 620})
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

