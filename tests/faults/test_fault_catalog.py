"""The fault catalogs (faults/catalog.yaml, this machine's; faults/node.yaml, the lab node's): checked when loaded,
judged claim by claim, and run for real on their lab, each fault undone; the proof names every claim as proved or
unproven."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labconform.commands import faults
from labconform.run.collection import id_files
from tests.support import lab_node

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(os.geteuid() != 0, reason="the faults need root")
def test_every_fault_of_the_catalog_fails_its_claims_and_is_undone(tmp_path):
    """The whole catalog on this machine: each fault proved, the lab restored after each, and the proof page
    lists every claim of the features."""
    proc = subprocess.Popen([sys.executable, "-m", "labconform", "faults", "--destructive", "--lease-wait", "900",
                             "--reports-dir", str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        said, _ = proc.communicate(timeout=3000)
    except subprocess.TimeoutExpired:
        proc.terminate()  # the runner restores the fault it is making, then stops
        said, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, said[-4000:]
    proof = json.loads((tmp_path / "faults" / "latest" / "proof.json").read_text())
    assert [f["name"] for f in proof["faults"]] == [f.name for f in faults.load().faults]
    for f in proof["faults"]:
        assert f["proved"] and f["restored"]["claims_pass"], f
        for row, v in f["verdicts"].items():  # each Outline row that passed before failed or still passed, one
            # not applicable before stayed so; at least one row of the fault's claims failed
            assert (proof["before"][row], v) in (("passed", "failed"), ("passed", "passed"),
                                                 ("not_applicable", "not_applicable")), f
        assert "failed" in f["verdicts"].values(), f
    table = proof["claims"]
    assert table["k8s-prep-01"]["status"] == "proved"
    assert table["docker-03"]["status"] == "unproven" and "systemd" in table["docker-03"]["why"]
    assert set(table) == set(id_files(REPO / "features"))  # every claim of the features, proved or not
    assert "Claims proven able to fail" in (tmp_path / "faults" / "latest" / "index.html").read_text()


def test_every_fault_of_the_node_catalog_fails_its_claims_and_is_undone(tmp_path):
    """The lab node's catalog on lab1 over SSH (systemd's faults: units enabled at boot, unit files, the drop-in,
    the firewall, Docker's cgroup driver), each fault proved and the node restored after each."""
    p = lab_node.node("args", "lab1", timeout=30)
    if p.returncode != 0:
        pytest.skip(f"no lab node lab1 here: {p.stderr.strip()}")
    reach = p.stdout.split("\n")[:-1]
    proc = subprocess.run([sys.executable, "-m", "labconform", "faults", "--destructive", "--catalog",
                           str(REPO / "faults" / "node.yaml"), *reach, "--lab-params",
                           str(REPO / "labs" / "node" / "params.yaml"), "--lease-wait", "900",
                           "--reports-dir", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    proof = json.loads((tmp_path / "faults" / "latest" / "proof.json").read_text())
    assert [f["name"] for f in proof["faults"]] == [f.name for f in faults.load(REPO / "faults" / "node.yaml").faults]
    assert all(f["proved"] and f["restored"]["claims_pass"] for f in proof["faults"]), proof["faults"]
    assert proof["claims"]["docker-03"]["status"] == "proved" and proof["target"].startswith("ssh://")
