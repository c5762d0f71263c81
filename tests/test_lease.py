"""The lab's lease, on this machine and over SSH: one holder, bounded waits, dead holders expire."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from midrun import stop
from ssh_server import sshd  # noqa: F401 - the fixture
from test_plugin import make_project

from labconform.lease import LEASE_ENV, LeaseHeld, LeaseKeeper, extend_held
from labconform.transport.ssh import SshOptions
from labconform.transport.target import Target

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["local", "ssh"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "local":
        t = Target("local")
    else:
        sshd = request.getfixturevalue("sshd")
        t = Target(sshd.target(), ssh=SshOptions(identity=str(sshd.identity), known_hosts=str(sshd.known_hosts)))
    yield t
    t.close()


@pytest.fixture
def lease_path(tmp_path: Path) -> str:
    return str(tmp_path / "lease")  # a lease of the tests' own, never the lab's real one


def abandoned(target: Target, run: str, purpose: str, path: str) -> LeaseKeeper:
    """A lease of 1 s taken by `run`, then never renewed: its holder vanished, or its lab host rebooted."""
    keeper = LeaseKeeper(target, run, purpose, ttl_s=1, path=path)
    keeper.acquire()
    keeper._stop.set()
    return keeper


@pytest.mark.lab
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


@pytest.mark.lab
def test_a_waiting_holder_gets_the_lease_when_it_is_given_back(target, lease_path):
    first = LeaseKeeper(target, "run-a", "provisioning", path=lease_path)
    first.acquire()
    threading.Timer(1.0, first.release).start()
    with LeaseKeeper(target, "run-b", "provisioning", path=lease_path) as second:
        assert second.acquire(wait_s=30).run == "run-b"


@pytest.mark.lab
def test_a_waiting_holder_gives_up_after_its_bound(target, lease_path):
    with LeaseKeeper(target, "run-a", "provisioning", path=lease_path) as first:
        first.acquire()
        with pytest.raises(LeaseHeld, match="after waiting"):
            LeaseKeeper(target, "run-b", "provisioning", path=lease_path).acquire(wait_s=1.5)


@pytest.mark.lab
def test_a_lease_not_renewed_expires(target, lease_path):
    gone = abandoned(target, "run-vanished", "provisioning", lease_path)
    gone.held = None  # the holder's machine vanished: nobody renews it and nobody gives it back
    with LeaseKeeper(target, "run-b", "provisioning", path=lease_path) as second:
        assert second.acquire(wait_s=20).run == "run-b"


HOLDER = """\
import sys, time
from labconform.lease import LeaseKeeper
from labconform.transport.target import Target
LeaseKeeper(Target("local"), "run-killed", "provisioning", ttl_s=600, path=sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(600)
"""


@pytest.mark.unit
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


@pytest.mark.lab
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


DESTRUCTIVE = """\
@section:sample
Feature: Sample

  @id:d-01 @impact:low
  Scenario: a passive claim
    Then the lab is read

  @id:d-02 @impact:low @destructive
  Scenario: a claim that changes the lab
    Then the lab is changed
"""

STEPS = """\
import os
from pytest_bdd import then

@then("the lab is read")
def _(evidence):
    evidence.equal("read", expected=1, found=1, how="nothing")

@then("the lab is changed")
def _(evidence):
    text = open(os.environ["LABCONFORM_LEASE_FILE"]).read()
    evidence.check("run=" in text, "lease", expected="held", found=text, how="read the lease")
"""



@pytest.mark.plugin
def test_destructive_claims_take_the_lease_and_fail_when_it_is_held(pytester, monkeypatch, lease_path):
    monkeypatch.setenv(LEASE_ENV, lease_path)
    make_project(pytester, DESTRUCTIVE, STEPS)
    free = pytester.runpytest("--destructive", "--run-name", "lc-lease-free")
    assert free.ret == 0, free.stdout.str()
    assert not Path(lease_path).exists() or "lc-lease-free" not in Path(lease_path).read_text()  # given back
    with LeaseKeeper(Target("local"), "run-holder", "maintenance", path=lease_path) as holder:
        holder.acquire()
        held = pytester.runpytest("--destructive", "--run-name", "lc-lease-held")
    data = __import__("json").loads(next(pytester.path.glob("reports/lc-lease-held/results.json")).read_text())
    seen = data["run"]["target"]["lease"]  # who held the lab while the run looked at it
    assert seen["run"] == "run-holder" and seen["purpose"] == "maintenance" and "token" not in seen
    verdicts = {c["id"]: (c["verdict"], c["reason"]) for c in data["claims"]}
    assert verdicts["d-01"][0] == "passed"
    assert verdicts["d-02"][0] == "error" and "run-holder" in verdicts["d-02"][1], verdicts
    assert held.ret == 1


@pytest.mark.unit
def test_lease_text_round_trips():
    from labconform.lease import Lease

    lease = Lease("me@host", "run", "why", "tok", "mid:1", 10, 20)
    assert Lease.parse(lease.as_text()) == lease
    assert Lease.parse("garbage") is None
    assert textwrap.dedent(lease.as_text()).count("\n") == 7


@pytest.mark.lab
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


@pytest.mark.lab
def test_a_lease_that_expired_and_was_taken_is_known_lost_and_says_by_whom(target, lease_path):
    first = abandoned(target, "run-a", "destructive claims", lease_path)  # a reboot longer than the lease
    with LeaseKeeper(target, "run-b", "provisioning", path=lease_path) as second:
        second.acquire(wait_s=20)
        assert not first._renew(1)
        assert "expired while this run held it" in first.lost and "run run-b, provisioning" in first.lost
    first.release()
