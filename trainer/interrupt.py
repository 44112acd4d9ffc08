"""Ctrl-C during training: finish the current step and stop cleanly, so that a checkpoint can be saved."""

from __future__ import annotations

import signal


class StopRequest:
    """While active, a first Ctrl-C asks training to stop after the current step; a second one interrupts at once."""

    requested = False

    def __enter__(self) -> StopRequest:
        self.previous = signal.signal(signal.SIGINT, self.handle)
        return self

    def handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        signal.signal(signal.SIGINT, self.previous)
