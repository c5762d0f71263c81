"""Kubernetes provisioning converges for real from a left-over state and from a half-built one, and a second
run changes nothing. Skipped where no cluster is up (the cached build and images are what make it quick)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from labconform.kube.kubelab import KubeLab, KubeUnavailable
from labconform.transport.target import Target

ROOT = Path(__file__).resolve().parents[2]


def _up() -> bool:
    try:
        KubeLab(Target("local")).raw("/healthz")
        return True
    except KubeUnavailable:
        return False


pytestmark = pytest.mark.skipif(not _up(), reason="no Kubernetes cluster answers on this host")


def provision(tmp_path: Path, name: str) -> dict[str, dict]:
    out = tmp_path / f"{name}.json"
    proc = subprocess.run([sys.executable, "-m", "provision", "--json", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    steps = json.loads(out.read_text())["steps"]
    return {s["step"]: s for s in steps if any(c.startswith("k8s-") for c in s["claims"])}


def sh(command: str) -> None:
    p = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"`{command}` exited {p.returncode}:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}"


STOP_KUBELET = ("sup=$(cat /run/labconform/kubelet.supervisor.pid) && kill -TERM $sup;"
                " for i in $(seq 150); do pgrep --ns $$ --nslist pid -x kubelet >/dev/null || break; sleep 0.2; done")


def provisioned_after(tmp_path: Path, damage: str) -> dict[str, str]:
    """kubelet stopped and `damage` done, then provisioning's first run: the status of each Kubernetes step."""
    sh(STOP_KUBELET)
    sh(damage)
    return {name: s["status"] for name, s in provision(tmp_path, "first").items()}


def assert_converged(tmp_path: Path) -> None:
    again = provision(tmp_path, "again")
    assert {s["status"] for s in again.values()} == {"unchanged"}, {n: s["detail"] for n, s in again.items()
                                                                     if s["status"] != "unchanged"}
    assert again["service hw (NodePort)"]["detail"].startswith("NodePort ")


@pytest.fixture(autouse=True)
def cluster_restored():
    """Whatever a test left (it stops kubelet, resets the cluster): provisioning again, so that one failing
    test never leaves the tests after it without a cluster. A converged lab costs one check of each step."""
    try:
        yield
    finally:
        subprocess.run([sys.executable, "-m", "provision", "--only", "kubernetes", "--lease-wait", "900"], cwd=ROOT,
                       capture_output=True, text=True, timeout=900)


def test_left_over_by_an_earlier_session_the_cluster_comes_back_without_kubeadm_init(tmp_path):
    # a session's processes are killed, its files and containers stay
    first = provisioned_after(tmp_path, "docker ps -q --filter name=k8s_ | xargs -r docker stop -t 5")
    assert first["kubelet supervised"] == "changed"
    assert first["kubeadm init"] == "unchanged"  # the old control plane came back from its static pods
    assert_converged(tmp_path)


def test_half_built_by_an_interrupted_init_provisioning_starts_afresh(tmp_path):
    # kubeadm init stopped after writing certificates and kubeconfigs: admin.conf exists, nothing answers.
    # kubelet goes first: without systemd, kubeadm reset cannot stop it, and a running kubelet recreates
    # the pods that reset removes (a race that made reset fail)
    first = provisioned_after(tmp_path, "kubeadm reset -f && kubeadm init phase certs all && "
                                        "kubeadm init phase kubeconfig all")
    assert first["kubeadm init"] == "changed"
    assert first["hw-deploy"] == "changed" and first["service hw (NodePort)"] == "changed"
    assert_converged(tmp_path)
