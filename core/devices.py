"""Choosing the torch device: auto, cpu or cuda, with a clear refusal when cuda is asked for but absent."""

import contextlib
import os

import torch

from .errors import InputError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto") -> torch.device:
    name = (name or "auto").lower()
    if name not in DEVICE_CHOICES:
        raise InputError(f"Unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}.")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError(
            "The device is set to cuda, but this PyTorch sees no usable CUDA GPU "
            f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'no'}); "
            "choose auto or cpu, or install a CUDA build of PyTorch on a machine with an NVIDIA GPU."
        )
    return torch.device(name)


def autocast(device: torch.device):
    """bf16 autocast on CUDA; the CPU runs in float32, where autocast would only cost time."""
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def share_cpu_between_processes() -> None:
    """Under torchrun with several processes on one machine, give each its share of the cores
    (torch would otherwise start one thread per core in every process and oversubscribe the CPU)."""
    processes = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    if processes > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // processes))
