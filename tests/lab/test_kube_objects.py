"""The claim 'the Kubernetes object "KIND/NAME" ... contains:' run for real against this host's cluster, from a
feature file of the test's own in tmp_path: hw-deploy as it stands passes; an unknown kind and a doc-string that
is not YAML are errors that say so; an object that does not exist fails. Then a real fault: hw-deploy scaled to
one replica fails the claim naming spec.replicas, and the converging form passes while the scale back to two
converges. hw-deploy is back at two ready replicas whatever happens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labconform.commands import suite_process
from labconform.poll import until
from tests.support.kubernetes_faults import answering_cluster

REPO = Path(__file__).resolve().parents[2]
KUBECTL = ["kubectl", "--kubeconfig", "/etc/kubernetes/admin.conf"]
# a feature outside the repository: its config and its root conftest (which loads every steps/*.py), as the
# project's commands run one
OWN_FEATURE = suite_process.project_options([Path("/")])  # "/": any folder outside the checkout

FEATURE = '''@section:own-kubernetes-objects
Feature: Kubernetes objects contain partial ones
  The test's own claims on this host's cluster.

  @id:own-k8s-01 @impact:low
  Scenario: hw-deploy runs two replicas of its container
    The Deployment as kubectl create made it.
    Then the Kubernetes object "deployment/hw-deploy" in namespace "default" contains:
      """
      spec:
        replicas: 2
        template:
          spec:
            containers:
              - name: hw-contain
      metadata:
        labels:
          app: hw
      """

  @id:own-k8s-02 @impact:low
  Scenario: the namespace and the node, cluster-scoped
    Neither lives in a namespace.
    Then the Kubernetes object "namespace/default" contains:
      """
      status:
        phase: Active
      """
    And the Kubernetes object "node/{node}" contains:
      """
      status:
        conditions:
          - type: Ready
            status: "True"
      """

  @id:own-k8s-03 @impact:low
  Scenario: a kind nobody knows
    An error: the claim is not written so that it can be judged.
    Then the Kubernetes object "widget/hw" in namespace "default" contains:
      """
      spec: {{}}
      """

  @id:own-k8s-04 @impact:low
  Scenario: a Deployment that does not exist
    A failure: the object is not there.
    Then the Kubernetes object "deployment/lc-no-such-deploy" in namespace "default" contains:
      """
      spec:
        replicas: 1
      """

  @id:own-k8s-05 @impact:low
  Scenario: a doc-string that is not YAML
    An error naming where it is written.
    Then the Kubernetes object "deployment/hw-deploy" in namespace "default" contains:
      """
      spec:
        replicas: 2
         template: x
      """

  @id:own-k8s-06 @impact:low
  Scenario: hw-deploy has two ready replicas, within a bound
    Polled until it holds.
    Then the Kubernetes object "deployment/hw-deploy" in namespace "default" contains, within 30 seconds:
      """
      status:
        readyReplicas: 2
      """
'''
BAD_YAML_STEP_LINE = next(i for i, line in enumerate(FEATURE.splitlines(), 1) if "own-k8s-05" in line) + 3


@pytest.fixture(scope="module")
def kube():
    k = answering_cluster("hw-deploy")
    if k is None:
        pytest.skip("no cluster with deployment hw-deploy answers on this host")
    return k


@pytest.fixture
def feature(tmp_path: Path, kube) -> Path:
    path = tmp_path / "own_objects.feature"
    path.write_text(FEATURE.format(node=kube.nodes()[0].metadata.name))
    return path


def claims(suite, feature: Path, which: str) -> dict[str, dict]:
    run = suite(*OWN_FEATURE, str(feature), "-k", which, timeout=180)
    assert (run.reports / "latest" / "results.json").exists(), run.out[-3000:] + run.err[-3000:]
    return {c["id"]: c for c in run.results["claims"]}


def test_the_claims_on_the_live_cluster(suite, feature: Path) -> None:
    v = claims(suite, feature, "not own-k8s-06")
    assert {i: c["verdict"] for i, c in v.items()} == {
        "own-k8s-01": "passed", "own-k8s-02": "passed", "own-k8s-03": "error", "own-k8s-04": "failed",
        "own-k8s-05": "error"}, {i: c["reason"] for i, c in v.items()}
    seen = v["own-k8s-01"]["evidence"][0]
    assert seen["how"] == "GET /apis/apps/v1/namespaces/default/deployments/hw-deploy"
    assert seen["found"]["spec"]["replicas"] == 2 and seen["found"]["metadata"] == {"labels": {"app": "hw"}}
    assert [o["how"] for o in v["own-k8s-02"]["evidence"]][0] == "GET /api/v1/namespaces/default"
    assert "unknown kind 'widget'" in v["own-k8s-03"]["reason"] and "deployment" in v["own-k8s-03"]["reason"]
    assert f"{feature.name}:" in v["own-k8s-03"]["reason"]
    assert v["own-k8s-04"]["evidence"][0]["found"] == "no such object (HTTP 404 Not Found)"
    reason = v["own-k8s-05"]["reason"]
    assert f"{feature}:{BAD_YAML_STEP_LINE}: the doc-string is not YAML" in reason, reason
    assert "line 3 of the doc-string" in reason


def scale(replicas: int) -> None:
    subprocess.run([*KUBECTL, "scale", "deployment", "hw-deploy", f"--replicas={replicas}"], check=True,
                   capture_output=True, timeout=60)


def test_a_scaled_down_deployment_fails_the_claim_and_the_bounded_one_waits_for_it(
        suite, feature: Path, tmp_path: Path, lab_lease, kube) -> None:
    try:
        scale(1)
        failed = claims(suite, feature, "own-k8s-01")["own-k8s-01"]
        assert failed["verdict"] == "failed", failed["reason"]
        assert failed["evidence"][0]["found"] == ["spec.replicas: expected 2, found 1"], failed["evidence"]
        assert "spec.replicas: expected 2, found 1" in failed["reason"]
        # the scaled-down pod gone, not only terminating: its CPU request holds the node's room until then, and
        # the pod the scale back makes could not be scheduled within the bounded claim's 30 s
        until(lambda: subprocess.run([*KUBECTL, "get", "pods", "-l", "app=hw", "-o", "name"], capture_output=True,
                                     text=True, timeout=30).stdout.split(),
              lambda pods: len(pods) == 1, timeout=120, interval=1, what="hw-deploy's scaled-down pod gone")
        waiting = converging_run(feature, tmp_path / "converging")
        scale(2)
        out, err = (t.decode(errors="replace") for t in waiting.communicate(timeout=120))
        doc = json.loads((tmp_path / "converging" / "latest" / "results.json").read_text())
        claim = doc["claims"][0]
        assert claim["verdict"] == "passed", (claim["reason"], out[-2000:], err[-2000:])
        details = claim["evidence"][0]["details"]
        assert details["attempts"] >= 2 and 0 < details["waited_s"] <= 30 and details["within_s"] == 30, details
    finally:
        scale(2)
        subprocess.run([*KUBECTL, "rollout", "status", "deployment/hw-deploy", "--timeout=180s"], check=True,
                       capture_output=True, timeout=200)


def converging_run(feature: Path, reports: Path) -> subprocess.Popen:
    """The bounded claim, started; returned once pytest names it on its way to run it (so its first look sees
    one ready replica)."""
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:randomly", "-v", "--reports-dir",
                             str(reports), *OWN_FEATURE, str(feature), "-k", "own-k8s-06"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    seen = b""
    while b"::test_" not in seen:  # pytest -v names a test (a feature outside its rootdir: ::name) before it runs it
        chunk = os.read(proc.stdout.fileno(), 4096)  # type: ignore[union-attr]
        if not chunk:
            proc.wait(timeout=10)
            raise AssertionError(f"the bounded claim's run ended before it ran: {seen[-2000:]!r}")
        seen += chunk
    return proc
