"""The cluster's hw-deploy pods as the fault tests break them: the cluster if it runs hw-deploy, kubectl on it."""

from __future__ import annotations

import subprocess

from labconform.kube.kubelab import ADMIN_CONF, KubeLab
from tests.support.kubernetes_faults import answering_cluster

KUBECTL = ["/usr/local/bin/kubectl", f"--kubeconfig={ADMIN_CONF}"]


def cluster_with_hw_deploy() -> KubeLab | None:
    """This host's cluster if it answers and runs hw-deploy, else None."""
    return answering_cluster("hw-deploy")


def kubectl(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*KUBECTL, *args], input=stdin, capture_output=True, text=True, timeout=60)
