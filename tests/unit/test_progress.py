"""Long provisioning commands: progress while they run, their log's end when they fail, killed at the bound."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from labconform.params import LabParams
from labconform.transport.target import Target
from provision.core import StepFailed
from provision.plan import Context
from provision.progress import run_watched
from provision.state import LiveState


def context(out: io.StringIO) -> Context:
    t = Target("local")
    return Context(t, LiveState(t), LabParams(), out=out)


def test_progress_shows_the_logs_last_line_while_it_runs(tmp_path: Path):
    out = io.StringIO()
    log = tmp_path / "build.log"
    run_watched(context(out), "for i in 1 2 3 4; do echo step $i; sleep 1; done", str(log), "demo build",
                timeout=60, every=1)
    said = out.getvalue()
    assert "s so far; step " in said, said
    assert "demo build: finished in" in said and "(exit 0)" in said, said
    assert log.read_text().split() == ["step", "1", "step", "2", "step", "3", "step", "4"]


def test_a_failure_carries_the_end_of_the_log(tmp_path: Path):
    with pytest.raises(StepFailed) as exc:
        run_watched(context(io.StringIO()), "echo the mirror did not answer; exit 7", str(tmp_path / "l.log"),
                    "failing build", timeout=60)
    assert "exited 7" in str(exc.value) and "the mirror did not answer" in str(exc.value)


def test_a_command_past_its_bound_is_stopped(tmp_path: Path):
    from labconform.poll import until

    marker = tmp_path / "still-running"
    with pytest.raises(StepFailed, match="not finished after 2 s"):
        run_watched(context(io.StringIO()), f"sleep 30; touch {marker}", str(tmp_path / "l.log"), "slow build",
                    timeout=2)

    def left() -> list[str]:  # any process still carrying the command
        found = []
        for p in Path("/proc").iterdir():
            try:
                if p.name.isdigit() and str(marker).encode() in (p / "cmdline").read_bytes():
                    found.append(p.name)
            except OSError:
                pass
        return found

    until(left, lambda pids: not pids, timeout=10, what="the command's processes gone")
    assert not marker.exists()
