"""How long-running core functions report progress and learn that the user cancelled."""

from dataclasses import dataclass
from typing import Callable

# The longest a long-running loop stays silent in the log (training's status lines).
STATUS_SECONDS = 10.0


def duration_text(seconds: float) -> str:
    """42 s, 3 min 05 s, 2 h 07 min."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Cancelled(Exception):  # noqa: N818 (a public name: raised and caught across the plugin)
    """The user cancelled; nothing was written."""


def _ignore(*_args) -> None:
    return None


@dataclass
class TrainingStatus:
    """What a training reports with each status line: for live loss curves and time estimates."""

    stage: str  # "" for a single GAN, else the cascade's stage ("coarse", "refinement")
    step: int  # steps done, counting those of the training it continues
    last_step: int  # the step the training ends at
    discriminator_loss: float  # means over the steps since the previous status
    generator_loss: float
    tiles_per_second: float
    elapsed_seconds: float
    remaining_seconds: float


@dataclass
class Reporter:
    progress: Callable[[float], None] = _ignore  # percent done, 0 to 100
    is_cancelled: Callable[[], bool] = lambda: False
    log: Callable[[str], None] = _ignore
    # Training only: a TrainingStatus with every status line, and (step, relief) when the training takes its
    # sample snapshots (a few generated tiles, (n, tile, tile) float32 in elevation units).
    status: Callable[[TrainingStatus], None] = _ignore
    samples: Callable[[int, object], None] = _ignore

    def check_cancelled(self) -> None:
        if self.is_cancelled():
            raise Cancelled()
