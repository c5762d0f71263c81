"""The releases the document pins (Tomcat 10.0.10 on JDK 16, Kubernetes v1.22) and kubeadm's CoreDNS: what
Tomcat, Java and the API server report, parsed and judged; the lab parameters that pin them, refused with
the file's line when bad (exit status 4 before any claim); the labs' waivers for their deviations."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


# --- releases --------------------------------------------------------------------------------------


# --- Java ------------------------------------------------------------------------------------------


# --- Tomcat's ServerInfo and startup log ----------------------------------------------------------


# --- Kubernetes ------------------------------------------------------------------------------------


# --- the parameters that pin them ------------------------------------------------------------------


def test_pytest_refuses_a_bad_release_before_any_claim(tmp_path) -> None:
    """Status 4 at start-up, with nothing collected, let alone run: --collect-only touches no lab."""
    f = tmp_path / "p.yaml"
    f.write_text("ntp_servers: [172.30.0.1]\nkubernetes_version: latest\n")
    p = subprocess.run([sys.executable, "-m", "pytest", "features/", "--collect-only", "-q", "-p", "no:randomly",
                        "--lab-params", str(f)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert p.returncode == 4, p.stdout + p.stderr
    assert f"--lab-params {f}:2: lab parameter kubernetes_version: 'latest' is not a Kubernetes release" in p.stderr
    assert "collected" not in p.stdout
    f.write_text('kubernetes_version: "v1.20"\n')  # the same run with a good value collects the claims
    ok = subprocess.run([sys.executable, "-m", "pytest", "features/", "--collect-only", "-q", "-p", "no:randomly",
                         "--lab-params", str(f), "-k", "k8s-inst-05"], cwd=REPO, capture_output=True, text=True,
                        timeout=120)
    assert ok.returncode == 0 and "1/" in ok.stdout, ok.stdout + ok.stderr


# --- the labs' declared deviations -----------------------------------------------------------------


