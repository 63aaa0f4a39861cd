"""How long-running core functions report progress and learn that the user cancelled."""

from dataclasses import dataclass
from typing import Callable


class Cancelled(Exception):
    """The user cancelled; nothing was written."""


def _ignore(*_args) -> None:
    return None


@dataclass
class Reporter:
    progress: Callable[[float], None] = _ignore  # percent done, 0 to 100
    is_cancelled: Callable[[], bool] = lambda: False
    log: Callable[[str], None] = _ignore

    def check_cancelled(self) -> None:
        if self.is_cancelled():
            raise Cancelled()
