"""Lab nodes for labconform's own tests: `python -m provision.node` run here, and a command run on a node over
SSH with the options that reach it (`--target`, `--ssh-identity`, `--known-hosts`, as `args` prints them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def node(*args: str, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    """`python -m provision.node ARGS`, its output captured."""
    return subprocess.run([sys.executable, "-m", "provision.node", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def ssh_to(reach: list[str], *options: str) -> list[str]:
    """The ssh command that logs in to the node as its target says, the host key checked, never asking."""
    opts = dict(zip(reach[::2], reach[1::2], strict=True))
    login = opts["--target"].removeprefix("ssh://").rsplit(":", 1)[0]
    return ["ssh", "-i", opts["--ssh-identity"], "-o", f"UserKnownHostsFile={opts['--known-hosts']}",
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", *options, login]


def run_on(reach: list[str], *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`command` run on the node over SSH, its output captured."""
    return subprocess.run([*ssh_to(reach), *command], capture_output=True, text=True, timeout=timeout)


def node_reach() -> list[str]:
    """The options that reach the lab node lab1, or a skip when it is not running."""
    p = node("args", "lab1", timeout=120)
    reach = p.stdout.split("\n")[:-1]
    if p.returncode != 0 or len(reach) != 6:
        pytest.skip("the lab node lab1 is not running (python -m provision.node up lab1)")
    return reach
