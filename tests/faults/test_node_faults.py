"""Faults caused for real on the lab node (systemd as PID 1), each restored in `finally` under the node's
lease: the lab's NTP server (a process of this machine) stopped, and killed with stale pid files. The node's
own faults (units enabled at boot, unit files, the drop-in, the firewall, Docker's cgroup driver) are entries
of faults/node.yaml, run by tests/unit/test_fault_catalog.py. Each is a real
`pytest features/...` run over SSH; the test reads its results.json. Skipped where no node lab1 is up
(`python -m provision.node up lab1`, then provision it: scripts/lab.sh does both)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from labconform.lease import LeaseKeeper
from labconform.params import load_params
from labconform.poll import until
from labconform.transport.ssh import SshOptions
from labconform.transport.target import Target
from provision.docker.engine import stop_supervised
from provision.host.clock import SERVER_CONF, SERVER_PID, start_server
from provision.plan import Context
from provision.state import LiveState
from tests.support import lab_node

ROOT = Path(__file__).resolve().parents[2]
NODE = "lab1"
PARAMS = str(ROOT / "labs" / "node" / "params.yaml")
KUBECTL = "/usr/local/bin/kubectl --kubeconfig=/etc/kubernetes/admin.conf"


@pytest.fixture(scope="module")
def node() -> Iterator[tuple[list[str], Target]]:
    p = lab_node.node("args", NODE, timeout=30)
    if p.returncode != 0:
        pytest.skip(f"no lab node {NODE} here: {p.stderr.strip()}")
    args = p.stdout.split("\n")[:-1]
    opts = dict(zip(args[::2], args[1::2], strict=True))
    t = Target(opts["--target"], ssh=SshOptions(identity=opts["--ssh-identity"], known_hosts=opts["--known-hosts"]))
    try:
        t.probe()
    except Exception as exc:  # noqa: BLE001 - a node that is not up is a skip with its reason
        pytest.skip(f"lab node {NODE} does not answer: {exc}")
    lease = LeaseKeeper(t, "lc-node-faults", "fault tests")  # the node's real lease: nobody changes it meanwhile
    try:
        lease.acquire(wait_s=600)
        yield args, t
    finally:
        lease.release()
        t.close()


def verdicts(suite, args: list[str], *select: str) -> dict[str, dict]:
    run = suite("features/", *args, "--lab-params", PARAMS, "-k", " or ".join(select), timeout=300)
    return {c["id"]: c for c in run.results["claims"]}


def settled(t: Target) -> None:
    """The node's cluster serving hw-deploy with both pods again (bounded)."""
    until(lambda: t.run(f"{KUBECTL} get deploy hw-deploy -o jsonpath='{{.status.availableReplicas}}'").stdout,
          lambda out: out.strip() == "2", timeout=240, interval=2, what="hw-deploy 2/2 available on the node")


def test_the_lab_ntp_server_stopped_fails_rocky_03(suite, node):
    args, t = node
    host = Target("local")
    ctx = Context(host, LiveState(host), load_params(None))
    stop_supervised(ctx, "chrony-lab")
    try:
        assert t.run("systemctl restart chrony").ok  # a fresh start: it has only the lab's server to ask
        v = verdicts(suite, args, "id:rocky-03")
    finally:
        start_server(ctx)
        resynchronised(t)
    assert v["rocky-03"]["verdict"] == "failed", v["rocky-03"]
    assert "not synchronised" in v["rocky-03"]["reason"], v["rocky-03"]
    assert verdicts(suite, args, "id:rocky-03")["rocky-03"]["verdict"] == "passed"


def test_a_killed_lab_ntp_server_comes_back_with_the_next_up_despite_its_stale_pid_files(suite, node):
    """Killed with the rest of the lab host (CI kills every process), the server and its supervisor leave
    their pid files, and by then each pid may be any other process: chronyd's own (here: PID 1) makes chronyd
    refuse to start; the supervisor's (here: a process started after they were written) must neither be
    waited for nor signalled."""
    args, t = node
    host = Target("local")
    sup, daemon = Path("/run/labconform/chrony-lab.supervisor.pid"), Path("/run/labconform/chrony-lab.pid")
    host.run('kill -KILL $(cat %s) $(cat %s) 2>/dev/null; true', str(sup), SERVER_PID)
    Path(SERVER_PID).write_text("1\n")  # a live process that is not chronyd
    stranger = subprocess.Popen(["sleep", "600"])
    for f in (sup, daemon):  # written before the stranger started, as a killed daemon's file is
        f.write_text(f"{stranger.pid}\n")
        os.utime(f, (time.time() - 60, time.time() - 60))
    try:
        up = lab_node.node("up", NODE, "--lease-wait", "300", timeout=300)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "changed  NTP server for the lab network" in up.stdout, up.stdout
        assert Path(SERVER_PID).read_text().strip() != "1"
        assert stranger.poll() is None, "a process named by a stale pid file was signalled"
    finally:
        stranger.kill()
        stranger.wait()
        ctx = Context(host, LiveState(host), load_params(None))
        if not _lab_ntp_serving():
            Path(SERVER_PID).unlink(missing_ok=True)
            start_server(ctx)
        resynchronised(t)
    assert verdicts(suite, args, "id:rocky-03")["rocky-03"]["verdict"] == "passed"


def resynchronised(t: Target) -> None:
    """The node's chrony restarted, and waited for (bounded) until it is synchronised again."""
    assert t.run("systemctl restart chrony").ok
    until(lambda: t.run("chronyc -n tracking").stdout, lambda out: "Leap status     : Normal" in out,
          timeout=60, interval=1, what="chrony synchronised again")


def _lab_ntp_serving() -> bool:
    try:
        return SERVER_CONF in Path(f"/proc/{Path(SERVER_PID).read_text().strip()}/cmdline").read_text()
    except OSError:
        return False
