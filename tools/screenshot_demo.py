"""Redraw the README's screenshot of `imi demo` (docs/demo.png) in headless Chromium.

    python tools/screenshot_demo.py [--out docs/demo.png] [--chromium /usr/bin/chromium]

Starts the demo on the shipped checkpoints, switches to avatars, applies the
test item's own instruction and one more edit, runs the compare panel on a
third, and photographs the page.
"""

from __future__ import annotations

import argparse
import socket

from playwright.sync_api import expect, sync_playwright

from imi.app.demo import launch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/demo.png")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--seed", type=int, default=3, help="of the demo's random start images")
    parser.add_argument("--second", default="give him a beard", help="the second instruction")
    parser.add_argument("--third", default="take off his glasses", help="compared across two models")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app, url = launch(port=port, block=False, seed=args.seed)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            status = page.locator("#status")
            expect(status).to_contain_text("step 0 of 0", timeout=120_000)
            page.get_by_label("avatars").check()
            expect(status).to_contain_text("avatars · step 0", timeout=60_000)
            page.locator("#apply").click()  # the test item's own instruction, filled in on load
            expect(status).to_contain_text("step 1 of 1", timeout=60_000)
            box = page.locator("#instruction textarea")
            box.fill("")
            box.press_sequentially(args.second)
            page.locator("#apply").click()
            expect(status).to_contain_text("step 2 of 2", timeout=60_000)
            box.fill("")
            box.press_sequentially(args.third)
            page.get_by_role("button", name="compare two models").click()
            page.locator("#other input").click()
            page.get_by_role("option").first.click()
            page.locator("#compare").click()
            expect(page.locator("#compare-status")).to_contain_text("vs", timeout=60_000)
            page.screenshot(path=args.out, full_page=True)
            browser.close()
    finally:
        app.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
