"""The preference study's one file: items, assignments and answers in SQLite.

Every answer is one transaction in a write-ahead-logged database with
``synchronous=FULL``: once :meth:`StudyStore.answer` returns, the answer is
on disk, and a server killed at any moment loses nothing it confirmed.
"""

from __future__ import annotations

import io
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from imi.core.errors import StudyError

SCALE = (
    "left is much better",
    "left is better",
    "about the same",
    "right is better",
    "right is much better",
)
HOLD_S = 30 * 60  # an item shown to a rater stays reserved this long before another rater may take the slot

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY, test_index INTEGER NOT NULL, instruction TEXT NOT NULL,
    source BLOB NOT NULL, result_a BLOB NOT NULL, result_b BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS assignments (
    item INTEGER NOT NULL REFERENCES items(id), rater TEXT NOT NULL, a_on_left INTEGER NOT NULL,
    shown_at REAL NOT NULL, choice INTEGER, answered_at REAL, PRIMARY KEY (item, rater)
);
"""


def png(image: np.ndarray | Image.Image) -> bytes:
    buf = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buf, format="PNG")
    return buf.getvalue()


@dataclass(frozen=True)
class Shown:
    """One item as a rater sees it: the two results already in their left/right order."""

    item: int
    instruction: str
    source: Image.Image
    left: Image.Image
    right: Image.Image
    a_on_left: bool
    position: int  # 1-based: this rater's n-th item
    limit: int


class StudyStore:
    def __init__(self, path: str | Path, create: bool = False):
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise StudyError(f"{self.path}: no study file here (make one with `imi study create`)")
        if create and self.path.exists():
            raise StudyError(f"{self.path} exists; a study is created once (delete it or pick another name)")
        try:
            if not create:
                self._check_format()  # read-only: someone else's database is never written to
            # One connection per call site keeps threads apart (the web server answers from a pool).
            with self._db() as db:
                db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as err:
            raise StudyError(f"{self.path}: not a readable study database ({err})") from None

    def _check_format(self) -> None:
        """Refuse any file but an IMI study, looking through a read-only connection (no WAL switch,
        no tables added)."""
        db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            kind = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() if "meta" in tables else None
        finally:
            db.close()
        if kind != ("imi-study",):
            raise StudyError(f"{self.path}: not an IMI study file (make one with `imi study create`)")

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A fresh connection, closed afterwards (transactions are opened with ``with db:`` inside)."""
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            yield db
        finally:
            db.close()

    # -- meta ----------------------------------------------------------------------------------

    @property
    def meta(self) -> dict[str, str]:
        with self._db() as db:
            return dict(db.execute("SELECT key, value FROM meta").fetchall())

    def write(self, meta: dict[str, str], items: list[tuple[int, str, bytes, bytes, bytes]]) -> None:
        """The whole study in one transaction: a half-created file never exists."""
        with self._db() as db, db:
            db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", "imi-study"), *meta.items()])
            db.executemany(
                "INSERT INTO items (test_index, instruction, source, result_a, result_b) VALUES (?, ?, ?, ?, ?)",
                items,
            )

    # -- rating --------------------------------------------------------------------------------
    def next_item(self, rater: str, now: float | None = None) -> Shown | None:
        """The item ``rater`` should rate now (the same one again until answered), or None when done.

        Items go to the rater that has not seen them and has rated fewest,
        least-rated first, at most ``raters_per_item`` raters each. The k-th
        rater of item i sees model A on the left when i + k is even, so every
        item is shown in both orders across its raters.
        """
        rater = rater.strip()
        if not rater:
            raise StudyError("enter a rater name first")
        now = time.time() if now is None else now
        meta = self.meta
        per_rater, per_item = int(meta["items_per_rater"]), int(meta["raters_per_item"])
        with self._db() as db, db:
            db.execute("BEGIN IMMEDIATE")  # pick-and-reserve is atomic: two raters never take one slot
            open_ = db.execute(
                "SELECT item, a_on_left FROM assignments WHERE rater = ? AND choice IS NULL", (rater,)
            ).fetchone()
            done = db.execute(
                "SELECT COUNT(*) FROM assignments WHERE rater = ? AND choice IS NOT NULL", (rater,)
            ).fetchone()[0]
            if open_ is None:
                if done >= per_rater:
                    return None
                row = db.execute(
                    """SELECT i.id, (SELECT COUNT(*) FROM assignments a WHERE a.item = i.id) AS k
                           FROM items i
                           WHERE i.id NOT IN (SELECT item FROM assignments WHERE rater = ?)
                             AND (SELECT COUNT(*) FROM assignments a WHERE a.item = i.id
                                  AND (a.choice IS NOT NULL OR a.shown_at > ?)) < ?
                           ORDER BY (SELECT COUNT(*) FROM assignments a WHERE a.item = i.id
                                     AND (a.choice IS NOT NULL OR a.shown_at > ?)), i.id
                           LIMIT 1""",
                    (rater, now - HOLD_S, per_item, now - HOLD_S),
                ).fetchone()
                if row is None:
                    return None
                item, k = row
                open_ = (item, int((item + k) % 2 == 0))
                db.execute("INSERT INTO assignments VALUES (?, ?, ?, ?, NULL, NULL)", (item, rater, open_[1], now))
            item, a_on_left = open_
            instruction, src, ra, rb = db.execute(
                "SELECT instruction, source, result_a, result_b FROM items WHERE id = ?", (item,)
            ).fetchone()
        a, b = (Image.open(io.BytesIO(x)) for x in (ra, rb))
        left, right = (a, b) if a_on_left else (b, a)
        return Shown(item, instruction, Image.open(io.BytesIO(src)), left, right, bool(a_on_left), done + 1, per_rater)

    def answer(self, rater: str, item: int, choice: int, now: float | None = None) -> None:
        """Store ``choice`` (1..5 on the scale as shown, 1 = left much better) for the rater's open item."""
        if choice not in range(1, 6):
            raise StudyError(f"the answer must be 1..5 on the scale, got {choice}")
        with self._db() as db, db:
            cur = db.execute(
                "UPDATE assignments SET choice = ?, answered_at = ? WHERE item = ? AND rater = ? AND choice IS NULL",
                (choice, time.time() if now is None else now, item, rater.strip()),
            )
            if cur.rowcount != 1:
                raise StudyError(f"item {item} is not waiting for an answer from {rater!r}")

    # -- results -------------------------------------------------------------------------------
    def preferences(self) -> np.ndarray:
        """Answers on the model scale: 1 = A much better … 5 = B much better (the order undone)."""
        with self._db() as db:
            rows = db.execute("SELECT choice, a_on_left FROM assignments WHERE choice IS NOT NULL").fetchall()
        return np.array([c if left else 6 - c for c, left in rows], dtype=np.int64)

    def progress(self) -> dict[str, int]:
        with self._db() as db:
            items = db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
            answers, raters = db.execute(
                "SELECT COUNT(*), COUNT(DISTINCT rater) FROM assignments WHERE choice IS NOT NULL"
            ).fetchone()
            both = db.execute(
                "SELECT COUNT(*) FROM (SELECT item FROM assignments WHERE choice IS NOT NULL "
                "GROUP BY item HAVING COUNT(DISTINCT a_on_left) = 2)"
            ).fetchone()[0]
        return {"items": items, "answers": answers, "raters": raters, "items_in_both_orders": both}
