"""One change as one command (`python -m labconform change`), for real on this machine: accepted, a real
regression repaired by claim or rolled back or left, a change that hangs or fails, the lease taken by
someone else, a reused baseline, Ctrl-C; each one outcome in the record and the exit status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lab_node import node, run_on, ssh_to
from midrun import as_at_a_terminal, interrupt

from labconform.lease import LEASE_ENV, LEASE_FILE, LeaseKeeper
from labconform.poll import until
from labconform.transport.target import Target

REPO = Path(__file__).resolve().parent.parent
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


def running(pattern: str) -> bool:
    return subprocess.run(["pgrep", "-f", "--", pattern], capture_output=True).returncode == 0


@pytest.fixture
def bridge_restored():
    yield
    subprocess.run(MEND.split(), capture_output=True)


@pytest.mark.unit
def test_usage_errors_are_exit_4_and_change_nothing(tmp_path):
    for args in (["--run", ""], ["--run", "true", "--target", "nowhere"], ["--run", "'unclosed"],
                 ["--run", "true", "--timeout", "0"], ["--run", "true", "--waivers", str(tmp_path / "none.yaml")],
                 ["--run", "true", "--repair", "--rollback", "true"], ["--run", "true", "features/none.feature"]):
        rc, record, said = change(tmp_path, *args, timeout=60)
        assert rc == 4, (args, said)
        assert record == {}, args
        assert "Traceback" not in said, said


@pytest.mark.lab
@needs_bridge
def test_a_harmless_change_is_accepted_its_output_kept_and_redacted(tmp_path):
    rc, record, said = change(tmp_path, "--run", "echo applying password=hunter2hunter2", *CLAIM)
    assert rc == 0, said
    assert record["decision"] == "accepted" and record["outcome"] == "accepted", record
    assert list(record["phases"]) == ["lease", "before", "change", "after"], record["phases"].keys()
    assert record["phases"]["before"]["gate"] == "passed" and record["phases"]["after"]["gate"] == "passed"
    assert record["phases"]["after"]["counts"]["passed"] == 1, record["phases"]["after"]
    assert record["phases"]["change"]["exit_status"] == 0
    assert record["phases"]["lease"]["owner"] == record["who"] and record["phases"]["lease"]["released"]
    folder = tmp_path / "changes" / record["id"]
    log = (folder / "change.log").read_text()
    assert "applying" in log and "hunter2" not in log and "hunter2" not in said, log
    assert "hunter2" not in (folder / "change.json").read_text()
    page = (folder / "index.html").read_text()
    assert "accepted (exit 0)" in page and f"{record['id']}-after" in page, page
    assert lease_given_back(record)


@pytest.mark.faults
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


@pytest.mark.faults
@needs_bridge
def test_a_regression_is_rolled_back_by_the_given_command(tmp_path, bridge_restored):
    rc, record, said = change(tmp_path, "--run", BREAK, "--rollback", MEND, *CLAIM)
    assert rc == 3, said
    assert record["phases"]["rollback"]["command"] == MEND.split()
    assert record["phases"]["final"]["gate"] == "passed" and "repair" not in record["phases"]
    assert BRIDGE.read_text().strip() == "1"


@pytest.mark.faults
@needs_bridge
def test_a_regression_without_repair_or_rollback_is_left_and_said(tmp_path, bridge_restored):
    rc, record, said = change(tmp_path, "--run", BREAK, *CLAIM)
    assert rc == 1, said
    assert record["outcome"] == "rejected, lab left failing"
    assert any("k8s-prep-01" in r for r in record["reasons"]), record["reasons"]
    assert BRIDGE.read_text().strip() == "0"  # left as the change made it, as said


@pytest.mark.lab
@needs_bridge
def test_a_hanging_change_is_stopped_with_its_children_and_the_lease_freed(tmp_path):
    marker = f"{time.time_ns() % 100000 + 300}"  # a sleep no one else runs
    rc, record, said = change(tmp_path, "--run", f"sh -c 'sleep {marker} & exec sleep {marker}'", "--timeout", "3",
                              *CLAIM)
    made = record["phases"]["change"]
    assert made["timed_out"] and made["exit_status"] == 124, made  # timeout(1) on the lab stopped it
    assert rc == 3 and record["phases"]["after"]["gate"] == "passed", said  # rejected; the lab still conforms
    assert not running(f"^sleep {marker}$")
    assert lease_given_back(record)


@pytest.mark.lab
@needs_bridge
def test_a_change_that_fails_is_rejected_though_the_lab_still_conforms(tmp_path):
    rc, record, said = change(tmp_path, "--run", "false", *CLAIM)
    assert rc == 3, said
    assert record["reasons"][0] == "the change command exited 1", record["reasons"]


@pytest.mark.unit
def test_a_lab_leased_to_someone_else_is_refused_at_once(tmp_path):
    path = str(tmp_path / "lease")
    with LeaseKeeper(Target("local"), "someone-else", "maintenance", path=path) as holder:
        holder.acquire()
        # wait=0: refused at once (the subprocess timeout bounds "at once")
        rc, record, said = change(tmp_path, "--run", "true", *CLAIM, env={LEASE_ENV: path}, timeout=60, wait=0)
    assert rc == 5, said
    assert "leased to" in said and "someone-else" in said, said
    assert record["outcome"] == "refused: the lab is leased" and "before" not in record["phases"]


@pytest.mark.lab
@needs_bridge
def test_a_recent_good_run_stands_for_the_check_before_and_another_labs_does_not(tmp_path):
    rc, first, said = change(tmp_path, "--run", "true", *CLAIM)
    assert rc == 0, said
    good = first["phases"]["after"]["folder"]
    rc, record, said = change(tmp_path, "--run", "true", "--baseline", good, *CLAIM)
    assert rc == 0, said
    assert record["phases"]["baseline"]["used"] and "before" not in record["phases"], record["phases"]
    results = Path(good) / "results.json"
    data = json.loads(results.read_text())
    data["run"]["target"]["spec"] = "ssh://root@elsewhere:22"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    rc, record, said = change(tmp_path, "--run", "true", "--baseline", str(other), *CLAIM)
    assert rc == 0, said
    assert not record["phases"]["baseline"]["used"] and "not of local" in record["phases"]["baseline"]["why_not"]
    assert "before" in record["phases"]


def node_reach() -> list[str]:
    """The options that reach the lab node lab1, or a skip when it is not running."""
    p = node("args", "lab1", timeout=120)
    reach = p.stdout.split("\n")[:-1]
    if p.returncode != 0 or len(reach) != 6:
        pytest.skip("the lab node lab1 is not running (python -m provision.node up lab1)")
    return reach


@pytest.mark.faults
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


def interrupted(tmp_path: Path, sig: int, at: str, phase: str, *args: str) -> dict:
    """A change of the bridge claim sent `sig` once a process matching `at` runs (its `phase`): it exits 130 and
    its record says it stopped during that phase. The record."""
    proc = subprocess.Popen([sys.executable, "-m", "labconform", "change", "--reports-dir", str(tmp_path),
                             "--lease-wait", "600", *args, *CLAIM], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=as_at_a_terminal)
    said = interrupt(proc, sig, lambda: running(at), f"the {phase} to run", wait=300, timeout=180)
    assert proc.returncode == 130, said
    record = json.loads(next((tmp_path / "changes").glob("chg-*/change.json")).read_text())
    assert f"during the {phase}" in record["reasons"][0], record["reasons"]
    return record


@pytest.mark.lab
@needs_bridge
@pytest.mark.parametrize(("sig", "phase"), [(signal.SIGINT, "change"), (signal.SIGINT, "before"),
                                            (signal.SIGTERM, "change")])
def test_stopped_at_a_phase_it_says_which_and_leaves_nothing(tmp_path, sig, phase):
    """Ctrl-C during the change or the check before it, or a CI job's SIGTERM during the change: the phase
    running is stopped (pytest cleans up its containers), the record says where it stopped and that nothing
    ran after it, the lease is given back."""
    marker = f"{time.time_ns() % 100000 + 700}"
    # the before check's pytest, or the change itself, running
    at = f"--run-name chg-[^ ]+-before --reports-dir {tmp_path}" if phase == "before" else f"^sleep {marker}$"
    record = interrupted(tmp_path, sig, at, phase, "--run", f"sleep {marker}")
    assert record["outcome"] == "interrupted" and "after" not in record["phases"], record
    assert ("change" in record["phases"]) == (phase == "change"), record["phases"].keys()
    if phase == "change":
        assert record["phases"]["change"]["interrupted"], record["phases"]["change"]
    assert not running(f"^sleep {marker}$") and not running("--run-name " + record["id"])
    assert lease_given_back(record)


@pytest.mark.faults
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


@pytest.mark.lab
@needs_bridge
@pytest.mark.parametrize(("phase", "command", "runs"), [
    ("after", "true", "--run-name chg-[^ ]+-after --reports-dir {reports}"),
    ("repair", BREAK, "-m provision --claims k8s-prep-01"),
])
def test_stopped_after_the_change_it_says_where_and_leaves_nothing(tmp_path, bridge_restored, phase, command, runs):
    """Ctrl-C during the check after the change, or during the repair of what it broke: that phase is
    stopped, the record says the change was made and where it stopped, nothing ran after it, the lease is
    given back."""
    record = interrupted(tmp_path, signal.SIGINT, runs.format(reports=tmp_path), phase, "--run", command, "--repair")
    assert record["outcome"] == "interrupted" and record["phases"]["change"]["exit_status"] == 0, record
    assert "final" not in record["phases"] and (phase == "repair") == ("repair" in record["phases"]), record
    assert not running(runs.format(reports=tmp_path)) and not running("--run-name " + record["id"])
    assert lease_given_back(record)
