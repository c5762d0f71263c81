"""What the faults, lab tests of test_kubernetes_faults.py share."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from labconform.kube.kubelab import KubeLab, KubeUnavailable
from labconform.poll import until
from labconform.results.document import load
from labconform.transport.target import Target

ROOT = Path(__file__).resolve().parents[2]
API_CLAIMS = ("features/84_k8s_init.feature", "features/85_flannel.feature", "features/87_nodeport.feature")


def answering_cluster(*deployments: str) -> KubeLab | None:
    """This host's cluster if its API server answers and it holds each of `deployments`, else None."""
    k = KubeLab(Target("local"))
    try:
        k.raw("/healthz")
        return k if all(k.deployment(d) is not None for d in deployments) else None
    except KubeUnavailable:
        return None


def run_claims(tmp_path: Path, *args: str, files=API_CLAIMS, timeout: float = 180) -> tuple[dict, float]:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", *files, "--reports-dir", str(tmp_path),
                           "--run-name", "faults", "-q", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - t0
    assert (tmp_path / "faults" / "results.json").exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    return load(tmp_path / "faults"), seconds


def verdicts(doc: dict) -> dict[str, tuple[str, str]]:
    return {c["id"]: (c["verdict"], c["reason"]) for c in doc["claims"]}


def assert_one_clear_error_per_api_claim(doc: dict, says: str) -> None:
    v = verdicts(doc)
    api = {i: r for i, r in v.items() if i.startswith(("k8s-init-01", "k8s-init-04", "k8s-init-05", "k8s-net",
                                                       "k8s-svc"))}
    assert api and all(verdict == "error" for verdict, _ in api.values()), api
    for _, reason in api.values():
        assert says in reason and len(reason.splitlines()) == 1, reason


def wait_deployment_available(k: KubeLab, timeout: float = 180) -> None:
    def available() -> bool:
        d = k.deployment("hw-deploy")
        return d is not None and (d.status.available_replicas or 0) == d.spec.replicas == len(
            k.ready_pod_names("hw-deploy"))
    until(available, timeout=timeout, interval=1, what="hw-deploy back to all replicas available")


def settled_cluster(*deployments: str) -> KubeLab:
    """This host's cluster (holding `deployments`) once hw-deploy has all its replicas available."""
    k = answering_cluster(*deployments)
    assert k is not None
    wait_deployment_available(k)
    return k
