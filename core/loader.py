"""A background thread that reads and augments the next batches while the model trains on this one.

Tile reading (GDAL windows, maybe warping) and augmentation run in numpy, which releases the GIL,
so on a CPU they overlap with PyTorch's compute; on a GPU, batches arrive in pinned memory and are
copied without blocking. GDAL's error mode is per thread from GDAL 3.7: the reads on this thread get
GeoGAN's exceptions the way every read does, from core.raster_io's own scope (core.gdal_errors).
"""

import queue
import threading

import torch

from .tiles import TileSampler

# Batches read ahead: enough to hide a slow read, few enough to keep memory flat.
PREFETCH_BATCHES = 3


class PrefetchingLoader:
    """Iterator of real batches (batch, 1, tile, tile) on `device`, channels-last; use as a context manager.

    The sampler belongs to the loader's thread while the loader is open: nobody else may draw from it.
    """

    def __init__(self, sampler: TileSampler, batch_size: int, device: torch.device):
        self._sampler = sampler
        self._batch_size = batch_size
        self._device = device
        self._pin = device.type == "cuda"
        self._queue = queue.Queue(maxsize=PREFETCH_BATCHES)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="geogan-tile-loader", daemon=True)

    def _produce(self) -> None:
        try:
            while not self._stop.is_set():
                batch = torch.from_numpy(self._sampler.sample(self._batch_size))
                if self._pin:
                    batch = batch.pin_memory()
                self._put(batch)
        except BaseException as error:  # handed to the training thread, which raises it
            self._put(error)

    def _put(self, item) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def __next__(self) -> torch.Tensor:
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item.to(self._device, non_blocking=True, memory_format=torch.channels_last)

    def __iter__(self):
        return self

    def __enter__(self) -> "PrefetchingLoader":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
