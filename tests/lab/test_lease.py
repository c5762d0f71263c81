"""The lab's lease, on this machine and over SSH: one holder, bounded waits, dead holders expire."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from labconform.lease import LEASE_ENV, LeaseHeld, LeaseKeeper, extend_held
from labconform.transport.target import Target
from tests.support.lease import (
    lease_path,  # noqa: F401 - the fixture
    target,  # noqa: F401 - the fixture
)
from tests.support.ssh_server import sshd  # noqa: F401 - the fixture

REPO = Path(__file__).resolve().parents[2]


def abandoned(target: Target, run: str, purpose: str, path: str) -> LeaseKeeper:
    """A lease of 1 s taken by `run`, then never renewed: its holder vanished, or its lab host rebooted."""
    keeper = LeaseKeeper(target, run, purpose, ttl_s=1, path=path)
    keeper.acquire()
    keeper._stop.set()
    return keeper


def test_a_second_holder_fails_at_once_saying_who_and_until_when(target, lease_path):
    with LeaseKeeper(target, "run-a", "provisioning", path=lease_path) as first:
        held = first.acquire()
        assert held.run == "run-a" and held.expires > held.taken
        second = LeaseKeeper(target, "run-b", "destructive claims", path=lease_path)
        with pytest.raises(LeaseHeld) as err:
            second.acquire(wait_s=0)
        msg = str(err.value)
        assert "run-a" in msg and "provisioning" in msg and " until " in msg and "UTC" in msg
        assert err.value.holder.token == first.token
    # given back: the next one takes it at once
    with LeaseKeeper(target, "run-c", "provisioning", path=lease_path) as third:
        assert third.acquire().run == "run-c"
        assert third.current().token == third.token
    assert third.current() is None


def test_a_waiting_holder_gets_the_lease_when_it_is_given_back(target, lease_path):
    first = LeaseKeeper(target, "run-a", "provisioning", path=lease_path)
    first.acquire()
    threading.Timer(1.0, first.release).start()
    with LeaseKeeper(target, "run-b", "provisioning", path=lease_path) as second:
        assert second.acquire(wait_s=30).run == "run-b"


def test_a_waiting_holder_gives_up_after_its_bound(target, lease_path):
    with LeaseKeeper(target, "run-a", "provisioning", path=lease_path) as first:
        first.acquire()
        with pytest.raises(LeaseHeld, match="after waiting"):
            LeaseKeeper(target, "run-b", "provisioning", path=lease_path).acquire(wait_s=1.5)


def test_a_lease_not_renewed_expires(target, lease_path):
    gone = abandoned(target, "run-vanished", "provisioning", lease_path)
    gone.held = None  # the holder's machine vanished: nobody renews it and nobody gives it back
    with LeaseKeeper(target, "run-b", "provisioning", path=lease_path) as second:
        assert second.acquire(wait_s=20).run == "run-b"


def test_provisioning_refuses_while_someone_holds_the_lab(sshd, lease_path):
    options = ["--ssh-identity", str(sshd.identity), "--known-hosts", str(sshd.known_hosts)]
    with LeaseKeeper(Target("local"), "run-holder", "maintenance", path=lease_path) as holder:
        holder.acquire()
        p = subprocess.run(
            [sys.executable, "-m", "provision", "--only", "docker", "--target", sshd.target(), *options],
            cwd=REPO, capture_output=True, text=True, timeout=120, env={**os.environ, LEASE_ENV: lease_path},
        )
    assert p.returncode == 5, p.stdout + p.stderr
    assert "run-holder" in p.stderr and "maintenance" in p.stderr and "until" in p.stderr
    assert "$ " not in p.stdout  # not one command was run


def test_a_lease_stretched_over_a_reboot_is_not_shortened_by_the_next_renewal(target, lease_path):
    with LeaseKeeper(target, "run-a", "destructive claims", ttl_s=30, path=lease_path) as keeper:
        taken = keeper.acquire()
        extend_held(target, 600)  # what the run does before it reboots the lab host
        stretched = keeper.current().expires
        assert stretched >= taken.taken + 600
        assert keeper._renew(30) and keeper.current().expires == stretched  # a renewal keeps the later expiry
        other = LeaseKeeper(target, "run-b", "provisioning", path=lease_path)
        with pytest.raises(LeaseHeld):
            other.acquire(wait_s=0)


def test_a_lease_that_expired_and_was_taken_is_known_lost_and_says_by_whom(target, lease_path):
    first = abandoned(target, "run-a", "destructive claims", lease_path)  # a reboot longer than the lease
    with LeaseKeeper(target, "run-b", "provisioning", path=lease_path) as second:
        second.acquire(wait_s=20)
        assert not first._renew(1)
        assert "expired while this run held it" in first.lost and "run run-b, provisioning" in first.lost
    first.release()
