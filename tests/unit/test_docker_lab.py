"""The Docker library against the real engine: the run's containers, and only those, come and go."""

from __future__ import annotations

import subprocess
from pathlib import Path

from labconform.docker.containers import reaper_script, scratch_dir
from labconform.poll import until


def test_the_reapers_retry_loop_ends_on_sigterm_as_a_shutdown_sends_it():
    """A lab host shutting down sends SIGTERM to what runs: the reaper's detached retry loop must end then,
    or the reboot waits for systemd's stop timeout (it did: 90 s more)."""
    import os
    import signal
    import uuid

    name = f"lc-reaper-term-{uuid.uuid4().hex[:6]}"

    def loops() -> list[int]:
        found = []
        for p in Path("/proc").iterdir():
            try:
                if p.name.isdigit() and b"end=$((" in (p / "cmdline").read_bytes() and name.encode() in (
                        p / "cmdline").read_bytes():
                    found.append(int(p.name))
            except OSError:
                pass
        return found

    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}  # an engine that does not answer
    reaper = subprocess.Popen(["sh", "-c", reaper_script(name, give_up_s=120)], stdin=subprocess.PIPE, env=env)
    reaper.stdin.close()  # the run ended: it tries the engine, then goes on trying, detached
    reaper.wait(timeout=10)
    pids = until(loops, timeout=10, what="the detached retry loop")
    try:
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        until(lambda: not loops(), timeout=10, what="the retry loop ended by SIGTERM")
    finally:
        for pid in loops():
            os.kill(pid, signal.SIGKILL)


def test_the_reaper_cleans_up_once_and_ends_when_the_host_shuts_down():
    """systemd stops a session with one SIGTERM to each of its processes: the reaper then cleans up once,
    bounded, and starts no retry loop that the shutdown would have to wait for."""
    import os
    import signal
    import uuid

    name = f"lc-reaper-down-{uuid.uuid4().hex[:6]}"
    Path(scratch_dir(name)).mkdir()
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    reaper = subprocess.Popen(["sh", "-c", reaper_script(name, give_up_s=120)], stdin=subprocess.PIPE, env=env,
                              start_new_session=True)
    try:
        def waiting() -> bool:  # its `cat` reads the run's input: the reaper is in place
            return any(_proc_file(p, "comm") == b"cat\n" and _ppid(p) == reaper.pid for p in Path("/proc").iterdir()
                       if p.name.isdigit())

        until(waiting, timeout=10, what="the reaper waiting on its input")
        os.killpg(reaper.pid, signal.SIGTERM)  # the reaper and its `cat`, as a shutdown does
        assert reaper.wait(timeout=30) == 0
    finally:
        if reaper.poll() is None:
            reaper.kill()
            reaper.wait()
    assert not Path(scratch_dir(name)).exists()
    leftover = [p for p in Path("/proc").iterdir() if p.name.isdigit() and name.encode() in _proc_file(p, "cmdline")]
    assert not leftover, "a retry loop was left running"


def _proc_file(p: Path, name: str) -> bytes:
    """A process's /proc file (cmdline, comm); empty once the process is gone."""
    try:
        return (p / name).read_bytes()
    except OSError:
        return b""


def _ppid(p: Path) -> int:
    try:
        return int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1
