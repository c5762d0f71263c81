"""The lab's lease, on this machine and over SSH: one holder, bounded waits, dead holders expire."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from labconform.lease import LeaseHeld, LeaseKeeper
from labconform.transport.target import Target
from tests.support.lease import lease_path  # noqa: F401 - the fixture
from tests.support.midrun import stop

REPO = Path(__file__).resolve().parents[2]


HOLDER = """\
import sys, time
from labconform.lease import LeaseKeeper
from labconform.transport.target import Target
LeaseKeeper(Target("local"), "run-killed", "provisioning", ttl_s=600, path=sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(600)
"""


def test_a_lease_whose_holder_was_killed_is_taken_over_at_once(lease_path):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, lease_path], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(LeaseHeld, match="run-killed"):
            LeaseKeeper(Target("local"), "run-b", "provisioning", path=lease_path).acquire()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with LeaseKeeper(Target("local"), "run-b", "provisioning", path=lease_path) as k:
            assert k.acquire(wait_s=0).run == "run-b"  # ttl of 600 s: not expired, its holder is dead
    finally:
        stop(proc)


def test_lease_text_round_trips():
    from labconform.lease import Lease

    lease = Lease("me@host", "run", "why", "tok", "mid:1", 10, 20)
    assert Lease.parse(lease.as_text()) == lease
    assert Lease.parse("garbage") is None
    assert textwrap.dedent(lease.as_text()).count("\n") == 7




@pytest.mark.parametrize("text", ["run=x\ntoken=t\ntaken=1\nexpires=99999999999\n",
                                  "owner=a@b\nrun=x\ntoken=t\ntaken=abc\nexpires=99999999999\n"])
def test_a_lease_file_edited_by_hand_is_one_clear_refusal(lease_path, text):
    """issue 25: without owner=, or with taken=abc, the lease is neither taken over nor an AssertionError."""
    Path(lease_path).write_text(text)
    with pytest.raises(OSError, match="is unreadable .* if no one holds the lab, remove it"):
        LeaseKeeper(Target("local"), "run-b", "provisioning", path=lease_path).acquire()
    assert Path(lease_path).read_text() == text, "left as it was"
