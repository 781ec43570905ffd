"""Device and process-group details, in one place.

The same code runs as one process or under ``torchrun --nproc_per_node=N``
(gloo on CPU, nccl on GPU). Data parallelism is explicit: every rank draws a
disjoint shard, and before each optimizer step the gradients of the stepped
parameters are averaged in one flat all-reduce. (DDP's wrapper reduces inside
every backward and wants every forward inside one module call; our step picks
which loss to back-propagate only after the forward, eq. 23.)
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from imi.core.config import ConfigError


def pick_device(name: str, local_rank: int = 0) -> torch.device:
    """``"auto"`` → the local rank's GPU when there is one, else the CPU."""
    if name == "auto":
        return torch.device(f"cuda:{local_rank}") if torch.cuda.is_available() else torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"train.device: {name!r} is not a device (auto, cpu, cuda, cuda:N)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"train.device: {name!r} asked for, but no CUDA GPU is available; use cpu or auto")
    if device.type == "cuda" and device.index is None:
        device = torch.device(f"cuda:{local_rank}")
    return device


@dataclass
class Dist:
    """This process's place in the job."""

    rank: int
    world: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def mean(self, t: torch.Tensor) -> torch.Tensor:
        """Average a tensor over ranks (a copy; identity for one process)."""
        if self.world == 1:
            return t
        t = t.detach().clone()
        dist.all_reduce(t)
        return t / self.world

    def average_grads(self, params: list[nn.Parameter]) -> None:
        """Average the gradients of ``params`` over ranks, in one flat buffer.

        Ranks may differ in which parameters received a gradient (the LSTM
        only does on draws that use the instruction), so they first agree on
        the set: a gradient missing on one rank counts as zero there, and a
        parameter with no gradient on any rank keeps ``grad = None``, exactly
        as in a single process.
        """
        if self.world == 1:
            return
        has = torch.tensor([p.grad is not None for p in params], dtype=torch.float32, device=self.device)
        dist.all_reduce(has)
        active = [p for p, n in zip(params, has.tolist(), strict=True) if n > 0]
        if not active:
            return
        flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in active])
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for p in active:
            p.grad = flat[offset : offset + p.numel()].view_as(p).clone()
            offset += p.numel()

    def barrier(self) -> None:
        """Wait until every rank gets here (e.g. rank 0 finished writing a data cache)."""
        if self.world > 1:
            dist.barrier()

    def sync_module(self, module: nn.Module) -> None:
        """Copy rank 0's parameters and buffers to every rank."""
        if self.world > 1:
            for t in module.state_dict().values():
                dist.broadcast(t, 0)

    def sync_buffers(self, module: nn.Module) -> None:
        """Copy rank 0's buffers (batch-norm statistics) to every rank, as DDP does each step."""
        if self.world > 1:
            for t in module.buffers():
                dist.broadcast(t, 0)

    def autocast(self, bf16: bool):
        """bfloat16 autocast on this device when asked for, else a no-op context."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16) if bf16 else nullcontext()

    def close(self) -> None:
        if self.world > 1 and dist.is_initialized():
            dist.destroy_process_group()


def setup(device: str = "auto", threads: int = 0) -> Dist:
    """Join the torchrun process group if there is one, pick the device, set threads."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = pick_device(device, local_rank)
    # Share the cores between the processes of one machine.
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    torch.set_num_threads(threads or max(1, (os.cpu_count() or 1) // local_world))
    if world > 1 and not dist.is_initialized():
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo", rank=rank, world_size=world)
    return Dist(rank, world, dev)
