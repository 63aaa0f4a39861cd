"""Data-parallel training across processes started by torchrun (NCCL on GPUs, gloo on CPUs).

Every rank holds the same generator and discriminator, draws its own tiles and noise, and the
gradients are averaged with one all-reduce per network and step before the optimiser steps: the
scheme of DistributedDataParallel. The all-reduce is done here rather than by DDP's reducer because
a GAN step runs the discriminator twice before one backward and the lazy R1 penalty needs a double
backward, neither of which DDP's reducer supports (StyleGAN3 averages its gradients with one flat
all-reduce the same way; StyleGAN2-ADA wraps its networks in DDP instead).
"""

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class Replicas:
    """Where this process stands among the training processes; a single process is rank 0 of 1."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def device_for(self, device: torch.device) -> torch.device:
        """Each rank on a node takes its own GPU."""
        return torch.device("cuda", self.local_rank) if device.type == "cuda" and self.active else device

    def broadcast_parameters(self, module: torch.nn.Module) -> None:
        """Start every rank from rank 0's weights and buffers."""
        if self.active:
            for tensor in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(tensor.data, src=0)

    def average_gradients(self, module: torch.nn.Module) -> None:
        if not self.active:
            return
        gradients = [p.grad for p in module.parameters() if p.grad is not None]
        flat = torch.cat([g.flatten() for g in gradients])
        dist.all_reduce(flat)
        flat /= self.world_size
        offset = 0
        for gradient in gradients:
            gradient.copy_(flat[offset:offset + gradient.numel()].view_as(gradient))
            offset += gradient.numel()

    def average(self, value: float) -> float:
        if not self.active:
            return value
        tensor = torch.tensor([value], dtype=torch.float64)
        if dist.get_backend() == "nccl":
            tensor = tensor.cuda(self.local_rank)
        dist.all_reduce(tensor)
        return float(tensor.item()) / self.world_size

    def in_sync(self, module: torch.nn.Module) -> bool:
        """Whether every rank holds the same weights (they must, if gradients were averaged each step)."""
        if not self.active:
            return True
        checksum = torch.stack([p.detach().double().sum() for p in module.parameters()]).sum().reshape(1)
        if dist.get_backend() == "nccl":
            checksum = checksum.cuda(self.local_rank)
        lowest, highest = checksum.clone(), checksum.clone()
        dist.all_reduce(lowest, op=dist.ReduceOp.MIN)
        dist.all_reduce(highest, op=dist.ReduceOp.MAX)
        return bool(lowest == highest)

    def barrier(self) -> None:
        if self.active:
            dist.barrier()

    def close(self) -> None:
        if self.active and dist.is_initialized():
            dist.destroy_process_group()


def join_from_environment(device: torch.device) -> Replicas:
    """Join the process group torchrun describes in the environment (WORLD_SIZE, RANK, LOCAL_RANK)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Replicas()
    replicas = Replicas(int(os.environ["RANK"]), world_size, int(os.environ.get("LOCAL_RANK", "0")))
    if device.type == "cuda":
        torch.cuda.set_device(replicas.local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return replicas
