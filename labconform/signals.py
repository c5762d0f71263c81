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

    def take(self) -> None:
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, interrupt)
            self.owned = True

    def hold(self) -> None:
        """From the end of the last claim: note the first signal, let a second one stop at once."""
        if self.owned:
            for sig in HELD:
                signal.signal(sig, self._note)

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
        """At the very end: whether a signal was held. Later ones are ignored: nothing is left to stop, and the
        interpreter's own last moments would otherwise die of them with the results already written."""
        if self.owned:
            for sig in HELD:
                signal.signal(sig, signal.SIG_IGN)
        return self.held is not None
