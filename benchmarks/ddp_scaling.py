"""Data-parallel training on CPU: one process vs two (gloo), same run.

    python benchmarks/ddp_scaling.py [--steps 20] [--preset digits-small] [--split-batch]

With --split-batch each of the two processes takes half the preset's batch, so
the global batch (and what a step means) stays the preset's; otherwise it doubles.

Two processes share the machine's cores (one thread each on 2 cores); the
single process uses all cores. Scaling efficiency = (2-process rate) /
(2 × 1-process rate at one thread per process) and, more usefully here, the
speed-up over the best single process.
"""

from __future__ import annotations

import argparse
import os
import socket

import torch.multiprocessing as mp

from _common import machine, make_trainer, train_images_per_s
from imi.presets import resolve


def worker(rank: int, world: int, port: int, steps: int, queue, preset: str, batch: int) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))  # fmt: skip
    trainer = make_trainer(preset, **{"train.batch_size": str(batch)})
    rate = train_images_per_s(trainer, steps)
    if rank == 0:
        queue.put(rate)
    trainer.dist.close()


def run(world: int, steps: int, preset: str, batch: int) -> float:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    queue = mp.get_context("spawn").SimpleQueue()
    mp.spawn(worker, args=(world, port, steps, queue, preset, batch), nprocs=world, join=True)
    return queue.get()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--preset", default="digits-small")
    parser.add_argument("--split-batch", action="store_true", help="two processes of half the batch each")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    batch = resolve(args.preset).train.batch_size
    per_process = batch // 2 if args.split_batch else batch
    one_all = train_images_per_s(make_trainer(args.preset), args.steps)
    half = max(1, cores // 2)
    one_half = train_images_per_s(make_trainer(args.preset, **{"train.threads": str(half)}), args.steps)
    two = run(2, args.steps, args.preset, per_process)
    print(f"{args.preset}, batch {batch}")
    print(f"1 process, {cores} threads: {one_all:7.1f} images/s")
    print(f"1 process, {half} thread(s): {one_half:7.1f} images/s")
    print(f"2 processes (gloo), {half} thread(s) each: {two:7.1f} images/s (global batch {2 * per_process})")
    print(f"scaling efficiency vs 2 x one {half}-thread process: {two / (2 * one_half):.2f}")
    print(f"speed-up over the best single process: {two / one_all:.2f}x")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
