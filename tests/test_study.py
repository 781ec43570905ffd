"""The preference study: create → rate (over HTTP, with a SIGKILL of the server) → report."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from imi.cli import app
from imi.study import SCALE, StudyError, StudyStore, create_study, shares

from .test_app import free_port, save_untrained

gradio_client = pytest.importorskip("gradio_client")


@pytest.fixture(scope="module")
def models(tiny_run, tmp_path_factory):
    root = tmp_path_factory.mktemp("study-models")
    sim, av = save_untrained(root / "sim", "digits-sim"), save_untrained(root / "av", "avatars-sim")
    return str(tiny_run), str(sim), str(av)


def test_assignment_covers_every_item_in_both_orders(models, tmp_path):
    store = create_study(tmp_path / "s.db", models[0], models[1], items=6, items_per_rater=4, raters_per_item=3)
    seen = {}
    for r in range(5):  # 5 raters × 4 = 20 slots for 6 items × 3 raters = 18
        rater = f"r{r}"
        while (shown := store.next_item(rater)) is not None:
            assert store.next_item(rater).item == shown.item  # the open item stays until answered
            assert (shown.item, rater) not in seen
            seen[shown.item, rater] = shown.a_on_left
            store.answer(rater, shown.item, 1)  # always "left is much better"
        assert sum(1 for _, who in seen if who == rater) <= 4
    per_item = Counter(item for item, _ in seen)
    assert sorted(per_item.values()) == [3] * 6  # every item exactly 3 raters
    assert store.progress()["items_in_both_orders"] == 6
    share, n = shares(store)
    left_a = np.mean(list(seen.values()))
    # "left much better" is A much better when A was on the left, else B much better: the order is undone.
    assert n == 18 and share[0] == pytest.approx(left_a) and share[4] == pytest.approx(1 - left_a)
    with pytest.raises(StudyError, match="not waiting"):
        store.answer("r0", 1, 3)
    with pytest.raises(StudyError, match=r"1\.\.5"):
        store.answer("r0", 1, 9)


def test_create_refuses_bad_requests(models, tmp_path):
    with pytest.raises(StudyError, match="edits digits but"):
        create_study(tmp_path / "a.db", models[0], models[2], items=2)
    create_study(tmp_path / "b.db", models[0], models[1], items=2)
    with pytest.raises(StudyError, match="exists"):
        create_study(tmp_path / "b.db", models[0], models[1], items=2)
    (tmp_path / "junk.db").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StudyError, match=r"not a readable study|not an IMI study"):
        StudyStore(tmp_path / "junk.db")
    with pytest.raises(StudyError, match="no study file"):
        StudyStore(tmp_path / "missing.db")
    stored = StudyStore(tmp_path / "b.db").next_item("x")
    assert stored.source.size == (64, 64) and stored.instruction


def _serve(db, port):
    proc = subprocess.Popen(
        [sys.executable, "-m", "imi", "study", "serve", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url, deadline = f"http://127.0.0.1:{port}/", time.monotonic() + 120
    while True:  # poll until the server answers (or died / timed out)
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"study server did not start: {proc.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.2)


def test_flow_create_serve_kill_restart_report(models, tmp_path):
    db = tmp_path / "study.db"
    runner = CliRunner()
    made = runner.invoke(app, ["study", "create", str(db), "--models", models[0], models[1], "--items", "4",
                               "--per-rater", "3"])  # fmt: skip
    assert made.exit_code == 0, made.output
    port = free_port()
    proc, url = _serve(db, port)
    try:
        c = gradio_client.Client(url, verbose=False)
        first = c.predict("ann", api_name="/begin")
        assert "item 1 of at most 3" in first[4]
        second = c.predict(SCALE[3], api_name="/submit")
        assert "item 2 of at most 3" in second[4] and "saved" in second[4]
        assert "pick one of the five" in c.predict(None, api_name="/submit")[4]
        c.predict(SCALE[4], api_name="/submit")
        proc.send_signal(signal.SIGKILL)  # mid-rating: item 3 is open, two answers confirmed
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert StudyStore(db).progress()["answers"] == 2  # both confirmed answers survived the kill
    proc, url = _serve(db, port)
    try:
        c = gradio_client.Client(url, verbose=False)
        resumed = c.predict("ann", api_name="/begin")
        assert "item 3 of at most 3" in resumed[4]  # the rater continues where the server died
        done = c.predict(SCALE[0], api_name="/submit")
        assert "nothing more to rate" in done[4]
        assert "item 1 of at most 3" in c.predict("bob", api_name="/begin")[4]
    finally:
        proc.kill()
        proc.wait()
    report = runner.invoke(app, ["study", "report", str(db), "--out", str(tmp_path / "fig14.png")])
    assert report.exit_code == 0, report.output
    assert "3 answers from 1 raters on 4 items" in report.output
    assert Image.open(tmp_path / "fig14.png").size[0] > 300
    share, n = shares(StudyStore(db))
    assert n == 3 and share.sum() == pytest.approx(1.0)
    assert os.path.getsize(db) > 0


def test_two_tabs_of_one_rater_never_store_an_answer_on_another_item(models, tmp_path):
    """Tab A and tab B both show ann's open item; B answers it; A's late answer is for the item A
    shows, which is done: it is refused with a message, not stored against B's next item."""
    from imi.study.serve import build

    db = tmp_path / "study.db"
    create_study(db, models[0], models[1], items=4, items_per_rater=3, raters_per_item=2)
    server = build(StudyStore(db))
    server.queue()
    _, url, _ = server.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        tab_a, tab_b = (gradio_client.Client(url, verbose=False) for _ in range(2))
        assert "item 1 of at most 3" in tab_a.predict("ann", api_name="/begin")[4]
        assert "item 1 of at most 3" in tab_b.predict("ann", api_name="/begin")[4]  # the same open item
        assert "saved" in tab_b.predict(SCALE[0], api_name="/submit")[4]
        late = tab_a.predict(SCALE[4], api_name="/submit")[4]
        assert "not saved" in late and "item 2 of at most 3" in late
        assert StudyStore(db).progress()["answers"] == 1
        assert StudyStore(db).preferences().tolist() in ([1], [5])  # B's "left much better", order undone
    finally:
        server.close()
