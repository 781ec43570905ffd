"""What a demo user waits for: one edit through the web app vs the Python session vs the bare editor.

    python benchmarks/demo_latency.py [--edits 30] [--clients 8]

For the first shipped checkpoint of each domain: the median time of one edit
by ``Editor.edit`` (the baseline: model + preprocessing), by
``EditSession.apply`` (adds the change map and the history), and by the app's
``/apply`` over HTTP with ``gradio_client`` (adds the queue, PNG files for
the five outputs, and the client downloading them), each as a ratio to the
baseline; every edit is undone again (not timed) so the history stays two
steps long. ``/hints`` (no model, no queue, one text output) is the HTTP
round trip on its own. Then ``--clients`` sessions edit at once: edits per
second overall and each client's median wait.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time

from gradio_client import Client

from _common import machine
from imi.app.demo import launch
from imi.app.models import ModelCatalog
from imi.pipelines.session import EditSession
from imi.registry import DOMAINS


def median_s(fn, n: int, after=lambda: None) -> float:
    """Median seconds of ``fn()`` over ``n`` calls (after one warm-up); ``after()`` runs untimed after each."""
    fn()
    after()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        after()
    return statistics.median(times)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_domain(catalog: ModelCatalog, url: str, domain: str, edits: int, n_clients: int) -> None:
    name = catalog.names(domain)[0]
    editor = catalog.editor(name)
    image, text = DOMAINS[editor.config.domain].test_item(editor.config.data, 0)
    session = EditSession(editor, image)

    client = Client(url, verbose=False)
    client.predict(domain, api_name="/domain")
    base = median_s(lambda: editor.edit(image, text), edits)
    sess = median_s(lambda: session.apply(text), edits, after=session.undo)
    undo = lambda: client.predict(api_name="/undo")  # noqa: E731 - a named callback reads better here
    web = median_s(lambda: client.predict(text, api_name="/apply"), edits, after=undo)
    trip = median_s(lambda: client.predict("mo", api_name="/hints"), edits)
    print(f"{name}: Editor.edit {1000 * base:.1f} ms (1.00×) | EditSession.apply {1000 * sess:.1f} ms "
          f"({sess / base:.2f}×) | app /apply over HTTP {1000 * web:.1f} ms ({web / base:.2f}×) | "
          f"HTTP round trip alone (/hints) {1000 * trip:.1f} ms")  # fmt: skip

    clients = [Client(url, verbose=False) for _ in range(n_clients)]
    for c in clients:
        c.predict(domain, api_name="/domain")
    waits, lock = [], threading.Lock()

    def user(c: Client) -> None:
        for _ in range(max(edits // 3, 1)):
            t = time.perf_counter()
            c.predict(text, api_name="/apply")
            with lock:
                waits.append(time.perf_counter() - t)
            c.predict(api_name="/undo")

    threads = [threading.Thread(target=user, args=(c,)) for c in clients]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    print(f"  {n_clients} clients at once (each edit followed by an undo): {len(waits) / wall:.1f} edits/s overall, "
          f"median wait {1000 * statistics.median(waits):.0f} ms per edit")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    catalog = ModelCatalog()
    print(machine())
    app, url = launch(port=free_port(), block=False)
    try:
        for domain in catalog.domains():
            bench_domain(catalog, url, domain, args.edits, args.clients)
    finally:
        app.close()


if __name__ == "__main__":
    main()
