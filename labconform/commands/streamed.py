"""A long command run from here with its output streamed (redacted) and kept, bounded, stopped as a group."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from labconform.redact import REDACTED, redact_text
from labconform.run.signals import interrupt

QUIET_S = 10  # a command silent this long is said to be still running
TAIL_LINES = 20
STOP_GRACE_S = 60  # how long a stopped command may take to clean up (pytest removes its containers)
_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----")


def stop_like_ctrl_c() -> None:
    """A closed terminal or a stopped CI job (SIGHUP, SIGTERM) ends this process like Ctrl-C: what it runs is
    stopped, its record written, its lease given back (never a lease freed under a command still running)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)


@dataclass
class Streamed:
    """How a streamed command ended."""

    rc: int
    seconds: float
    timed_out: bool = False
    interrupted: bool = False
    tail: list[str] = field(default_factory=list)  # its last lines, redacted


class LineRedactor:
    """Redaction line by line, which a PEM private key spans: its body lines are hidden up to its END line."""

    def __init__(self) -> None:
        self.in_key: str | None = None

    def __call__(self, line: str) -> str | None:
        """The line to show, or None for a line inside a key (said once, by its BEGIN line)."""
        if self.in_key is not None:
            if f"-----END {self.in_key}-----" in line:
                self.in_key = None
                return line[line.index("-----END"):]
            return None
        m = _PEM_BEGIN.search(line)
        if m and f"-----END {m[1]}-----" not in line:
            self.in_key = m[1]
            return redact_text(line[: m.start()]) + f"{m[0]} {REDACTED}"
        return redact_text(line)


def _stop(proc: subprocess.Popen[str], sig: int, before: Callable[[], None] | None) -> None:
    """Signal the command's whole process group (and first what `before` stops elsewhere: the command's
    processes on the lab), then kill what is left after the grace. A second Ctrl-C (or SIGTERM, SIGHUP)
    meanwhile is ignored: the lease must not be given back under a live command."""
    main = threading.current_thread() is threading.main_thread()
    held = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)} \
        if main else {}
    try:
        if before is not None:
            try:
                before()
            except Exception:  # noqa: BLE001 - the lab side is also bounded by its own timeout(1)
                pass
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
    finally:
        for sig, handler in held.items():
            signal.signal(sig, handler)


def stream(argv: list[str], timeout: float, prefix: str, what: str, env: dict[str, str] | None = None,
           cwd: str | Path | None = None, log: Path | None = None, hide: Callable[[str], bool] | None = None,
           on_stop: Callable[[], None] | None = None) -> Streamed:
    """Run argv (never through a shell) in a process group of its own, print each line of its output with
    `prefix` (redacted; `hide` may keep a line to itself), write them to `log`, and say every QUIET_S
    seconds of silence that it still runs. Past `timeout` the group gets SIGTERM, then SIGKILL. Ctrl-C (or
    the SIGTERM the caller turns into one) is passed on to the group as SIGINT (pytest then cleans up),
    bounded, and raised again. `on_stop` runs before either."""
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
    clean = LineRedactor()
    out = open(log, "a", encoding="utf-8") if log is not None else None  # noqa: SIM115 - closed below
    timed_out, heard = False, start
    try:
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                print(f"{prefix}[stopped: {what} ran past its {timeout:g} s]", flush=True)
                _stop(proc, signal.SIGTERM, on_stop)
                break
            try:
                line = lines.get(timeout=min(left, 1.0))
            except queue.Empty:
                if time.monotonic() - heard >= QUIET_S:
                    print(f"{prefix}[{what}: still running, {time.monotonic() - start:.0f} s of at most "
                          f"{timeout:g} s]", flush=True)
                    heard = time.monotonic()
                continue
            if line is None:
                break
            heard = time.monotonic()
            if hide is not None and hide(line):
                continue
            shown = clean(line)
            if shown is None:
                continue
            tail.append(shown)
            print(f"{prefix}{shown}", flush=True)
            if out is not None:
                out.write(shown + "\n")
        rc = proc.wait(timeout=30)
    except KeyboardInterrupt:
        _stop(proc, signal.SIGINT, on_stop)
        raise
    finally:
        if out is not None:
            out.close()
    return Streamed(rc=rc, seconds=time.monotonic() - start, timed_out=timed_out, tail=list(tail))
