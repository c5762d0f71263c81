"""k8s-prep-03 against a lab node's real firewalld: a control-plane port taken out of the public zone (on disk and
in force, or in force only) and the lab host let through at runtime each make the claim fail, naming what is wrong;
restored, it passes again.

The node is the lab node CI checks (`lab1`, or $LABCONFORM_NODE): reused when it exists (each fault is undone in a
`finally`), else made here and removed at the end; brought up and provisioned either way (a converged node takes
seconds, a new one minutes). Skipped, saying why, where no node can be made or provisioned."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from labconform.lease import LEASE_ENV
from tests.support.lab_node import node, run_on

REPO = Path(__file__).resolve().parents[2]
NAME = os.environ.get("LABCONFORM_NODE", "lab1")
CLAIM = ("features/", "-k", "id:k8s-prep-03", "--lab-params", "labs/node/params.yaml")
PORT = "10250/tcp"


@pytest.fixture(scope="module")
def reach() -> Iterator[list[str]]:
    """The options that reach the node (--target, --ssh-identity, --known-hosts), the node provisioned."""
    if os.environ.get(LEASE_ENV):
        pytest.skip(f"{LEASE_ENV} is set: a lab node takes the lab host's real lease")
    made = node("args", NAME).returncode != 0
    if (up := node("up", NAME, "--lease-wait", "900")).returncode != 0:  # an existing node: nothing changes
        if made:
            node("rm", NAME)
        pytest.skip(f"lab node {NAME} could not be made: {(up.stdout + up.stderr).strip()[-500:]}")
    args = node("args", NAME).stdout.split()
    try:
        prov = subprocess.run([sys.executable, "-m", "provision", *args, "--lab-params", "labs/node/params.yaml",
                               "--lease-wait", "900"], cwd=REPO, capture_output=True, text=True, timeout=3000)
        if prov.returncode != 0:
            pytest.skip(f"lab node {NAME} could not be provisioned: {prov.stdout.strip()[-800:]}")
        yield args
    finally:
        if made:
            node("rm", NAME)


def on_node(reach: list[str], command: str) -> str:
    p = run_on(reach, command)
    assert p.returncode == 0, f"{command}: {p.stdout}{p.stderr}"
    return p.stdout


def claim(suite, reach: list[str]) -> dict:
    run = suite(*CLAIM, *reach)
    return run.claim("k8s-prep-03")


def ports(op: str, *modes: str) -> str:
    """firewall-cmd --OP-port for each mode ("--permanent" on disk, "" in force), in one shell line."""
    return " && ".join(f"firewall-cmd {m} --zone=public --{op}-port={PORT}".replace("  ", " ") for m in modes)


LAB_HOST_ACCEPTED = 'rule family=ipv4 source address=${SSH_CLIENT%% *} accept'  # the address the node sees us at
# (what is done on the node, how it is undone, what the failure names)
FAULTS = {
    "port removed on disk and in force": (ports("remove", "--permanent", ""), ports("add", "--permanent", ""),
                                          [f"{PORT} permanent", f"{PORT} runtime"]),
    "port removed in force only": (ports("remove", ""), ports("add", ""), [f"{PORT} runtime"]),
    "the lab host let through at runtime": (f'firewall-cmd --zone=public --add-rich-rule="{LAB_HOST_ACCEPTED}"',
                                            f'firewall-cmd --zone=public --remove-rich-rule="{LAB_HOST_ACCEPTED}"',
                                            ["a listener on unopened port", "'outside': 'connected'"]),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_firewall_fault_fails_the_claim_naming_it_and_restored_it_passes(suite, reach, fault):
    do, undo, named = FAULTS[fault]
    assert claim(suite, reach)["verdict"] == "passed"
    on_node(reach, do)
    try:
        broken = claim(suite, reach)
    finally:
        on_node(reach, undo)
    assert broken["verdict"] == "failed", broken
    assert all(n in broken["reason"] for n in named), broken["reason"]
    assert claim(suite, reach)["verdict"] == "passed"
