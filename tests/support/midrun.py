"""A real run read line by line until it is in the middle of its Docker claims: a fault caused then lands mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker

from labconform.docker.containers import RUN_LABEL
from labconform.poll import until

REPO = Path(__file__).resolve().parents[2]
FILES = (
    "features/10_hello.feature", "features/40_docker_ce.feature", "features/60_tomcat_with_root_war.feature",
    "features/65_securerandom.feature", "features/84_k8s_init.feature",
)  # fmt: skip


def start_run(run_name: str, reports: Path, *args: str, files: tuple[str, ...] = FILES,
              until: str = "greets_with_its_own_hostname") -> tuple[subprocess.Popen[str], list[str]]:
    """Start `pytest -v` on `files` and read its output until the claim whose name holds `until`
    has passed. By default that is mytc's greeting: its containers run, and several seconds of claims
    (rand-03 and the claims after it) follow."""
    cmd = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-v", *files,
           "--run-name", run_name, "--reports-dir", str(reports), *args]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    seen: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if until in line and " PASSED" in line:
            return proc, seen
    proc.wait()
    raise AssertionError(f"the run ended before {until} passed:\n{''.join(seen)[-3000:]}")


def as_at_a_terminal() -> None:
    """Popen's preexec_fn for a process a test sends Ctrl-C: SIGINT as a terminal's foreground job has it. A
    job a shell starts in the background without job control (`cmd &` in a script) inherits SIGINT ignored, and
    Python then never turns it into KeyboardInterrupt: the test would measure how CI was started."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def running_containers(run_name: str) -> list[str]:
    """The names of the containers carrying the run's label, running or not."""
    client = docker.from_env()
    return [c.name for c in client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_name}"})]


def stop(proc: subprocess.Popen[str]) -> None:
    """The run's process ended: killed and waited for if it still runs (a test that failed midway)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def interrupt(proc: subprocess.Popen[str], sig: int, ready: Callable[[], Any], what: str, *, wait: float,
              timeout: float) -> str:
    """Send `sig` to `proc` once `ready()` holds (polled for up to `wait` s); what it printed, read for up to
    `timeout` s more. Killed if it still runs then, or if it never got ready."""
    try:
        until(ready, timeout=wait, interval=0.1, what=what)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    return out
