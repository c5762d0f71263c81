"""The shared lab under the suite: concurrent runs, a lost SSH connection, results that cannot be written."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# --- the SSH connection drops in the middle of a run ---------------------------------------------


# --- results that cannot be written ---------------------------------------------------------------


@pytest.fixture
def mount_point() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="lc-mnt-"))
    yield path
    subprocess.run(["umount", str(path)], capture_output=True)
    path.rmdir()


def _one_clear_error(run) -> str:
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert run.rc == 4, run.out[-2000:] + run.err[-2000:]
    assert len(lines) == 1 and "Traceback" not in run.out + run.err, run.err
    assert "passed" not in run.out  # no claim ran
    return lines[0]


def test_a_full_disk_under_reports_is_one_error_before_the_run(suite, mount_point):
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], check=True)
    subprocess.run(["dd", "if=/dev/zero", f"of={mount_point}/filler", "bs=64k"], capture_output=True)
    run = suite("features/10_hello.feature", "--reports-dir", str(mount_point / "reports"))
    line = _one_clear_error(run)
    assert str(mount_point) in line and ("no space left" in line or "KiB free" in line), line


def test_a_small_disk_under_reports_is_one_error_before_the_run(suite, mount_point):
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)], check=True)
    run = suite("features/10_hello.feature", "--reports-dir", str(mount_point))
    assert "KiB free" in _one_clear_error(run)


def test_a_read_only_reports_dir_is_one_error_before_the_run(suite, mount_point):
    subprocess.run(["mount", "--bind", str(mount_point), str(mount_point)], check=True)
    subprocess.run(["mount", "-o", "remount,ro,bind", str(mount_point)], check=True)
    run = suite("features/10_hello.feature", "--reports-dir", str(mount_point / "reports"))
    assert "Read-only file system" in _one_clear_error(run)
