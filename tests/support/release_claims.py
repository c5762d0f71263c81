"""What the faults, lab tests of test_release_claims.py share."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconform.kube.kubelab import KubeLab, KubeUnavailable
from labconform.transport.target import Target

REPO = Path(__file__).resolve().parents[2]
WAIVERS = str(REPO / "labs" / "debian-offline" / "waivers.yaml")


# --- Kubernetes --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kube() -> KubeLab:
    k = KubeLab(Target("local"))
    try:
        k.raw("/healthz")
    except KubeUnavailable:
        pytest.skip("no Kubernetes cluster answers on this host")
    return k


