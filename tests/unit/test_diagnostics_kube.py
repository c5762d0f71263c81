"""Diagnostics at failure, the cluster's part: each pod of the default namespace in a few lines, whatever state
its containers are in."""

from __future__ import annotations

from labconform.kube.https_api import Obj
from labconform.run.diagnostics import pod_lines


def pod(*states: dict) -> Obj:
    return Obj({
        "metadata": {"name": "hw-1"}, "spec": {"containers": [], "nodeName": "vm"},
        "status": {"phase": "Running", "podIP": "10.244.0.5", "conditions": [
            {"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
            "containerStatuses": [{"name": f"c{i}", "ready": False, "restartCount": i, "image": "i",
                                   "imageID": "", "state": s} for i, s in enumerate(states)]}})


def test_each_container_says_its_state_and_the_reason_when_the_state_has_one() -> None:
    lines = pod_lines(pod({"running": {"startedAt": "2026-12-04T10:00:00Z"}},
                          {"waiting": {"reason": "CrashLoopBackOff"}},
                          {"terminated": {"exitCode": 1, "reason": "Error"}}))
    assert lines == ["hw-1: Running, IP 10.244.0.5, node vm", "  condition Ready=False ContainersNotReady",
                     "  container c0: ready=False restarts=0 state=running",
                     "  container c1: ready=False restarts=1 state=waiting CrashLoopBackOff",
                     "  container c2: ready=False restarts=2 state=terminated Error"]
