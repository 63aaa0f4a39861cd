"""Choosing the torch device: auto, cpu, cuda or mps, with a clear refusal when the asked-for GPU is absent.

DEVICE_CHOICES is the one list of device names: the plugin's DEVICE enum and the command lines read it, so its
order is public (0 auto, 1 cpu, 2 cuda, 3 mps; new devices are appended). torch is imported inside the functions
so the plugin can read the list in a QGIS whose Python has no torch yet.
"""

import contextlib
import os

from .errors import InputError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def _mps_available(torch) -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def resolve_device(name: str = "auto"):
    """The torch.device for a DEVICE_CHOICES name. auto takes a CUDA GPU when there is one, else the CPU:
    Apple's MPS is used only when asked for, since not every operation GeoGAN uses is tested on it."""
    import torch

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
    if name == "mps" and not _mps_available(torch):
        raise InputError(
            f"The device is set to mps, but this PyTorch (torch {torch.__version__}) sees no Apple GPU: MPS needs a "
            "Mac with Apple silicon or an AMD GPU, macOS 12.3 or later and a PyTorch built for macOS; "
            "choose auto or cpu.")
    return torch.device(name)


def describe_device(device) -> str:
    """A log phrase naming the device that computes, e.g. "cuda:0 (NVIDIA H100 80GB HBM3)" or "cpu, 2 threads"."""
    import torch

    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    if device.type == "cpu":
        return f"cpu, {torch.get_num_threads()} threads"
    return str(device)


def available_devices() -> dict:
    """{name: description or None} of the GPUs this torch can use, for diagnostics."""
    import torch

    cuda = None
    if torch.cuda.is_available():
        cuda = ", ".join(f"cuda:{i} {torch.cuda.get_device_name(i)}" for i in range(torch.cuda.device_count()))
    return {"cuda": cuda, "mps": "Apple GPU" if _mps_available(torch) else None}


def autocast(device):
    """bf16 autocast on CUDA; the CPU and MPS run in float32 (autocast would only cost time on the CPU)."""
    import torch

    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def share_cpu_between_processes() -> None:
    """Under torchrun with several processes on one machine, give each its share of the cores
    (torch would otherwise start one thread per core in every process and oversubscribe the CPU)."""
    import torch

    processes = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    if processes > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // processes))
