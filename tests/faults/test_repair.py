"""Repair by claim (`python -m provision --claims`): ids checked before anything runs, the steps a
claim's repair walks, a real repair on this machine, and the report's repair line under a failed claim."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from labconform.errors import WaitTimeout
from labconform.poll import until
from tests.support.lab_node import node_reach, run_on
from tests.support.repair import claim_articles, repair

REPO = Path(__file__).resolve().parents[2]
BRIDGE = Path("/proc/sys/net/bridge/bridge-nf-call-iptables")


# --- the ids, checked before anything runs ---------------------------------------------------------


# --- which steps a repair walks (recorded Rocky 8.4 host) ------------------------------------------


# --- the check afterwards ----------------------------------------------------------------------------


# --- the report's repair line ------------------------------------------------------------------------


# --- a real repair on this machine -------------------------------------------------------------------


def test_a_broken_bridge_setting_is_repaired_by_its_claim(tmp_path, suite):
    """The bridge sysctl set to 0 for real: the claim fails and its report names the repair; that
    command line repairs it (only its part's steps walked) and says the claim passes."""
    if not BRIDGE.exists():
        pytest.skip("no br_netfilter on this host")
    try:
        subprocess.run(["sysctl", "-w", "net.bridge.bridge-nf-call-iptables=0"], check=True, capture_output=True)
        # the whole section: its other claims read the host facts the owners are named from
        run = suite("features/80_preparing_k8s.feature")
        assert run.verdicts()["k8s-prep-01"] == "failed", run.out
        assert run.claim("k8s-prep-01")["owner"]["step"] == "bridged traffic through iptables"
        article = claim_articles((run.reports / "latest" / "index.html").read_text())["k8s-prep-01"]
        assert "<b>bridged traffic through iptables</b>" in article and "<code>sysctl --system</code>" in article
        found = re.search(r"<code class='repair'>(python -m provision --claims k8s-prep-01[^<]*)</code>", article)
        assert found, article
        argv = shlex.split(found[1].replace("&#x27;", "'"))
        assert argv[:5] == ["python", "-m", "provision", "--claims", "k8s-prep-01"]
        rc, record, said = repair(tmp_path, *argv[3:])
        assert rc == 0, said
        steps = {s["step"]: s for s in record["steps"]}
        assert steps["bridged traffic through iptables"]["status"] == "changed", said
        assert {s["section"] for s in record["steps"]} == {"kubernetes"}
        assert record["claims"] == {"k8s-prep-01": "passed"}
        assert re.search(r"passed  k8s-prep-01$", said, re.M), said
        assert BRIDGE.read_text().strip() == "1"
    finally:
        subprocess.run(["sysctl", "-w", "net.bridge.bridge-nf-call-iptables=1"], capture_output=True)


def test_a_claim_of_the_lab_node_is_repaired_over_ssh(tmp_path):
    """The same repair on the lab node lab1, over SSH: the options that reach it reach the suite's check."""
    reach = node_reach()
    opts = dict(zip(reach[::2], reach[1::2], strict=True))
    try:  # the node is shared: another run may be rebooting it
        until(lambda: run_on(reach, "true").returncode == 0, timeout=300, interval=2, what="lab1 answering over SSH")
    except WaitTimeout as exc:
        pytest.skip(str(exc))
    try:
        assert run_on(reach, "sysctl", "-w", "net.bridge.bridge-nf-call-iptables=0").returncode == 0
        rc, record, said = repair(tmp_path, *reach, "--lab-params", str(REPO / "labs" / "node" / "params.yaml"),
                                  "--claims", "k8s-prep-01")
        assert rc == 0, said
        assert {s["step"]: s["status"] for s in record["steps"]}["bridged traffic through iptables"] == "changed"
        assert record["claims"] == {"k8s-prep-01": "passed"}, said
        assert f"--target {opts['--target']} --ssh-identity {opts['--ssh-identity']}" in said
        assert run_on(reach, "cat", str(BRIDGE)).stdout.strip() == "1"
    finally:
        run_on(reach, "sysctl", "-w", "net.bridge.bridge-nf-call-iptables=1")


