"""What the faults, lab, unit tests of test_change.py share."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labconform.lease import LeaseKeeper
from labconform.transport.target import Target

REPO = Path(__file__).resolve().parents[2]
BRIDGE = Path("/proc/sys/net/bridge/bridge-nf-call-iptables")
CLAIM = ["features/80_preparing_k8s.feature", "-k", "id:k8s-prep-01"]  # the bridge sysctl, a claim provisioning owns
BREAK = "sysctl -w net.bridge.bridge-nf-call-iptables=0"
MEND = "sysctl -w net.bridge.bridge-nf-call-iptables=1"

needs_bridge = pytest.mark.skipif(not BRIDGE.exists() or os.geteuid() != 0, reason="no br_netfilter, or not root")


def change(tmp_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 1500, wait: int = 600):
    """Run the change command, waiting up to `wait` s for the lab's lease (the lab is shared); (exit status,
    its record, what it printed)."""
    p = subprocess.run([sys.executable, "-m", "labconform", "change", "--reports-dir", str(tmp_path),
                        "--lease-wait", str(wait), *args],
                       cwd=REPO, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    records = sorted((tmp_path / "changes").glob("chg-*/change.json"))  # not provisioning's own records
    return p.returncode, json.loads(records[-1].read_text()) if records else {}, p.stdout + p.stderr


def lease_given_back(record: dict) -> bool:
    """The change's lease is not held any more (someone else's may be: the lab is shared)."""
    now = LeaseKeeper(Target("local"), "probe", "").current()
    return record["phases"]["lease"].get("released", False) and (now is None or now.run != record["id"])


@pytest.fixture
def bridge_restored():
    yield
    subprocess.run(MEND.split(), capture_output=True)


