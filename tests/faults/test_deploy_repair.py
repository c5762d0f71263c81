"""hw-deploy changed by hand for real, then repaired by provisioning: an environment variable added with
`kubectl set env` (a field /app/cluster.yaml never names) is drift for k8s-app-02; on a node with no room for a
surge pod the rollout it starts sticks, which k8s-app-03 sees. `python -m provision` then replaces the
Deployment by the file, one pod at a time where there is no room, and says done only when the claims pass.
Whatever happens, provisioning runs again at the end. Skipped where no cluster with hw-deploy is up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.kubernetes_faults import run_claims, settled_cluster
from tests.support.pods import cluster_with_hw_deploy, kubectl

ROOT = Path(__file__).resolve().parents[2]
FILES = ("features/86_deployment.feature", "features/87_nodeport.feature")

pytestmark = pytest.mark.skipif(cluster_with_hw_deploy() is None,
                                 reason="no cluster with hw-deploy answers on this host")


def provision(tmp_path: Path) -> tuple[dict, str]:
    out = tmp_path / "provision.json"
    proc = subprocess.run([sys.executable, "-m", "provision", "--only", "kubernetes", "--json", str(out),
                           "--lease-wait", "600"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return {s["step"]: s for s in json.loads(out.read_text())["steps"]}, proc.stdout


def verdicts(doc: dict) -> dict[str, str]:
    """Each claim's verdict; an Outline's (k8s-app-05[image-mytc], ...) the worst of its rows'."""
    out: dict[str, str] = {}
    for c in doc["claims"]:
        cid = c["id"].split("[", 1)[0]
        out[cid] = c["verdict"] if out.get(cid, "passed") == "passed" else out[cid]
    return out


def test_an_env_var_added_by_hand_is_drift_and_provisioning_rolls_the_file_back_out(tmp_path: Path) -> None:
    k = settled_cluster("hw-deploy")
    try:
        made = kubectl("set", "env", "deployment/hw-deploy", "LC_FAULT=added-by-hand")
        assert made.returncode == 0, made.stderr
        doc, _ = run_claims(tmp_path / "broken", files=FILES[:1])
        seen = verdicts(doc)
        assert seen["k8s-app-02"] == "failed", seen
        drift = next(o for o in next(c for c in doc["claims"] if c["id"] == "k8s-app-02")["evidence"]
                     if o["what"].startswith("drift between"))
        assert any(".env: file absent, cluster" in d for d in drift["found"]["Deployment/hw-deploy"]), drift
        if seen["k8s-app-07"] == "failed":  # no room for the surge pod: the rollout cannot go on
            assert seen["k8s-app-03"] == "failed", seen

        steps, output = provision(tmp_path)
        assert steps["hw-deploy"]["status"] == "changed", steps["hw-deploy"]
        if seen["k8s-app-07"] == "failed":
            assert "rolling out one pod at a time" in output, output[-3000:]
        template = k.deployment("hw-deploy").spec.template.spec.containers[0]
        assert not template.env, template.env

        doc, _ = run_claims(tmp_path / "repaired", files=FILES)
        after = verdicts(doc)
        for cid in ("k8s-app-02", "k8s-app-03", "k8s-app-05", "k8s-app-06", "k8s-svc-01", "k8s-svc-02", "k8s-svc-03"):
            assert after[cid] == "passed", (cid, after)
        assert after["k8s-app-07"] == seen["k8s-app-07"], "the node's room is not provisioning's to change"
    finally:
        kubectl("set", "env", "deployment/hw-deploy", "LC_FAULT-")  # the fault undone, had provisioning not
        subprocess.run([sys.executable, "-m", "provision", "--only", "kubernetes", "--lease-wait", "900"], cwd=ROOT,
                       capture_output=True, text=True, timeout=900)
