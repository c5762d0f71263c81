"""SIGTERM and Ctrl-C during a run: while claims run, they interrupt it (fixtures remove what the run created);
once the last claim is done, the first is held until the results are written, so a stopping job never loses
them half-written, and the run still ends as interrupted."""

from __future__ import annotations

import os
import signal
from typing import Any

HELD = (signal.SIGINT, signal.SIGTERM)


def interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


class RunSignals:
    """The run's own handling, only where the process had none of its own for SIGTERM (pytest run in-process
    by another program keeps that program's)."""

    def __init__(self) -> None:
        self.owned = False
        self.held: int | None = None
        self.before: dict[int, Any] = {}  # the handlers the process had, given back at the end

    def take(self) -> None:
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            self.before[signal.SIGTERM] = signal.signal(signal.SIGTERM, interrupt)
            self.owned = True

    def hold(self) -> None:
        """From the end of the last claim: note the first signal, let a second one stop at once."""
        if self.owned:
            for sig in HELD:
                previous = signal.signal(sig, self._note)
                self.before.setdefault(sig, previous)

    def _note(self, signum: int, frame: Any) -> None:
        if self.held is not None:
            raise KeyboardInterrupt(f"signal {signum}, a second time while the results were written")
        self.held = signum
        # os.write, not print: the main thread may be in the middle of printing
        os.write(
            2,
            f"\nlabconform: signal {signum} after the last claim: the results are written first, "
            "then the run ends as interrupted (again to stop at once)\n".encode(),
        )

    def release(self) -> bool:
        """At the very end: whether a signal was held; the process's own handlers back (never an ignored
        signal: a process started after it, pytest run in-process included, would inherit that)."""
        for sig, handler in self.before.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self.before.clear()
        return self.held is not None
