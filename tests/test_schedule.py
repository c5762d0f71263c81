"""The passive claims on a schedule: for real under labconform's supervisor on this machine (no systemd here),
runs kept and pruned, a run skipped while the lab is leased, nothing left running once stopped; the systemd
units checked by systemd's own `systemd-analyze verify`."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labconform import schedule
from labconform.lease import LeaseKeeper
from labconform.poll import until
from labconform.transport.target import Target

ROOT = Path(__file__).resolve().parent.parent
FEATURE = "features/10_hello.feature"


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labconform", "schedule", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)


@pytest.mark.unit
@pytest.mark.parametrize("text, value", [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600)])
def test_an_interval_is_read_in_seconds(text, value):
    assert schedule.seconds(text) == value


@pytest.mark.unit
@pytest.mark.parametrize("text", ["0", "5s", "15 min", "-1m", "1d", "1m; reboot"])
def test_a_bad_interval_is_refused_by_name(text):
    with pytest.raises(argparse.ArgumentTypeError, match="--every"):
        schedule.seconds(text)


@pytest.mark.unit
def test_a_bad_interval_is_a_usage_error_before_anything_starts():
    ran = cli("start", "--every", "1m; reboot")
    assert ran.returncode == 2 and "--every '1m; reboot'" in ran.stderr, ran.stderr
    assert schedule.supervisor_pid() is None


@pytest.mark.unit
@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_timer_and_its_service_are_units_systemd_accepts(tmp_path):
    args = schedule.parser().parse_args(["start", "--every", "15m", "--reports-dir", str(tmp_path / "r")])
    for name, text in schedule.units(args).items():
        (tmp_path / name).write_text(text)
    checked = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / f"{schedule.NAME}.timer")],
                             capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    service = (tmp_path / f"{schedule.NAME}.service").read_text()
    assert f"ExecStart={sys.executable} -m labconform schedule run --every 900 " in service
    assert "OnUnitActiveSec=900s" in (tmp_path / f"{schedule.NAME}.timer").read_text()


def scheduled(reports: Path) -> list[Path]:
    return sorted(p for p in reports.glob("scheduled-*/results.json"))


@pytest.mark.lab
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


@pytest.mark.lab
def test_a_run_while_the_lab_is_leased_is_skipped_and_says_by_whom(tmp_path):
    reports = tmp_path / "reports"
    with LeaseKeeper(Target("local"), "test-schedule", "a change under way") as keeper:
        keeper.acquire()
        ran = cli("run", "--reports-dir", str(reports), "--features", FEATURE)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "skipped: the lab is leased by" in ran.stdout and "(a change under way)" in ran.stdout, ran.stdout
    assert not scheduled(reports)
