"""`imi demo` driven through a real client (gradio_client over HTTP), and once through headless Chromium."""

import io
import os
import shutil
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from imi.app import starts
from imi.app.demo import Demo, launch
from imi.app.models import ModelCatalog
from imi.core import checkpoint as ckpt
from imi.core.images import ImageInputError
from imi.pipelines.edit import SHIPPED
from imi.presets import resolve
from imi.registry import DOMAINS, build_model

from .conftest import TINY

gradio_client = pytest.importorskip("gradio_client")

MODEL_TINY = {k: v for k, v in TINY.items() if k.startswith("model.")}


def save_untrained(path: Path, preset: str) -> Path:
    """An untrained tiny checkpoint of ``preset`` (weights are seeded; the app does not care if they edit well)."""
    config = resolve(preset, MODEL_TINY)
    torch.manual_seed(0)
    model = build_model(config.variant, config.model)
    vocab = DOMAINS[config.domain].tokenizer().vocab.itos
    path.mkdir(parents=True)
    ckpt.save_pretrained(path, model, config, list(vocab), 0)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # The first digit model must really edit: a step that changes no pixel is refused (NoChangeError).
    root = tmp_path_factory.mktemp("app-models")
    ours = shutil.copytree(SHIPPED / "digits", root / "ours")
    paths = [ours, save_untrained(root / "digits-sim", "digits-sim"), save_untrained(root / "av", "avatars-sim")]
    app, url = launch([str(p) for p in paths], port=free_port(), block=False, shipped=False, max_upload_mb=0.05)
    yield url
    app.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(url):
    return gradio_client.Client(url, verbose=False)


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def history_steps(strip_path) -> int:
    """Panels in the history strip: 64-pixel images shown 2× with 4-pixel gaps (imi.core.viz.strip_image)."""
    width = Image.open(strip_path).width
    assert (width - 4) % (128 + 4) == 0, width
    return (width - 4) // (128 + 4)


def test_binds_to_localhost_only(server):
    assert server.startswith("http://127.0.0.1:")


def test_apply_undo_redo_reset(server):
    c = client(server)
    loaded = c.predict(api_name="/start")
    assert "step 0 of 0" in loaded[4] and loaded[-1]  # the test item's instruction is put in the box
    start = c.predict(api_name="/blank")  # a known start: each edit below changes the picture
    first = c.predict("put 3 on the top left", api_name="/apply")
    assert "step 1 of 1" in first[4] and history_steps(first[1]) == 2  # history: start + one edit
    second = c.predict("expand three to the bottom right", api_name="/apply")
    assert "step 2 of 2" in second[4]
    back = c.predict(api_name="/undo")
    assert "step 1 of 2" in back[4] and "1 to redo" in back[4]
    assert np.array_equal(pixels(back[0]), pixels(first[0]))
    again = c.predict(api_name="/redo")
    assert "step 2 of 2" in again[4] and np.array_equal(pixels(again[0]), pixels(second[0]))
    assert "nothing to redo" in c.predict(api_name="/redo")[4]
    reset = c.predict(api_name="/reset")
    assert "step 0 of 0" in reset[4] and np.array_equal(pixels(reset[0]), pixels(start[0]))
    assert "nothing to undo" in c.predict(api_name="/undo")[4]


def test_bad_instructions_are_answered_and_the_history_kept(server):
    c = client(server)
    c.predict(api_name="/start")
    typo = c.predict("move zero to the lefft", api_name="/apply")[4]
    assert "Not done" in typo and "lefft" in typo and "left" in typo.split("did you mean")[1]
    assert "empty" in c.predict("   ", api_name="/apply")[4]
    assert "step 0 of 0" in c.predict(api_name="/undo")[4]  # nothing was added
    assert "for avatars models: switch the domain" in c.predict(api_name="/avatar")[4]
    assert "zero" in c.predict("move ze", api_name="/hints")


def test_uploads(server, tmp_path):
    c = client(server)
    c.predict(api_name="/start")
    rgba = np.zeros((100, 80, 4), np.uint8)
    rgba[20:60, 30:50] = 255  # an opaque white block on a transparent field
    Image.fromarray(rgba, "RGBA").save(tmp_path / "alpha.png")
    out = c.predict(gradio_client.handle_file(str(tmp_path / "alpha.png")), api_name="/upload")
    assert "uploaded alpha.png" in out[4] and pixels(out[0]).shape == (256, 256, 3)
    Image.fromarray(np.full((30, 30), 200, np.uint8), "L").save(tmp_path / "grey.jpg")
    assert (
        "uploaded grey.jpg" in c.predict(gradio_client.handle_file(str(tmp_path / "grey.jpg")), api_name="/upload")[4]
    )
    (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(500))
    assert (
        "not a readable image"
        in c.predict(gradio_client.handle_file(str(tmp_path / "junk.png")), api_name="/upload")[4]
    )
    (tmp_path / "big.bmp").write_bytes(b"BM" + bytes(80_000))  # over the 0.05 MB cap of this server
    with pytest.raises(Exception, match=r"(?i)size|large|exceed"):  # the server refuses it before the handler
        c.predict(gradio_client.handle_file(str(tmp_path / "big.bmp")), api_name="/upload")
    assert "step 0 of 0" in c.predict(api_name="/undo")[4]  # still up, same session


def test_compare_and_export(server):
    c = client(server)
    start = c.predict(api_name="/start")
    left, left_diff, right, right_diff, message = c.predict(start[-1], "digits-sim", api_name="/compare")
    assert "ours" in message and "digits-sim" in message
    assert {pixels(x).shape for x in (left, left_diff, right, right_diff)} == {(256, 256, 3)}
    assert "step 0 of 0" in c.predict(api_name="/undo")[4]  # compare leaves the history alone
    assert "pick a second digits model" in c.predict(start[-1], None, api_name="/compare")[-1]
    with pytest.raises(Exception, match="not in the list of choices"):  # gradio checks menu values itself
        c.predict(start[-1], "no-such-model", api_name="/compare")
    c.predict(start[-1], api_name="/apply")
    files = c.predict(api_name="/export")
    paths = sorted((Path(f) for f in files), key=lambda p: p.suffix)
    assert [p.suffix for p in paths] == [".gif", ".png"] and Image.open(paths[0]).n_frames == 2


def test_avatars_domain_and_unk_warning(server):
    c = client(server)
    c.predict(api_name="/start")
    out = c.predict("avatars", api_name="/domain")
    assert "**av**" in out[4]
    assert "new random avatar" in c.predict(api_name="/avatar")[4]
    warned = c.predict("make his hair zorblax purple", api_name="/apply")[4]
    assert "step 1 of 1" in warned and "<unk>" in warned and "zorblax" in warned
    assert "glyphs of digits: switch the domain" in c.predict(None, "center", "2×2 cells", api_name="/sketch")[4]


def test_eight_concurrent_sessions_keep_their_own_history(server):
    errors, results = [], {}

    def session(i: int) -> None:
        try:
            c = client(server)
            text = c.predict(api_name="/start")[-1]
            done = 0  # an edit that changes nothing is refused and not counted (NoChangeError)
            for k in range(i % 3 + 1):
                out = c.predict(text if k % 2 == 0 else "remove zero", api_name="/apply")
                done += "Not done" not in out[4]
            results[i] = (done, out[4], out[1])
        except Exception as err:  # reported below with the session number
            errors.append((i, repr(err)))

    threads = [threading.Thread(target=session, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors and len(results) == 8
    for n, status, history in results.values():
        assert f"step {n} of {n}" in status and history_steps(history) == n + 1
    assert sum(n for n, _, _ in results.values()) >= 8  # most edits did change the picture


def test_sketch_pad_starts_a_digit_session(tiny_run):
    demo = Demo(ModelCatalog([tiny_run], include_shipped=False))
    state = demo.new_state("tiny")
    drawing = np.full((280, 280, 4), 255, np.uint8)  # the pad's white background, opaque
    drawing[60:220, 130:150, :3] = 0  # a dark stroke
    out = demo.sketch({"background": None, "layers": [], "composite": drawing}, "right", "2×2 cells", state)
    assert "its box starts at the right cell" in out[-1] and "step 0 of 0" in out[-1]
    image = state.session.current.image[0].numpy()
    assert image[:, :21].max() == 0 and image[:, 21:].max() > 100  # a 2×2 box at the right: columns 1-2
    assert "draw a digit first" in demo.guarded(demo.sketch)(None, "right", "2×2 cells", state)[-1]


def test_sketch_is_placed_on_the_grid():
    drawing = np.zeros((200, 200, 4), np.uint8)
    drawing[40:160, 90:110] = (0, 0, 0, 255)  # a black vertical stroke: a "one"
    glyph = starts.sketch_glyph(drawing)
    assert glyph.shape == (28, 28) and glyph.max() > 200 and glyph[:, :5].max() == 0
    scene = starts.place_glyph(glyph, "top left", "1×1 cell")
    assert scene.shape == (64, 64) and scene[:21, :21].max() > 100 and scene[30:, 30:].max() == 0
    with pytest.raises(ImageInputError, match="empty"):
        starts.sketch_glyph(np.zeros((50, 50, 4), np.uint8))


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="Debian chromium not installed")
def test_in_headless_chromium(server, tmp_path):
    """Open the page, type an instruction, press apply, and see the current image change."""
    assert CHROMIUM, "CI installs Debian's chromium (README test command)"
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(server)
        status = page.locator("#status")
        sync_api.expect(status).to_contain_text("step 0 of 0", timeout=60_000)
        box = page.locator("#instruction textarea")
        text = box.input_value()  # the test item's own instruction, put there on load
        assert text
        before = page.request.get(page.locator("#current img").get_attribute("src")).body()
        box.fill("")
        box.press_sequentially(text)
        page.locator("#apply").click()
        sync_api.expect(status).to_contain_text("step 1 of 1", timeout=60_000)
        after = page.request.get(page.locator("#current img").get_attribute("src")).body()
        assert after != before
        page.get_by_text("start from …").click()  # open the accordion: the digit starts show, not the avatar one
        sync_api.expect(page.locator("#sketch-row")).to_be_visible()
        sync_api.expect(page.locator("#random-avatar")).to_be_hidden()
        page.get_by_label("avatars").check()
        sync_api.expect(page.locator("#random-avatar")).to_be_visible(timeout=60_000)
        sync_api.expect(page.locator("#sketch-row")).to_be_hidden()
        page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
        browser.close()


def test_blank_canvas_numerals_and_a_clean_domain_switch(server):
    c = client(server)
    c.predict(api_name="/start")
    blank = c.predict(api_name="/blank")
    assert "blank canvas" in blank[4] and pixels(blank[0]).max() == 0
    put = c.predict("put 3 on the middle", api_name="/apply")
    assert "step 1 of 1" in put[4] and pixels(put[0]).max() > 0
    assert "digits-sim" in c.predict("remove three", "digits-sim", api_name="/compare")[4]  # a comparison shown
    out = c.predict("avatars", api_name="/domain")
    compare_status, upload = out[-2], out[-1]
    assert compare_status == "" and upload is None and all(x is None for x in out[-6:-2])
    assert "blank canvas is for digits" in c.predict(api_name="/blank")[4]


ARTEFACTS = Path(__file__).resolve().parents[1] / "test-artefacts"  # screenshots of the browser tests (ignored)


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="Debian chromium not installed")
def test_a_newcomers_first_minute(server):
    """Load, blank canvas, put, move, undo, an unreadable instruction, a sketch, switch domain: the screen is
    checked after each step and photographed (test-artefacts/newcomer/NN-step.png)."""
    assert CHROMIUM, "CI installs Debian's chromium (README test command)"
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    shots = ARTEFACTS / "newcomer"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        status, box = page.locator("#status"), page.locator("#instruction textarea")

        def current() -> bytes:
            return page.request.get(page.locator("#current img").get_attribute("src")).body()

        def say(text: str) -> None:
            box.fill("")
            box.press_sequentially(text)
            page.locator("#apply").click()

        def shot(name: str) -> None:
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        page.goto(server)
        expect(status).to_contain_text("step 0 of 0", timeout=60_000)
        assert box.input_value()  # a first instruction is offered
        shot("01-load")
        page.get_by_text("start from …").click()
        page.locator("#blank").click()
        expect(status).to_contain_text("blank canvas", timeout=60_000)
        blank = current()
        shot("02-blank")
        say("put 3 on the top left")
        expect(status).to_contain_text("step 1 of 1", timeout=60_000)
        put = current()
        assert put != blank
        shot("03-put")
        say("move three to the right")
        expect(status).to_contain_text("step 2 of 2", timeout=60_000)
        assert current() not in (put, blank)
        shot("04-move")
        page.get_by_role("button", name="undo", exact=True).click()
        expect(status).to_contain_text("step 1 of 2", timeout=60_000)
        assert current() == put
        shot("05-undo")
        say("把零向右移动")
        expect(status).to_contain_text("unknown word", timeout=60_000)
        expect(status).to_contain_text("step 1 of 2")  # nothing changed, no step used
        assert current() == put
        shot("06-unreadable")
        # The sketch pad draws on the first touch (no tool to pick) and the digit lands where the menus say.
        pad = page.locator("#sketch canvas").first
        pad.scroll_into_view_if_needed()
        expect(pad).to_be_visible()
        area = pad.bounding_box()
        x, y = area["x"] + area["width"] / 2, area["y"] + area["height"] / 2
        page.mouse.move(x, y - 60)
        page.mouse.down()
        for i in range(1, 21):  # a vertical stroke: a one
            page.mouse.move(x, y - 60 + 6 * i)
        page.mouse.up()
        page.get_by_role("button", name="place the digit on the canvas").click()
        expect(status).to_contain_text("your digit: its box starts at the top left cell", timeout=60_000)
        ink = pixels(io.BytesIO(current())).max(axis=2) > 128
        rows, cols = np.nonzero(ink)
        side = ink.shape[0]
        assert len(rows) and rows.max() < side * 2 / 3 and cols.max() < side * 2 / 3  # inside the top-left 2×2 cells
        shot("07-sketch")
        page.get_by_label("avatars").check()
        expect(status).to_contain_text("av · step 0 of 0", timeout=60_000)
        expect(page.locator("#blank")).to_be_hidden()
        expect(page.locator("#random-avatar")).to_be_visible()
        assert box.input_value() and "three" not in box.input_value()  # the avatar item's own instruction
        shot("08-avatars")
        browser.close()
