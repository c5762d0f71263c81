"""Diagnostics at failure, the cluster's part: each pod of the default namespace in a few lines, whatever state
its containers are in."""

from __future__ import annotations

import pytest
from kubernetes import client as k8s

from labconform.diagnostics import pod_lines

pytestmark = pytest.mark.unit


def pod(*states: k8s.V1ContainerState) -> k8s.V1Pod:
    return k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name="hw-1"), spec=k8s.V1PodSpec(containers=[], node_name="vm"),
        status=k8s.V1PodStatus(phase="Running", pod_ip="10.244.0.5", conditions=[
            k8s.V1PodCondition(type="Ready", status="False", reason="ContainersNotReady")],
            container_statuses=[k8s.V1ContainerStatus(name=f"c{i}", ready=False, restart_count=i, image="i",
                                                      image_id="", state=s) for i, s in enumerate(states)]))


def test_each_container_says_its_state_and_the_reason_when_the_state_has_one() -> None:
    lines = pod_lines(pod(k8s.V1ContainerState(running=k8s.V1ContainerStateRunning()),
                          k8s.V1ContainerState(waiting=k8s.V1ContainerStateWaiting(reason="CrashLoopBackOff")),
                          k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(exit_code=1, reason="Error"))))
    assert lines == ["hw-1: Running, IP 10.244.0.5, node vm", "  condition Ready=False ContainersNotReady",
                     "  container c0: ready=False restarts=0 state=running",
                     "  container c1: ready=False restarts=1 state=waiting CrashLoopBackOff",
                     "  container c2: ready=False restarts=2 state=terminated Error"]
