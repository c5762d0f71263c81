"""One change as one command (`python -m labconform change`), for real on this machine: accepted, a real
regression repaired by claim or rolled back or left, a change that hangs or fails, the lease taken by
someone else, a reused baseline, Ctrl-C; each one outcome in the record and the exit status."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from labconform.lease import LEASE_FILE
from labconform.poll import until
from tests.support.change import (
    BREAK,
    BRIDGE,
    CLAIM,
    MEND,
    bridge_restored,  # noqa: F401 - the fixture
    change,
    lease_given_back,
    needs_bridge,
)
from tests.support.lab_node import node_reach, run_on, ssh_to

REPO = Path(__file__).resolve().parents[2]


@needs_bridge
def test_a_regression_is_repaired_by_its_claim(tmp_path, bridge_restored):
    rc, record, said = change(tmp_path, "--run", BREAK, "--repair", *CLAIM)
    assert rc == 3, said
    assert record["phases"]["after"]["regressions"] == ["k8s-prep-01"], record["phases"]["after"]
    assert record["phases"]["repair"]["claims"] == ["k8s-prep-01"] and record["phases"]["repair"]["exit_status"] == 0
    assert record["phases"]["final"]["gate"] == "passed", record["phases"]["final"]
    assert record["outcome"] == "rejected, lab conforming", record
    assert BRIDGE.read_text().strip() == "1"
    assert lease_given_back(record)


@needs_bridge
def test_a_regression_is_rolled_back_by_the_given_command(tmp_path, bridge_restored):
    rc, record, said = change(tmp_path, "--run", BREAK, "--rollback", MEND, *CLAIM)
    assert rc == 3, said
    assert record["phases"]["rollback"]["command"] == MEND.split()
    assert record["phases"]["final"]["gate"] == "passed" and "repair" not in record["phases"]
    assert BRIDGE.read_text().strip() == "1"


@needs_bridge
def test_a_regression_without_repair_or_rollback_is_left_and_said(tmp_path, bridge_restored):
    rc, record, said = change(tmp_path, "--run", BREAK, *CLAIM)
    assert rc == 1, said
    assert record["outcome"] == "rejected, lab left failing"
    assert any("k8s-prep-01" in r for r in record["reasons"]), record["reasons"]
    assert BRIDGE.read_text().strip() == "0"  # left as the change made it, as said


def test_a_change_on_the_lab_node_runs_over_ssh_and_is_repaired_there(tmp_path):
    """The change runs on the node, not here: its output names the node's own hostname, and the bridge
    setting it breaks there is repaired there by its claim."""
    reach = node_reach()
    params = ["--lab-params", str(REPO / "labs" / "node" / "params.yaml")]
    here = Path("/proc/sys/kernel/hostname").read_text().strip()
    rc, record, said = change(tmp_path, "--run", "sh -c 'hostname; sysctl -w net.bridge.bridge-nf-call-iptables=0'",
                              "--repair", *reach, *params, *CLAIM)
    try:
        assert rc == 3, said
        out = record["phases"]["change"]["output_tail"]
        assert out and out[0] != here and "bridge-nf-call-iptables = 0" in out[-1], out
        assert record["phases"]["after"]["regressions"] == ["k8s-prep-01"], record["phases"]["after"]
        assert record["phases"]["final"]["gate"] == "passed", said
        assert record["target"] == reach[1]
    finally:  # whatever happened: the node's setting as it was
        run_on(reach, *MEND.split())


def test_an_ssh_drop_during_the_change_is_said_the_command_stopped_there_and_the_lease_freed(tmp_path):
    """The link to the node dropped for real (its SSH port blackholed here for 20 s) while the change runs
    there: the change's end is unknown, so it is rejected; the lab is reached again, what is left of the
    command there is stopped, the after check runs, and the lease is given back."""
    reach = node_reach()
    params = ["--lab-params", str(REPO / "labs" / "node" / "params.yaml")]
    address = reach[1].removeprefix("ssh://").rsplit("@", 1)[-1].rsplit(":", 1)[0]
    rule = ["OUTPUT", "-p", "tcp", "-d", address, "--dport", "22", "-j", "DROP"]
    marker = f"{time.time_ns() % 100000 + 800}"
    proc = subprocess.Popen([sys.executable, "-m", "labconform", "change", "--reports-dir", str(tmp_path),
                             "--lease-wait", "600", "--run", f"sleep {marker}", *reach, *params, *CLAIM], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    on_node = ssh_to(reach, "-o", "ConnectTimeout=5")
    try:
        until(lambda: subprocess.run([*on_node, f"pgrep -f '^sleep {marker}$'"], capture_output=True,
                                     timeout=30).returncode == 0, timeout=300, what="the change to run on the node")
        subprocess.run(["iptables", "-I", *rule], check=True)
        try:
            time.sleep(20)  # the link stays down past the master's keepalive limit (9 s): a drop, not a hiccup
        finally:
            subprocess.run(["iptables", "-D", *rule], check=False)
        said, _ = proc.communicate(timeout=900)
    finally:
        subprocess.run(["iptables", "-D", *rule], capture_output=True, check=False)
        if proc.poll() is None:
            proc.kill()
        left = subprocess.run([*on_node, f"pgrep -f '^sleep {marker}$'"], capture_output=True, timeout=30)
        subprocess.run([*on_node, f"pkill -f '^sleep {marker}$'"], capture_output=True, timeout=30)
    record = json.loads(next((tmp_path / "changes").glob("chg-*/change.json")).read_text())
    made = record["phases"]["change"]
    assert made["connection_lost"] and made["reconnected"] and made["stopped_on_lab"], made
    assert made["exit_status"] is None, made
    assert proc.returncode == 3, said  # rejected, the lab still passes its check
    assert "the SSH connection dropped under it" in record["reasons"][0], record["reasons"]
    assert record["phases"]["after"]["ok"], record["phases"]["after"]
    assert "reaching the lab again" in said, said
    assert left.returncode == 1, "the change's command was still running on the node"
    held = subprocess.run([*on_node, "cat", LEASE_FILE], capture_output=True, text=True, timeout=30).stdout
    assert record["phases"]["lease"]["released"] and f"run={record['id']}" not in held, held


