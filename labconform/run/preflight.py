"""Checks made before any claim runs: the place the run's results will be written can take them."""

from __future__ import annotations

import errno
import os
from pathlib import Path

# a full run writes under 1 MiB (results.json, index.html, junit.xml, cucumber.json); leave room for growth
RESERVE_BYTES = 8 * 2**20


class ReportsUnwritable(Exception):
    """The results of this run could not be written: said once, before the run starts."""


def check_reports_dir(path: Path, reserve: int = RESERVE_BYTES) -> None:
    """The folder exists (or is made), a file can be written and removed there, and the disk has room."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".lc-write-check-{os.getpid()}"
        with open(probe, "wb") as fh:
            fh.write(b"labconform\n")
            fh.flush()
            os.fsync(fh.fileno())
        probe.unlink()
    except OSError as exc:
        why = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            why = "no space left on the device"
        raise ReportsUnwritable(f"--reports-dir {path}: cannot write there ({why}); no claim was run") from None
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    if free < reserve:
        raise ReportsUnwritable(
            f"--reports-dir {path}: only {free // 1024} KiB free, a run needs up to {reserve // 2**20} MiB; "
            "no claim was run"
        )
