"""What the lab, unit tests of test_schedule.py share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labconform", "schedule", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)


