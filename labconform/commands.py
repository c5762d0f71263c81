"""A long command run from here with its output streamed (redacted) and kept, bounded, stopped as a group."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from labconform.redact import redact_text

QUIET_S = 10  # a command silent this long is said to be still running
TAIL_LINES = 20
STOP_GRACE_S = 60  # how long a stopped command may take to clean up (pytest removes its containers)


@dataclass
class Streamed:
    """How a streamed command ended."""

    rc: int
    seconds: float
    timed_out: bool = False
    interrupted: bool = False
    tail: list[str] = field(default_factory=list)  # its last lines, redacted


def _stop(proc: subprocess.Popen[str], sig: int) -> None:
    """Signal the command's whole process group, then kill what is left after the grace."""
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=STOP_GRACE_S)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def stream(argv: list[str], timeout: float, prefix: str, what: str, env: dict[str, str] | None = None,
           cwd: str | Path | None = None, log: Path | None = None) -> Streamed:
    """Run argv (never through a shell) in a process group of its own, print each line of its output with
    `prefix`, write them to `log`, and say every QUIET_S seconds of silence that it still runs. Past
    `timeout` the group gets SIGTERM, then SIGKILL. Ctrl-C is passed on to the group as SIGINT (pytest
    then cleans up), bounded, and raised again."""
    start = time.monotonic()
    lines: queue.Queue[str | None] = queue.Queue()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            text=True, errors="replace", env=env, cwd=cwd, start_new_session=True)

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True, name="lc-stream").start()
    out = open(log, "a", encoding="utf-8") if log is not None else None  # noqa: SIM115 - closed below
    timed_out, heard = False, start
    try:
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                print(redact_text(f"{prefix}[stopped: {what} ran past its {timeout:g} s]"), flush=True)
                _stop(proc, signal.SIGTERM)
                break
            try:
                line = lines.get(timeout=min(left, 1.0))
            except queue.Empty:
                if time.monotonic() - heard >= QUIET_S:
                    print(redact_text(f"{prefix}[{what}: still running, {time.monotonic() - start:.0f} s "
                                      f"of at most {timeout:g} s]"), flush=True)
                    heard = time.monotonic()
                continue
            if line is None:
                break
            heard = time.monotonic()
            shown = redact_text(line)
            tail.append(shown)
            print(f"{prefix}{shown}", flush=True)
            if out is not None:
                out.write(shown + "\n")
        rc = proc.wait(timeout=30)
    except KeyboardInterrupt:
        _stop(proc, signal.SIGINT)
        raise
    finally:
        if out is not None:
            out.close()
    return Streamed(rc=rc if not timed_out else (proc.returncode if proc.returncode is not None else -9),
                    seconds=time.monotonic() - start, timed_out=timed_out, tail=list(tail))
