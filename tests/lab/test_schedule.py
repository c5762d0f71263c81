"""The passive claims on a schedule: for real under labconform's supervisor on this machine (no systemd here),
runs kept and pruned, a run skipped while the lab is leased, nothing left running once stopped; the systemd
units checked by systemd's own `systemd-analyze verify`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from labconform.commands import schedule
from labconform.lease import LeaseKeeper
from labconform.poll import until
from labconform.transport.target import Target
from tests.support.schedule import cli

ROOT = Path(__file__).resolve().parents[2]
FEATURE = "features/10_hello.feature"


def scheduled(reports: Path) -> list[Path]:
    return sorted(p for p in reports.glob("scheduled-*/results.json"))


@pytest.mark.skipif(not Path(schedule.SUPERVISE).exists(), reason="no supervisor installed: run python -m provision")
def test_runs_follow_the_schedule_are_kept_in_the_history_and_stop_with_it(tmp_path):
    reports = tmp_path / "reports"
    since = schedule.LOG.stat().st_size if schedule.LOG.exists() else 0  # the log outlives runs; pytest reuses paths
    try:
        started = cli("start", "--every", "10s", "--reports-dir", str(reports), "--keep", "2", "--features", FEATURE)
        assert started.returncode == 0 and "every 10 s under labconform's supervisor" in started.stdout, started
        assert cli("status").returncode == 0
        until(lambda: runs_made(reports, since), lambda n: n >= 3, timeout=240, interval=1, what="three scheduled runs")
        runs = scheduled(reports)
        assert len(runs) == 2, "--keep 2 keeps the newest two"
        doc = json.loads(runs[-1].read_text())
        assert {c["id"] for c in doc["claims"]} == {"hello-01", "hello-02", "hello-03"}
        assert all(c["verdict"] == "passed" for c in doc["claims"]), doc["claims"]
        assert (runs[-1].parent / "metrics.prom").exists()
        assert json.loads((reports / "history.json").read_text())["labs"]["local"]["runs"]
    finally:
        stopped = cli("stop")
    assert stopped.returncode == 0 and "schedule: stopped" in stopped.stdout, stopped
    assert schedule.supervisor_pid() is None
    left = subprocess.run(["pgrep", "-f", f"--reports-dir {reports}"], capture_output=True, text=True, check=False)
    assert left.stdout == "", f"left running: {left.stdout}"
    assert cli("status").returncode == 3


def runs_made(reports: Path, since: int) -> int:
    """Runs into `reports` the schedule's log reports as made (removed ones too), in the log after byte `since`."""
    if not schedule.LOG.exists():
        return 0
    with schedule.LOG.open("rb") as log:
        log.seek(since)
        text = log.read().decode(errors="replace")
    return sum(1 for line in text.splitlines() if f"{reports}/scheduled-" in line and ": exit " in line)


def test_a_run_while_the_lab_is_leased_is_skipped_and_says_by_whom(tmp_path):
    reports = tmp_path / "reports"
    with LeaseKeeper(Target("local"), "test-schedule", "a change under way") as keeper:
        keeper.acquire()
        ran = cli("run", "--reports-dir", str(reports), "--features", FEATURE)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "skipped: the lab is leased by" in ran.stdout and "(a change under way)" in ran.stdout, ran.stdout
    assert not scheduled(reports)
