"""The passive claims on a schedule: for real under labconform's supervisor on this machine (no systemd here),
runs kept and pruned, a run skipped while the lab is leased, nothing left running once stopped; the systemd
units checked by systemd's own `systemd-analyze verify`."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labconform.commands import schedule
from tests.support.schedule import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text, value", [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600)])
def test_an_interval_is_read_in_seconds(text, value):
    assert schedule.seconds(text) == value


@pytest.mark.parametrize("text", ["0", "5s", "15 min", "-1m", "1d", "1m; reboot"])
def test_a_bad_interval_is_refused_by_name(text):
    with pytest.raises(argparse.ArgumentTypeError, match="--every"):
        schedule.seconds(text)


def test_a_bad_interval_is_a_usage_error_before_anything_starts():
    ran = cli("start", "--every", "1m; reboot")
    assert ran.returncode == 2 and "--every '1m; reboot'" in ran.stderr, ran.stderr
    assert schedule.supervisor_pid() is None


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


